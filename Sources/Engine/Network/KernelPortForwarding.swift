import Glibc
import NetworkServices
import SystemSupport

/// Published ports. IPv4 ones are forwarded by the kernel (nftables DNAT), which holds no
/// socket and costs no proxy hop: the ceiling for throughput and connection rate. Each
/// container's rules live in a table of their own (`ip swiftcompose-ports-<hash>`), removed
/// whole with `unpublish`.
///
/// Traffic from the host itself (127.0.0.1 included) is caught in the output hook; for
/// packets from 127.0.0.1 to leave through the bridge at all, the bridge gets
/// `route_localnet`, and such packets — like hairpin traffic from the container's own
/// network — are masqueraded so the reply comes back through the host.
///
/// IPv6 ones cannot be DNATed onto a container's IPv4 address (nor can ::1 be routed out at
/// all), so the container's monitor serves them with the userland port proxy while it runs
/// (`LaunchConfigBuilder`). They are recorded here all the same, so a conflict with another
/// container is refused up front, naming it.
extension NetworkManager {
    public func publish(_ bindings: [PortBinding], containerID: String) throws(EngineError) {
        guard !bindings.isEmpty else { return }
        let networks = try list()
        var forwarded: [(PortBinding, IPv4Subnet)] = []
        for binding in bindings {
            guard binding.hostPort != 0 else {
                throw EngineError(.invalidArgument, "a published port needs a fixed host port (\(binding))")
            }
            guard let record = networks.first(where: { IPv4Subnet($0.subnet)?.contains(binding.containerIP) == true }),
                  let subnet = IPv4Subnet(record.subnet) else {
                throw EngineError(.notFound, "\(binding.containerIP) is on none of the engine's networks; cannot forward \(binding)")
            }
            guard !binding.hostIP.isIPv6 else { continue }
            try enableLocalnetRouting(bridge: record.bridge)
            forwarded.append((binding, subnet))
        }
        let records = PublishedPortRecords(state: state)
        try records.locked { () throws(EngineError) in
            // A port another container publishes, or a socket listens on, is refused first.
            try records.checkFree(bindings, for: containerID)
            if !forwarded.isEmpty {
                try NetworkFirewall.apply(KernelPortForwarding.ruleset(forwarded, table: KernelPortForwarding.table(containerID)),
                                          what: "forward the published ports of container \(containerID)")
            }
            do throws(EngineError) {
                try records.save(bindings, for: containerID)
            } catch {
                try? unpublish(containerID: containerID)
                throw error
            }
        }
    }

    /// Removes the container's forwarding rules and records; none at all is fine.
    public func unpublish(containerID: String) throws(EngineError) {
        let table = KernelPortForwarding.table(containerID)
        try NetworkFirewall.apply("table ip \(table)\ndelete table ip \(table)\n", what: "remove nftables table \(table)")
        PublishedPortRecords(state: state).delete(for: containerID)
    }

    /// Every container's published ports, by container id (for `port` and `ps`).
    public func publishedPorts() -> [String: [PortBinding]] {
        Dictionary(PublishedPortRecords(state: state).all(), uniquingKeysWith: { first, _ in first })
    }

    private func enableLocalnetRouting(bridge: String) throws(EngineError) {
        let path = "/proc/sys/net/ipv4/conf/\(bridge)/route_localnet"
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0, write(fd, "1", 1) == 1 else {
            if fd >= 0 { close(fd) }
            throw EngineError(.system, "cannot let 127.0.0.1 traffic reach bridge \(bridge)", cause: SystemCallError("write", path))
        }
        close(fd)
    }
}

enum KernelPortForwarding {
    static func table(_ containerID: String) -> String {
        "swiftcompose-ports-" + SHA256Hasher.digest(Array(containerID.utf8)).dropFirst(7).prefix(12)
    }

    /// DNAT rules for IPv4 bindings, each with the subnet of its container's network.
    static func ruleset(_ bindings: [(PortBinding, IPv4Subnet)], table: String) -> String {
        var dnat: [String] = []
        var masquerade: [String] = []
        for (binding, subnet) in bindings {
            let destination = binding.hostIP.isUnspecified ? "fib daddr type local" : "ip daddr \(binding.hostIP)"
            let proto = binding.transport.rawValue
            dnat.append("\(destination) \(proto) dport \(binding.hostPort) dnat to \(binding.containerIP):\(binding.containerPort)")
            masquerade.append("ct status dnat ip saddr { 127.0.0.0/8, \(subnet) } ip daddr \(binding.containerIP) "
                + "\(proto) dport \(binding.containerPort) masquerade")
        }
        let rules = { (lines: [String]) in lines.map { "        " + $0 }.joined(separator: "\n") }
        return """
        table ip \(table)
        delete table ip \(table)
        table ip \(table) {
            chain prerouting {
                type nat hook prerouting priority dstnat; policy accept;
        \(rules(dnat))
            }
            chain output {
                type nat hook output priority -100; policy accept;
        \(rules(dnat))
            }
            chain postrouting {
                type nat hook postrouting priority srcnat; policy accept;
        \(rules(masquerade))
            }
        }

        """
    }
}
