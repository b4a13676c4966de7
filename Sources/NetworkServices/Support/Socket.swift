import Glibc
import SystemSupport

/// IPv4 socket plumbing shared by the DNS server and the port proxy.
enum Socket {
    static func address(_ ip: IPv4Address, _ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = ip.value.bigEndian
        return address
    }

    static func endpoint(of address: sockaddr_in) -> (IPv4Address, UInt16) {
        (IPv4Address(UInt32(bigEndian: address.sin_addr.s_addr)), UInt16(bigEndian: address.sin_port))
    }

    /// A socket of `type` (SOCK_STREAM/SOCK_DGRAM), close-on-exec, optionally non-blocking.
    static func open(_ type: Int32, nonBlocking: Bool = false) throws(SystemCallError) -> Int32 {
        var flags = type | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { flags |= Int32(SOCK_NONBLOCK.rawValue) }
        return try Syscall.retrying("socket") { socket(AF_INET, flags, 0) }
    }

    /// A bound socket (listening, for streams) on ip:port; port 0 picks a free one.
    static func bound(_ type: Int32, _ ip: IPv4Address, _ port: UInt16, nonBlocking: Bool = false) throws(SystemCallError) -> Int32 {
        let fd = try open(type, nonBlocking: nonBlocking)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Socket.address(ip, port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            let error = SystemCallError("bind", "\(ip):\(port)")
            close(fd)
            throw error
        }
        if type == Int32(SOCK_STREAM.rawValue), listen(fd, 1024) != 0 {
            let error = SystemCallError("listen", "\(ip):\(port)")
            close(fd)
            throw error
        }
        return fd
    }

    /// The port a socket is bound to.
    static func localPort(_ fd: Int32) -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// The address of a connected socket's peer.
    static func peer(of fd: Int32) -> IPv4Address? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        return result == 0 ? endpoint(of: address).0 : nil
    }

    static func connect(_ fd: Int32, to ip: IPv4Address, _ port: UInt16) -> Int32 {
        var address = Socket.address(ip, port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    static func sendTo(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ address: sockaddr_in) -> Int {
        var target = address
        return withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    static func receiveFrom(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> (Int, sockaddr_in) {
        var source = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = withUnsafeMutablePointer(to: &source) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, buffer.baseAddress, buffer.count, 0, $0, &length) }
        }
        return (count, source)
    }

    /// Writes everything (blocking socket); false when the peer went away.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    /// Reads exactly `count` bytes (blocking socket); nil at end of stream or error.
    static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let got = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + offset, count - offset, 0) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { return nil }
            offset += got
        }
        return bytes
    }

    static func setTimeout(_ fd: Int32, seconds: Int) {
        var value = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }
}

/// Starts a detached thread (no Foundation, no Dispatch: the monitor and netd stay small);
/// its resources go when it ends.
func startThread(_ body: @escaping () -> Void) {
    final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    // Relays and resolvers need little stack; 256 KiB keeps many of them cheap.
    pthread_attr_setstacksize(&attributes, 256 * 1024)
    let created = pthread_create(&thread, &attributes, { raw in
        Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, Unmanaged.passRetained(Work(body)).toOpaque())
    pthread_attr_destroy(&attributes)
    precondition(created == 0, "pthread_create failed: \(created)")
    pthread_detach(thread)
}
