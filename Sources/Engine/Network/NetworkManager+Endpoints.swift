import FoundationEssentials
import Glibc
import NetworkServices
import SystemSupport

/// Sandboxes (pinned network namespaces) and the endpoints that attach them to networks.
extension NetworkManager {
    /// Pins a new network namespace for a container at `<run>/netns/<containerID>` and
    /// returns its path; an existing one is kept, so a restarted container keeps its addresses.
    public func createSandbox(containerID: String) throws(EngineError) -> String {
        let path = sandboxPath(containerID: containerID)
        if NetworkNamespace.isPinned(at: path) { return path }
        NetworkNamespace.remove(at: path)
        do {
            try makeDirectories(state.runPath("netns"), mode: 0o755)
            try NetworkNamespace.create(at: path)
        } catch {
            throw EngineError(.system, "cannot create the network namespace of container \(containerID)", cause: error)
        }
        return path
    }

    /// Disconnects the container from every network and releases its namespace.
    public func removeSandbox(containerID: String) throws(EngineError) {
        // Unpinning the namespace destroys its veth pairs with it: the kernel tears down
        // dying namespaces in batches, where deleting each veth here costs an RCU grace
        // period (~40 ms) under the network lock — most of `down`'s time for many containers.
        NetworkNamespace.remove(at: sandboxPath(containerID: containerID))
        for record in try list() where record.endpoints[containerID] != nil {
            try disconnect(network: record.id, containerID: containerID, deletingLink: false)
        }
    }

    public func sandboxPath(containerID: String) -> String {
        state.runPath("netns", containerID)
    }

