import CNetworkSupport
import Glibc
import Synchronization
import SystemSupport

/// A network's embedded DNS server: UDP and TCP on one address (the bridge gateway, port
/// 53), answering the network's names from `LocalNames` and forwarding everything else.
/// Each socket has its own thread; forwarded UDP queries get a thread each so a slow
/// upstream never holds up local answers.
public final class DNSServer: Sendable {
    public let names: LocalNames
    public let forwarder: Forwarder
    public let port: UInt16
    private let udp: Int32
    private let tcp: Int32
    private let stopped = Atomic<Bool>(false)

    public init(address: IPv4Address, port: UInt16 = 53, names: LocalNames, forwarder: Forwarder) throws(SystemCallError) {
        self.names = names
        self.forwarder = forwarder
        // Port 0 (tests) picks a free UDP port, which must then be free for TCP too.
        var attempt = 0
        while true {
            let udp = try Socket.bound(Int32(SOCK_DGRAM.rawValue), .v4(address), port)
            let chosen = Socket.localPort(udp)
            do {
                tcp = try Socket.bound(Int32(SOCK_STREAM.rawValue), .v4(address), chosen)
                self.udp = udp
                self.port = chosen
                break
            } catch {
                close(udp)
                attempt += 1
                if port != 0 || error.errno != EADDRINUSE || attempt == 20 { throw error }
            }
        }
    }

    /// Serves on background threads until `stop`.
    public func start() {
        startThread { [self] in serveDatagrams() }
        startThread { [self] in serveStreams() }
    }

    /// Stops both listeners; queries in flight finish on their own.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(udp, Int32(SHUT_RDWR))
        shutdown(tcp, Int32(SHUT_RDWR))
    }

    deinit {
        close(udp)
        close(tcp)
    }

    /// The response to a query: local when the name is ours, else the upstream's (or
    /// SERVFAIL when no upstream answers). nil for messages that are not queries.
    public func respond(to message: [UInt8], from asker: IPv4Address? = nil) -> [UInt8]? {
        guard let query = DNSQuery(message) else { return nil }
        if case .records(let answers) = names.answer(query.question, from: asker) {
            return query.response(code: DNSQuery.noError, answers: Array(answers.prefix(32)))
        }
        return forwarder.forward(message) ?? query.response(code: DNSQuery.serverFailure, answers: [])
    }

    private func serveDatagrams() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .relaxed) {
            let (count, peer) = buffer.withUnsafeMutableBytes { Socket.receiveFrom(udp, $0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { if stopped.load(ordering: .relaxed) { return } else { continue } }
            let message = Array(buffer[0..<count])
            guard let query = DNSQuery(message) else { continue }
            if case .records(let answers) = names.answer(query.question, from: peer.ipv4) {
                let reply = query.response(code: DNSQuery.noError, answers: Array(answers.prefix(32)))
                _ = reply.withUnsafeBytes { Socket.sendTo(udp, $0, peer) }
            } else {
                startThread { [self] in
                    let reply = forwarder.forward(message) ?? query.response(code: DNSQuery.serverFailure, answers: [])
                    _ = reply.withUnsafeBytes { Socket.sendTo(udp, $0, peer) }
                }
            }
        }
    }

    private func serveStreams() {
        while !stopped.load(ordering: .relaxed) {
            let client = swiftcompose_accept(tcp, 0)
            if client < 0 {
                if stopped.load(ordering: .relaxed) { return }
                continue
            }
            startThread { [self] in
                defer { close(client) }
                Socket.setTimeout(client, seconds: 10)
                let asker = Socket.peer(of: client)
                // RFC 7766: two-byte length, then the message; several per connection.
                while let prefix = Socket.readExactly(client, 2) {
                    let length = Int(prefix[0]) << 8 | Int(prefix[1])
                    guard let message = Socket.readExactly(client, length),
                          let reply = respond(to: message, from: asker) else { return }
                    if !Socket.writeAll(client, [UInt8(reply.count >> 8), UInt8(reply.count & 0xFF)] + reply) { return }
                }
            }
        }
    }
}
