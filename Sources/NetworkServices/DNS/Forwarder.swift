import SystemSupport
import Glibc

/// Sends queries the network does not answer itself to the host's resolvers, as listed in
/// /etc/resolv.conf, trying each in turn.
public struct Forwarder: Sendable {
    public let upstreams: [IPv4Address]
    public let port: UInt16
    let timeoutMilliseconds: Int32

    public init(upstreams: [IPv4Address], port: UInt16 = 53, timeoutMilliseconds: Int32 = 2000) {
        self.upstreams = upstreams
        self.port = port
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// The IPv4 nameservers of a resolv.conf text.
    public static func nameservers(inResolvConf text: String) -> [IPv4Address] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { return nil }
            return IPv4Address(fields[1])
        }
    }

    /// The upstream's answer, or nil when none answered in time.
    public func forward(_ query: [UInt8]) -> [UInt8]? {
        guard query.count >= 2 else { return nil }
        for upstream in upstreams {
            guard let fd = try? Socket.open(Int32(SOCK_DGRAM.rawValue)) else { return nil }
            defer { close(fd) }
            guard Socket.connect(fd, to: upstream, port) == 0,
                  query.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == query.count else { continue }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            var buffer = [UInt8](repeating: 0, count: 65535)
            while poll(&poller, 1, timeoutMilliseconds) > 0 {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count >= 12, buffer[0] == query[0], buffer[1] == query[1] { return Array(buffer[0..<count]) }
                if count < 0 { break }
            }
        }
        return nil
    }
}
