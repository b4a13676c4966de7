import CTLS
import Glibc
import SystemSupport

/// A TCP connection to host:port (any address the name resolves to, IPv4 or IPv6), with TLS
/// on top once `startTLS` succeeds. Every read and write gives up after `timeout` seconds
/// of silence.
final class HTTPConnection: HTTPTransport {
    private let fd: Int32
    private var tls: UnsafeMutableRawPointer?
    let peer: String

    init(host: String, port: Int, timeout: Int) throws(EngineError) {
        peer = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let list else {
            throw EngineError(.network, "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = SystemCallError("connect", peer, errno: ECONNREFUSED)
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let candidate = entry {
            entry = candidate.pointee.ai_next
            let socket = Glibc.socket(candidate.pointee.ai_family, candidate.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
                                      candidate.pointee.ai_protocol)
            guard socket >= 0 else { lastError = SystemCallError("socket", peer); continue }
            // SO_SNDTIMEO bounds connect() as well.
            var limit = timeval(tv_sec: timeout, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            var connected: Int32
            repeat { connected = Glibc.connect(socket, candidate.pointee.ai_addr, candidate.pointee.ai_addrlen) } while connected != 0 && errno == EINTR
            if connected == 0 {
                fd = socket
                return
            }
            lastError = SystemCallError("connect", peer)
            close(socket)
        }
        throw EngineError(.network, "cannot connect to \(peer): \(String(cString: strerror(lastError.errno)))", cause: lastError)
    }

    /// Runs TLS over the connection: the certificate must chain to the system's trust store
    /// or to `caFile`, and name `host`.
    func startTLS(host: String, caFile: String?) throws(EngineError) {
        var error = [CChar](repeating: 0, count: 512)
        guard let session = ctls_connect(fd, host, caFile, &error, error.count) else {
            throw EngineError(.network, String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        tls = session
    }

    func read(_ buffer: UnsafeMutableRawBufferPointer) throws(EngineError) -> Int {
        while true {
            let got = tls.map { ctls_read($0, buffer.baseAddress, buffer.count) } ?? Glibc.read(fd, buffer.baseAddress, buffer.count)
            if got >= 0 { return got }
            if tls == nil, errno == EINTR { continue }
            throw failure("read from")
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(EngineError) -> Int {
        while true {
            let written = tls.map { ctls_write($0, bytes.baseAddress, bytes.count) } ?? send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if written > 0 { return written }
            if written < 0, tls == nil, errno == EINTR { continue }
            throw failure("write to")
        }
    }

    private func failure(_ action: String) -> EngineError {
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK { return EngineError(.timeout, "\(peer) stopped answering (no data for a minute)") }
        let error = SystemCallError(action == "read from" ? "read" : "write", peer, errno: code)
        return EngineError(.network, "cannot \(action) \(peer): \(tls == nil ? String(cString: strerror(code)) : "the TLS session failed")", cause: error)
    }

    deinit {
        if let tls { ctls_close(tls) }
        close(fd)
    }
}
