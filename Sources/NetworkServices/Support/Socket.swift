import Glibc
import SystemSupport

/// Socket plumbing shared by the DNS server and the port proxy. Connections towards
/// containers are IPv4; listeners on the host may be either family.
enum Socket {
    /// A socket of `type` (SOCK_STREAM/SOCK_DGRAM), close-on-exec, optionally non-blocking.
    static func open(_ type: Int32, family: Int32 = AF_INET, nonBlocking: Bool = false) throws(SystemCallError) -> Int32 {
        var flags = type | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { flags |= Int32(SOCK_NONBLOCK.rawValue) }
        return try Syscall.retrying("socket") { socket(family, flags, 0) }
    }

    /// A bound socket (listening, for streams) on ip:port; port 0 picks a free one. An IPv6
    /// socket is IPv6-only, so [::]:port and 0.0.0.0:port are two listeners, as with Docker.
    static func bound(_ type: Int32, _ ip: IPAddress, _ port: UInt16, nonBlocking: Bool = false) throws(SystemCallError) -> Int32 {
        let fd = try open(type, family: ip.isIPv6 ? AF_INET6 : AF_INET, nonBlocking: nonBlocking)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if ip.isIPv6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let place = "\(ip.hostText):\(port)"
        let result = SocketAddress(ip, port).withPointer { bind(fd, $0, $1) }
        if result != 0 {
            let error = SystemCallError("bind", place)
            close(fd)
            throw error
        }
        if type == Int32(SOCK_STREAM.rawValue), listen(fd, 1024) != 0 {
            let error = SystemCallError("listen", place)
            close(fd)
            throw error
        }
        return fd
    }

    /// The port a socket is bound to.
    static func localPort(_ fd: Int32) -> UInt16 {
        var address = SocketAddress()
        _ = address.withMutablePointer { getsockname(fd, $0, $1) }
        return address.port
    }

    /// The IPv4 address of a connected socket's peer.
    static func peer(of fd: Int32) -> IPv4Address? {
        var address = SocketAddress()
        return address.withMutablePointer { getpeername(fd, $0, $1) } == 0 ? address.ipv4 : nil
    }

    static func connect(_ fd: Int32, to ip: IPv4Address, _ port: UInt16) -> Int32 {
        SocketAddress(.v4(ip), port).withPointer { Glibc.connect(fd, $0, $1) }
    }

    static func sendTo(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ address: SocketAddress) -> Int {
        address.withPointer { sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) }
    }

    static func receiveFrom(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> (Int, SocketAddress) {
        var source = SocketAddress()
        let count = source.withMutablePointer { recvfrom(fd, buffer.baseAddress, buffer.count, 0, $0, $1) }
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