    /// The containers that have a network namespace pinned (their sandbox names).
    public func sandboxes() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: state.runPath("netns"))) ?? []).sorted()
    }

    /// Attaches the namespace at `sandbox` to a network: a veth pair whose inner end
    /// (eth0, eth1, …) gets an address (the requested one or the next free), a MAC and, on
    /// the first non-internal network, the default route; the outer end joins the bridge.
    /// `containerName` and `aliases` become DNS names on the network.
    public func connect(sandbox: String, network reference: String, containerID: String, containerName: String,
                        aliases: [String] = [], ipv4Address: String? = nil, ipv6Address: String? = nil,
                        macAddress: String? = nil) throws(EngineError) -> Endpoint {
        try store.locked { () throws(EngineError) -> Endpoint in
            var record = try inspect(reference)
            if record.endpoints[containerID] != nil {
                throw EngineError(.conflict, "container \(containerName) is already connected to network \(record.name)")
            }
            guard let subnet = IPv4Subnet(record.subnet), let gateway = IPv4Address(record.gateway) else {
                throw EngineError(.corrupt, "network record \(record.name) has an unreadable subnet or gateway")
            }
            try ensureReady(record)
            let used = Set(record.endpoints.values.compactMap { IPv4Address($0.ipv4Address) })
            let address: IPv4Address
            if let text = ipv4Address {
                guard let requested = IPv4Address(text) else {
                    throw EngineError(.invalidArgument, "ipv4_address \(text) of \(containerName) is not an IPv4 address")
                }
                try IPAddressManagement.validate(requested, in: subnet, gateway: gateway, used: used, network: record.name)
                address = requested
            } else {
                address = try IPAddressManagement.nextAddress(in: subnet, range: record.ipRange.flatMap { IPv4Subnet($0) },
                                                              gateway: gateway, used: used)
            }
            var v6: EndpointV6?
            if let subnetV6 = record.subnetV6.flatMap({ IPv6Subnet($0) }), let gatewayV6 = record.gatewayV6.flatMap({ IPv6Address($0) }) {
                let usedV6 = Set(record.endpoints.values.compactMap { $0.ipv6Address.flatMap { IPv6Address($0) } })
                let addressV6 = try IPAddressManagement.addressV6(requested: ipv6Address, ipv4: address, in: subnet, subnet: subnetV6,
                                                                  gateway: gatewayV6, used: usedV6, network: record.name)
                v6 = EndpointV6(address: addressV6, subnet: subnetV6, gateway: gatewayV6)
            } else if ipv6Address != nil {
                throw EngineError(.invalidArgument, "network \(record.name) has no IPv6; create it with enable_ipv6 to give \(containerName) an IPv6 address")
            }
            let mac: [UInt8]
            if let text = macAddress {
                guard let parsed = MACAddress.parse(text) else {
                    throw EngineError(.invalidArgument, "mac_address \(text) of \(containerName) is not like 02:42:ac:11:00:02")
                }
                mac = parsed
            } else {
                mac = IPAddressManagement.macAddress(for: address)
            }
            let hostInterface = "veth" + SHA256Hasher.digest(Array((record.id + containerID).utf8)).dropFirst(7).prefix(11)
            // The name is this attachment's own: one that exists is the leftover of an attach
            // killed before it was recorded; deleting it removes its peer too.
            deleteLink(hostInterface)
            let interfaceName = try plumb(sandbox: sandbox, record: record, hostInterface: hostInterface,
                                          address: address, subnet: subnet, gateway: gateway, v6: v6, mac: mac)
            let endpoint = EndpointRecord(containerID: containerID, containerName: containerName, aliases: aliases,
                                          ipv4Address: address.description, ipv6Address: v6?.address.description,
                                          macAddress: MACAddress.format(mac),
                                          interfaceName: interfaceName, hostInterface: hostInterface, sandbox: sandbox)
            record.endpoints[containerID] = endpoint
            do throws(EngineError) {
                try store.save(record)
                try writeEndpointTable(of: record)
            } catch {
                deleteLink(hostInterface)
                throw error
            }
            return Endpoint(networkID: record.id, networkName: record.name, interfaceName: interfaceName,
                            ipv4Address: address.description, prefixLength: subnet.prefixLength,
                            gateway: gateway.description, ipv6Address: v6?.address.description,
                            prefixLengthV6: v6?.subnet.prefixLength, gatewayV6: v6?.gateway.description,
                            macAddress: endpoint.macAddress,
                            dnsServer: gateway.description, aliases: aliases)
        }
    }

    /// Detaches a container from a network; its veth pair goes, its address is freed.
    /// `deletingLink: false` when its namespace is already gone and takes the pair with it.
    public func disconnect(network reference: String, containerID: String, deletingLink: Bool = true) throws(EngineError) {
        try store.locked { () throws(EngineError) in
            var record = try inspect(reference)
            guard let endpoint = record.endpoints.removeValue(forKey: containerID) else {
                throw EngineError(.notFound, "container \(containerID) is not connected to network \(record.name)")
            }
            if deletingLink { deleteLink(endpoint.hostInterface) }
            try store.save(record)
            try writeEndpointTable(of: record)
        }
    }

    /// Creates the veth pair and configures both ends; returns the inner interface's name.
    private func plumb(sandbox: String, record: NetworkRecord, hostInterface: String, address: IPv4Address,
                       subnet: IPv4Subnet, gateway: IPv4Address, v6: EndpointV6?, mac: [UInt8]) throws(EngineError) -> String {
        var created = false
        do {
            let inside = try NetworkNamespace.netlinkSocket(in: sandbox)
            let taken = Set(try inside.linkNames().values)
            let interfaceName = (0...).lazy.map { "eth\($0)" }.first { !taken.contains($0) }!
            let namespace = try Syscall.retrying("open", sandbox) { open(sandbox, O_RDONLY | O_CLOEXEC) }
            defer { close(namespace) }
            let host = try NetlinkSocket()
            guard let bridge = try host.linkIndex(named: record.bridge) else {
                throw EngineError(.notFound, "bridge \(record.bridge) of network \(record.name) is missing; "
                    + "remove and recreate the network")
            }
            try host.createVeth(hostName: hostInterface, peerName: interfaceName, peerNamespace: namespace,
                                peerMAC: mac, mtu: record.mtu)
            created = true
            guard let outer = try host.linkIndex(named: hostInterface),
                  let inner = try inside.linkIndex(named: interfaceName) else {
                throw SystemCallError("netlink", "veth \(hostInterface) vanished", errno: ENODEV)
            }
            try host.setUp(index: outer, master: bridge)
            try inside.addAddress(address, prefixLength: subnet.prefixLength, index: inner)
            if let v6 { try inside.addAddress(v6.address, prefixLength: v6.subnet.prefixLength, index: inner) }
            try inside.setUp(index: inner)
            let routed = try inside.hasDefaultRoute()
            if !record.isInternal && !routed {
                try inside.addDefaultRoute(via: gateway, index: inner)
            }
            if let v6, !record.isInternal, !(try inside.hasDefaultRoute(family: NetlinkConstant.inet6)) {
                try inside.addDefaultRoute(via: v6.gateway, index: inner)
            }
            return interfaceName
        } catch let error as EngineError {
            if created { deleteLink(hostInterface) }
            throw error
        } catch {
            if created { deleteLink(hostInterface) }
            throw EngineError(.system, "cannot attach \(sandbox) to network \(record.name)", cause: error)
        }
    }

    private func deleteLink(_ name: String) {
        if let netlink = try? NetlinkSocket(), let index = try? netlink.linkIndex(named: name) {
            try? netlink.deleteLink(index: index)
        }
    }
}

/// An endpoint's IPv6 side, on networks that have one.
struct EndpointV6 {
    let address: IPv6Address
    let subnet: IPv6Subnet
    let gateway: IPv6Address
}
