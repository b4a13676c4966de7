import NetworkServices
import SystemSupport

/// Chooses subnets for new networks and addresses for endpoints.
enum IPAddressManagement {
    /// Docker's default pools, in Docker's order: 172.17–31.0.0/16, then 192.168.0–240.0/20.
    static let defaultPool: [IPv4Subnet] =
        (17...31).map { IPv4Subnet(IPv4Address(172, UInt8($0), 0, 0), prefixLength: 16) }
        + stride(from: 0, through: 240, by: 16).map { IPv4Subnet(IPv4Address(192, 168, UInt8($0), 0), prefixLength: 20) }

    /// The first default subnet that overlaps nothing routed on the host and no other network.
    static func chooseSubnet(avoiding taken: [IPv4Subnet]) throws(EngineError) -> IPv4Subnet {
        guard let free = defaultPool.first(where: { candidate in !taken.contains { $0.overlaps(candidate) } }) else {
            throw EngineError(.conflict, "no free subnet left in the default pools (172.17-31.0.0/16, 192.168.0-240.0/20); "
                + "remove unused networks (swiftcompose network prune) or give the network an explicit subnet")
        }
        return free
    }

    /// The next free endpoint address of a network: from its ip range when it has one,
    /// never its base, broadcast, gateway or an address already given out.
    static func nextAddress(in subnet: IPv4Subnet, range: IPv4Subnet?, gateway: IPv4Address,
                            used: Set<IPv4Address>) throws(EngineError) -> IPv4Address {
        let pool = range ?? subnet
        var candidate = pool.base.value
        while candidate <= pool.last.value {
            let address = IPv4Address(candidate)
            if address != subnet.base, address != subnet.broadcast, address != gateway, !used.contains(address) {
                return address
            }
            candidate += 1
        }
        throw EngineError(.conflict, "no free address left in \(pool); disconnect containers or use a larger subnet")
    }

    /// Checks a requested static address.
    static func validate(_ address: IPv4Address, in subnet: IPv4Subnet, gateway: IPv4Address,
                         used: Set<IPv4Address>, network: String) throws(EngineError) {
        guard subnet.contains(address), address != subnet.base, address != subnet.broadcast else {
            throw EngineError(.invalidArgument, "address \(address) is not a usable address of network \(network) (\(subnet))")
        }
        guard address != gateway, !used.contains(address) else {
            throw EngineError(.conflict, "address \(address) is already in use on network \(network)")
        }
    }

    /// An endpoint's IPv6 address: the requested one, else the prefix plus its IPv4
    /// address's offset in the IPv4 subnet — unique as that is, and easy to read side by side.
    static func addressV6(requested: String?, ipv4: IPv4Address, in subnetV4: IPv4Subnet, subnet: IPv6Subnet,
                          gateway: IPv6Address, used: Set<IPv6Address>, network: String) throws(EngineError) -> IPv6Address {
        let address: IPv6Address
        if let requested {
            guard let parsed = IPv6Address(requested) else {
                throw EngineError(.invalidArgument, "ipv6_address \(requested) is not an IPv6 address")
            }
            address = parsed
        } else {
            address = subnet.address(at: UInt128(ipv4.value - subnetV4.base.value))
        }
        guard subnet.contains(address), address != subnet.base else {
            throw EngineError(.invalidArgument, "IPv6 address \(address) is not a usable address of network \(network) (\(subnet))")
        }
        guard address != gateway, !used.contains(address) else {
            throw EngineError(.conflict, "IPv6 address \(address) is already in use on network \(network)")
        }
        return address
    }

    /// A locally administered MAC derived from the address, as Docker does (02:42:ac:11:00:02).
    static func macAddress(for address: IPv4Address) -> [UInt8] {
        [0x02, 0x42] + address.bytes
    }
}

enum MACAddress {
    static func parse(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":")
        guard parts.count == 6 else { return nil }
        let bytes = parts.compactMap { $0.count == 2 ? UInt8($0, radix: 16) : nil }
        return bytes.count == 6 ? bytes : nil
    }

    static func format(_ bytes: [UInt8]) -> String {
        bytes.map { hexString([$0]) }.joined(separator: ":")
    }
}
