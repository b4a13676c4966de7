import Glibc
import NetworkServices
import SystemSupport

/// The engine's bridge networks: create and remove them, pin container network namespaces
/// (sandboxes), and attach sandboxes to networks. Links, addresses and routes go through
/// netlink; NAT and isolation through a per-network nftables table; names through the
/// network's DNS server, which reads the endpoint table written here.
public struct NetworkManager: Sendable {
    public let state: StateRoot
    let store: NetworkStore

    public init(state: StateRoot) {
        self.state = state
        store = NetworkStore(state: state)
    }

    public func list() throws(EngineError) -> [NetworkRecord] {
        try store.all()
    }

    /// The network with this name, id or unique id prefix.
    public func inspect(_ reference: String) throws(EngineError) -> NetworkRecord {
        guard let record = try store.find(reference) else {
            throw EngineError(.notFound, "network \(reference) not found; see swiftcompose network ls")
        }
        return record
    }

    public func create(_ configuration: NetworkConfiguration) throws(EngineError) -> NetworkRecord {
        guard configuration.driver == "bridge" else {
            throw EngineError(.unsupported, "network driver \(configuration.driver) is not supported; use bridge")
        }
        return try store.locked { () throws(EngineError) -> NetworkRecord in
            let existing = try store.all()
            if existing.contains(where: { $0.name == configuration.name }) {
                throw EngineError(.alreadyExists, "network with name \(configuration.name) already exists")
            }
            // Host-wide: engines with other state roots choose subnets and bridges too.
            let hostLock = try lockHost()
            defer { withExtendedLifetime(hostLock) {} }
            let plan = try NetworkPlan(configuration, existing: existing)
            try build(plan)
            let record = NetworkRecord(
                id: plan.id, name: configuration.name, driver: "bridge", created: Int(time(nil)),
                bridge: plan.bridge, subnet: plan.subnet.description, gateway: plan.gateway.description,
                ipRange: plan.ipRange?.description, mtu: plan.mtu, isInternal: configuration.isInternal,
                isAttachable: configuration.isAttachable, labels: configuration.labels,
                options: configuration.options, subnetV6: plan.subnetV6?.description,
                gatewayV6: plan.gatewayV6?.description, endpoints: [:])
            do throws(EngineError) {
                try writeEndpointTable(of: record)
                try store.save(record)
                try NameServerProcess.start(for: record, state: state)
            } catch {
                tearDown(record)
                throw error
            }
            return record
        }
    }

    /// Removes a network that has no endpoints: its DNS server, rules, bridge and record.
    public func remove(_ reference: String) throws(EngineError) {
        try store.locked { () throws(EngineError) in
            let record = try inspect(reference)
            guard record.endpoints.isEmpty else {
                let names = record.endpoints.values.map(\.containerName).sorted().joined(separator: ", ")
                throw EngineError(.inUse, "network \(record.name) has active endpoints (\(names)); "
                    + "stop or disconnect those containers first")
            }
            tearDown(record)
        }
    }

    /// Removes every network without endpoints whose labels include `labels`; returns their names.
    public func prune(labels: [String: String] = [:]) throws(EngineError) -> [String] {
        try store.locked { () throws(EngineError) -> [String] in
            var removed: [String] = []
            for record in try store.all() where record.endpoints.isEmpty
                && labels.allSatisfy({ record.labels[$0.key] == $0.value }) {
                tearDown(record)
                removed.append(record.name)
            }
            return removed
        }
    }

    /// Rebuilds what of a recorded network is missing on the host — its bridge and rules
    /// after a reboot, its DNS server after a crash — so attaching to it just works.
    func ensureReady(_ record: NetworkRecord) throws(EngineError) {
        let present: Bool
        do { present = try NetlinkSocket().linkIndex(named: record.bridge) != nil } catch {
            throw EngineError(.system, "cannot look up bridge \(record.bridge)", cause: error)
        }
        if !present {
            NameServerProcess.stop(for: record, state: state)
            try build(NetworkPlan(restoring: record))
        }
        if !NameServerProcess.isRunning(for: record, state: state) {
            try writeEndpointTable(of: record)
            try NameServerProcess.start(for: record, state: state)
        }
    }

