/// What a caller asks for when creating a network (`docker network create` and compose's
/// `networks:` map onto it).
public struct NetworkConfiguration: Sendable, Equatable {
    public var name: String
    public var driver: String
    /// IPv4 subnet in CIDR form; nil picks a free one from the default pools.
    public var subnet: String?
    public var gateway: String?
    /// The part of the subnet endpoints get addresses from.
    public var ipRange: String?
    /// No traffic leaves or enters the network except between its endpoints.
    public var isInternal: Bool
    public var isAttachable: Bool
    public var labels: [String: String]
    /// Driver options; understood: `com.docker.network.bridge.name`,
    /// `com.docker.network.driver.mtu`.
    public var options: [String: String]
    /// Also give endpoints IPv6 addresses (`enable_ipv6`).
    public var enableIPv6: Bool
    /// IPv6 prefix; nil with `enableIPv6` picks a unique local /64 (fdXX:…::/64).
    public var subnetV6: String?
    public var gatewayV6: String?

    public init(name: String, driver: String = "bridge", subnet: String? = nil, gateway: String? = nil,
                ipRange: String? = nil, isInternal: Bool = false, isAttachable: Bool = false,
                labels: [String: String] = [:], options: [String: String] = [:],
                enableIPv6: Bool = false, subnetV6: String? = nil, gatewayV6: String? = nil) {
        self.name = name
        self.driver = driver
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        self.isInternal = isInternal
        self.isAttachable = isAttachable
        self.labels = labels
        self.options = options
        self.enableIPv6 = enableIPv6
        self.subnetV6 = subnetV6
        self.gatewayV6 = gatewayV6
    }

    static let bridgeNameOption = "com.docker.network.bridge.name"
    static let mtuOption = "com.docker.network.driver.mtu"
}

/// A network as recorded on disk (`<root>/networks/<id>.json`).
public struct NetworkRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var driver: String
    /// Seconds since the epoch.
    public var created: Int
    public var bridge: String
    public var subnet: String
    public var gateway: String
    public var ipRange: String?
    public var mtu: UInt32?
    public var isInternal: Bool
    public var isAttachable: Bool
    public var labels: [String: String]
    public var options: [String: String]
    /// IPv6 prefix and gateway when the network has IPv6.
    public var subnetV6: String?
    public var gatewayV6: String?
    /// Attached containers by container id.
    public var endpoints: [String: EndpointRecord]
}

/// One container's attachment to a network.
public struct EndpointRecord: Codable, Sendable, Equatable {
    public var containerID: String
    public var containerName: String
    /// Further names the container answers to on this network (service name, aliases).
    public var aliases: [String]
    public var ipv4Address: String
    public var ipv6Address: String?
    public var macAddress: String
    /// The interface inside the container (eth0, eth1, …).
    public var interfaceName: String
    /// The veth end on the bridge.
    public var hostInterface: String
    public var sandbox: String
}

/// What a container needs to know about an attachment: its interface and address, the
/// route out, and the DNS server to put in its resolv.conf.
public struct Endpoint: Sendable, Equatable {
    public var networkID: String
    public var networkName: String
    public var interfaceName: String
    public var ipv4Address: String
    public var prefixLength: Int
    public var gateway: String
    /// Set on networks with IPv6.
    public var ipv6Address: String?
    public var prefixLengthV6: Int?
    public var gatewayV6: String?
    public var macAddress: String
    /// The network's embedded DNS server (its gateway address).
    public var dnsServer: String
    public var aliases: [String]
}
