import Glibc
import NetworkServices
import SystemSupport

/// A network's nftables rules, kept in a table of its own (`inet swiftcompose-<id>`, IPv4
/// and IPv6 alike) so that
/// removing the network removes exactly its rules and nothing of anyone else's:
/// - masquerade for traffic leaving the subnet (not for internal networks);
/// - nothing new enters the bridge from elsewhere — other networks included, which is the
///   isolation between networks — unless it was published (DNAT) or is a reply;
/// - an internal network also sends nothing out.
/// The host itself reaches endpoints directly (OUTPUT is untouched), which the port proxy uses.
enum NetworkFirewall {
    static func tableName(networkID: String) -> String { "swiftcompose-" + networkID.prefix(12) }

    static func ruleset(networkID: String, bridge: String, subnet: IPv4Subnet, subnetV6: IPv6Subnet? = nil,
                        isInternal: Bool) -> String {
        let table = tableName(networkID: networkID)
        var forward = """
                oifname "\(bridge)" iifname "\(bridge)" accept

        """
        if isInternal {
            forward += """
                    iifname "\(bridge)" drop
                    oifname "\(bridge)" drop

            """
        } else {
            forward += """
                    oifname "\(bridge)" ct state established,related accept
                    oifname "\(bridge)" ct status dnat accept
                    oifname "\(bridge)" drop

            """
        }
        var text = """
        table inet \(table)
        delete table inet \(table)
        table inet \(table) {
            chain forward {
                type filter hook forward priority filter; policy accept;
        \(forward)    }

        """
        if !isInternal {
            var masquerade = ["ip saddr \(subnet) oifname != \"\(bridge)\" masquerade"]
            if let subnetV6 { masquerade.append("ip6 saddr \(subnetV6) oifname != \"\(bridge)\" masquerade") }
            text += """
                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
            \(masquerade.map { "            " + $0 + "\n" }.joined())    }

            """
        }
        return text + "}\n"
    }

    static func install(networkID: String, bridge: String, subnet: IPv4Subnet, subnetV6: IPv6Subnet?,
                        isInternal: Bool) throws(EngineError) {
        try apply(ruleset(networkID: networkID, bridge: bridge, subnet: subnet, subnetV6: subnetV6, isInternal: isInternal),
                  what: "install the firewall rules of bridge \(bridge)")
    }

    /// Removes the network's table; a table that is already gone is fine.
    static func remove(networkID: String) throws(EngineError) {
        let table = tableName(networkID: networkID)
        try apply("table inet \(table)\ndelete table inet \(table)\n", what: "remove nftables table \(table)")
    }

    static func apply(_ ruleset: String, what: String) throws(EngineError) {
        let outcome: HostCommand.Outcome
        do {
            outcome = try HostCommand.run("nft", ["-f", "-"], input: ruleset)
        } catch {
            throw EngineError(.system, "cannot \(what): nft could not be run (install nftables)", cause: error)
        }
        guard outcome.status == 0 else {
            throw EngineError(.system, "cannot \(what): nft failed: \(outcome.errorOutput)")
        }
    }

    /// Packets between networks and out of the host are forwarded only when the kernel
    /// forwards IPv4 at all.
    static func enableForwarding(ipv6: Bool) throws(EngineError) {
        try enable("/proc/sys/net/ipv4/ip_forward")
        if ipv6 { try enable("/proc/sys/net/ipv6/conf/all/forwarding") }
    }

    private static func enable(_ path: String) throws(EngineError) {
        if (try? AtomicFile.read(path)) == Array("1\n".utf8) { return }
        let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0, Glibc.write(fd, "1", 1) == 1 else {
            if fd >= 0 { Glibc.close(fd) }
            throw EngineError(.system, "cannot enable IPv4 forwarding (\(path)); containers would have no egress",
                              cause: SystemCallError("write", path))
        }
        Glibc.close(fd)
    }
}
