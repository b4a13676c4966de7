/// One published port: traffic to host ip:port (TCP or UDP) goes to container ip:port.
public struct PortBinding: Hashable, Sendable, CustomStringConvertible {
    public enum Transport: String, Sendable, Hashable {
        case tcp, udp
    }

    /// 0.0.0.0 listens on every host address (127.0.0.1 included).
    public var hostIP: IPv4Address
    /// 0 asks for a free port, chosen when the proxy binds.
    public var hostPort: UInt16
    public var transport: Transport
    public var containerIP: IPv4Address
    public var containerPort: UInt16

    public init(hostIP: IPv4Address = IPv4Address(0), hostPort: UInt16, transport: Transport = .tcp,
                containerIP: IPv4Address, containerPort: UInt16) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.transport = transport
        self.containerIP = containerIP
        self.containerPort = containerPort
    }

    /// Bindings for a range ("8000-8099:80-179"): host and container ranges pair up one to
    /// one; a single container port takes every host port of the range.
    public static func range(hostIP: IPv4Address = IPv4Address(0), hostPorts: ClosedRange<UInt16>,
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

    /// "0.0.0.0:8080->172.18.0.2:80/tcp", as `docker ps` shows ports.
    public var description: String {
        "\(hostIP):\(hostPort)->\(containerIP):\(containerPort)/\(transport.rawValue)"
    }
}
