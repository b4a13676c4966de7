/// One published port: traffic to host ip:port (TCP or UDP) goes to container ip:port.
public struct PortBinding: Hashable, Sendable, CustomStringConvertible {
    public enum Transport: String, Sendable, Hashable {
        case tcp, udp
    }

    /// 0.0.0.0 listens on every IPv4 address of the host (127.0.0.1 included), :: on every
    /// IPv6 one; the container side is always IPv4.
    public var hostIP: IPAddress
    /// 0 asks for a free port, chosen when the proxy binds.
    public var hostPort: UInt16
    public var transport: Transport
    public var containerIP: IPv4Address
    public var containerPort: UInt16

    public init(hostIP: IPAddress = .anyIPv4, hostPort: UInt16, transport: Transport = .tcp,
                containerIP: IPv4Address, containerPort: UInt16) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.transport = transport
        self.containerIP = containerIP
        self.containerPort = containerPort
    }

    /// Bindings for a range ("8000-8099:80-179"): host and container ranges pair up one to
    /// one; a single container port takes every host port of the range.
    public static func range(hostIP: IPAddress = .anyIPv4, hostPorts: ClosedRange<UInt16>,
                             transport: Transport = .tcp, containerIP: IPv4Address,
                             containerPorts: ClosedRange<UInt16>) -> [PortBinding]? {
        if containerPorts.count == 1 {
            return hostPorts.map { PortBinding(hostIP: hostIP, hostPort: $0, transport: transport,
                                               containerIP: containerIP, containerPort: containerPorts.lowerBound) }
        }
        guard hostPorts.count == containerPorts.count else { return nil }
        return zip(hostPorts, containerPorts).map {
            PortBinding(hostIP: hostIP, hostPort: $0, transport: transport, containerIP: containerIP, containerPort: $1)
        }
    }

    /// "[::]:8080:172.18.0.2:80/udp": a binding as one word, for netd's `--publish` and the
    /// monitor's launch configuration.
    public var argument: String {
        "\(hostIP.hostText):\(hostPort):\(containerIP):\(containerPort)/\(transport.rawValue)"
    }

    /// Parses `argument`'s form; "/tcp" may be left out.
    public init?(argument: some StringProtocol) {
        let parts = argument.split(separator: "/")
        guard (1...2).contains(parts.count),
              let transport = Transport(rawValue: parts.count == 2 ? String(parts[1]) : "tcp") else { return nil }
        let fields = parts[0].split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count >= 4, let hostIP = IPAddress(fields.dropLast(3).joined(separator: ":")),
              let hostPort = UInt16(fields[fields.count - 3]), let containerIP = IPv4Address(fields[fields.count - 2]),
              let containerPort = UInt16(fields[fields.count - 1]) else { return nil }
        self.init(hostIP: hostIP, hostPort: hostPort, transport: transport, containerIP: containerIP, containerPort: containerPort)
    }

    /// "0.0.0.0:8080->172.18.0.2:80/tcp", as `docker ps` shows ports.
    public var description: String {
        "\(hostIP.hostText):\(hostPort)->\(containerIP):\(containerPort)/\(transport.rawValue)"
    }

    /// The host side alone, as errors name it: "[::1]:8080/tcp".
    public var hostEndpoint: String {
        "\(hostIP.hostText):\(hostPort)/\(transport.rawValue)"
    }
}