    private func build(_ plan: NetworkPlan) throws(EngineError) {
        do {
            let netlink = try NetlinkSocket()
            if try netlink.linkIndex(named: plan.bridge) != nil {
                throw EngineError(.alreadyExists, "a network interface named \(plan.bridge) already exists on the host; "
                    + "choose another \(NetworkConfiguration.bridgeNameOption)")
            }
            try netlink.createBridge(named: plan.bridge, mac: IPAddressManagement.macAddress(for: plan.gateway), mtu: plan.mtu)
            guard let index = try netlink.linkIndex(named: plan.bridge) else {
                throw SystemCallError("netlink", "bridge \(plan.bridge) vanished", errno: ENODEV)
            }
            try netlink.addAddress(plan.gateway, prefixLength: plan.subnet.prefixLength, index: index)
            if let gatewayV6 = plan.gatewayV6, let subnetV6 = plan.subnetV6 {
                try netlink.addAddress(gatewayV6, prefixLength: subnetV6.prefixLength, index: index)
            }
            try netlink.setUp(index: index)
            try NetworkFirewall.install(networkID: plan.id, bridge: plan.bridge, subnet: plan.subnet,
                                        subnetV6: plan.subnetV6, isInternal: plan.isInternal)
            if !plan.isInternal { try NetworkFirewall.enableForwarding(ipv6: plan.subnetV6 != nil) }
        } catch let error as EngineError {
            tearDownLinks(bridge: plan.bridge, networkID: plan.id)
            throw error
        } catch {
            tearDownLinks(bridge: plan.bridge, networkID: plan.id)
            throw EngineError(.system, "cannot create bridge \(plan.bridge) for network \(plan.subnet)", cause: error)
        }
    }

    /// Best effort: everything of the network goes, whatever is already gone.
    func tearDown(_ record: NetworkRecord) {
        NameServerProcess.stop(for: record, state: state)
        tearDownLinks(bridge: record.bridge, networkID: record.id)
        store.delete(record)
        let directory = runDirectory(of: record)
        unlink(directory + "/endpoints")
        rmdir(directory)
    }

    private func tearDownLinks(bridge: String, networkID: String) {
        try? NetworkFirewall.remove(networkID: networkID)
        if let netlink = try? NetlinkSocket(), let index = try? netlink.linkIndex(named: bridge) {
            try? netlink.deleteLink(index: index)
        }
    }

    private func lockHost() throws(EngineError) -> FileLock {
        do {
            try makeDirectories("/run/lock")
            return try FileLock(exclusive: "/run/lock/swiftcompose-networks.lock")
        } catch {
            throw EngineError(.system, "cannot take the host-wide network lock", cause: error)
        }
    }

    func runDirectory(of record: NetworkRecord) -> String {
        state.runPath("networks", record.id)
    }

    /// Publishes the network's names and addresses for its DNS server (atomic replace).
    func writeEndpointTable(of record: NetworkRecord) throws(EngineError) {
        let entries = record.endpoints.values.sorted { $0.containerName < $1.containerName }.compactMap { endpoint in
            IPv4Address(endpoint.ipv4Address).map {
                EndpointTable.Entry(address: $0, addressV6: endpoint.ipv6Address.flatMap { IPv6Address($0) },
                                    containerName: endpoint.containerName, aliases: endpoint.aliases)
            }
        }
        let directory = runDirectory(of: record)
        do {
            try makeDirectories(directory, mode: 0o755)
            try AtomicFile.write(EndpointTable(entries: entries).rendered(network: record.name), to: directory + "/endpoints")
        } catch {
            throw EngineError(.system, "cannot write the endpoint table of network \(record.name)", cause: error)
        }
    }
}
