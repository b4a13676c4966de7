import SystemSupport

/// One network a container joins, with its per-network settings.
public struct NetworkAttachment: Sendable, Equatable {
    public var network: String
    /// Names the container answers to on this network besides its own (service name, aliases).
    public var aliases: [String]
    public var ipv4Address: String?
    public var ipv6Address: String?
    public var macAddress: String?

    public init(network: String, aliases: [String] = [], ipv4Address: String? = nil, ipv6Address: String? = nil,
                macAddress: String? = nil) {
        self.network = network
        self.aliases = aliases
        self.ipv4Address = ipv4Address
        self.ipv6Address = ipv6Address
        self.macAddress = macAddress
    }
}

extension NetworkManager {
    /// A container's whole network setup in one step: its sandbox, then one endpoint per
    /// attachment in order (the first non-internal one gives the default route and, by
    /// convention, the DNS server for resolv.conf). All or nothing: when one attachment
    /// fails, what was made for the others is taken away again.
    public func attach(containerID: String, containerName: String,
                       to attachments: [NetworkAttachment]) throws(EngineError) -> (sandbox: String, endpoints: [Endpoint]) {
        let sandbox = try createSandbox(containerID: containerID)
        var endpoints: [Endpoint] = []
        do throws(EngineError) {
            for attachment in attachments {
                endpoints.append(try connect(sandbox: sandbox, network: attachment.network, containerID: containerID,
                                             containerName: containerName, aliases: attachment.aliases,
                                             ipv4Address: attachment.ipv4Address, ipv6Address: attachment.ipv6Address,
                                             macAddress: attachment.macAddress))
            }
        } catch {
            try? removeSandbox(containerID: containerID)
            throw error
        }
        return (sandbox, endpoints)
    }
}
