import NetworkServices
import SystemSupport

/// A network's settings resolved and checked before anything is created on the host.
struct NetworkPlan {
    let id: String
    let bridge: String
    let subnet: IPv4Subnet
    let gateway: IPv4Address
    let ipRange: IPv4Subnet?
    let mtu: UInt32?
    let isInternal: Bool
    let subnetV6: IPv6Subnet?
    let gatewayV6: IPv6Address?

    init(_ configuration: NetworkConfiguration, existing: [NetworkRecord]) throws(EngineError) {
        var random = SystemRandomNumberGenerator()
        id = hexString((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        let name = configuration.name
        bridge = configuration.options[NetworkConfiguration.bridgeNameOption] ?? "br-" + id.prefix(12)
        guard (1...15).contains(bridge.utf8.count), !bridge.contains("/"), !bridge.contains(" ") else {
            throw EngineError(.invalidArgument, "bridge name \(bridge) of network \(name) must be 1 to 15 characters without '/' or spaces")
        }
        let ours = existing.compactMap { IPv4Subnet($0.subnet) }
        if let text = configuration.subnet {
            guard let requested = IPv4Subnet(text), requested.prefixLength <= 30 else {
                throw EngineError(.invalidArgument, "subnet \(text) of network \(name) is not an IPv4 CIDR block of /30 or larger (like 172.28.0.0/16)")
            }
            if let clash = existing.first(where: { IPv4Subnet($0.subnet)?.overlaps(requested) == true }) {
                throw EngineError(.conflict, "subnet \(requested) of network \(name) overlaps network \(clash.name) (\(clash.subnet))")
            }
            subnet = requested
        } else {
            let routed: [IPv4Subnet]
            do { routed = try NetlinkSocket().routedSubnets() } catch {
                throw EngineError(.system, "cannot read the host's routes to choose a subnet", cause: error)
            }
            subnet = try IPAddressManagement.chooseSubnet(avoiding: routed + ours)
        }
        if let text = configuration.gateway {
            guard let address = IPv4Address(text), subnet.contains(address), address != subnet.base,
                  address != subnet.broadcast else {
                throw EngineError(.invalidArgument, "gateway \(text) of network \(name) is not a usable address of \(subnet)")
            }
            gateway = address
        } else {
            gateway = subnet.address(at: 1)
        }
        if let text = configuration.ipRange {
            guard let range = IPv4Subnet(text), subnet.contains(range.base), range.prefixLength >= subnet.prefixLength else {
                throw EngineError(.invalidArgument, "ip_range \(text) of network \(name) is not inside its subnet \(subnet)")
            }
            ipRange = range
        } else {
            ipRange = nil
        }
        if let text = configuration.options[NetworkConfiguration.mtuOption] {
            guard let value = UInt32(text), (68...65535).contains(value) else {
                throw EngineError(.invalidArgument, "MTU \(text) of network \(name) must be a number from 68 to 65535")
            }
            mtu = value
        } else {
            mtu = nil
        }
        isInternal = configuration.isInternal
        if configuration.enableIPv6 || configuration.subnetV6 != nil {
            if let text = configuration.subnetV6 {
                guard let requested = IPv6Subnet(text), requested.prefixLength <= 120 else {
                    throw EngineError(.invalidArgument, "IPv6 subnet \(text) of network \(name) is not an IPv6 prefix of /120 or larger (like fd00:1::/64)")
                }
                let clash = existing.first { $0.subnetV6.flatMap { IPv6Subnet($0) }?.overlaps(requested) == true }
                if let clash {
                    throw EngineError(.conflict, "IPv6 subnet \(requested) of network \(name) overlaps network \(clash.name) (\(clash.subnetV6!))")
                }
                subnetV6 = requested
            } else {
                // A unique local prefix (RFC 4193) whose global id comes from the network id.
                let digits = Array(id.utf8.prefix(14))
                let bytes: [UInt8] = [0xfd] + stride(from: 0, to: 14, by: 2).map {
                    UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)!
                } + [UInt8](repeating: 0, count: 8)
                subnetV6 = IPv6Subnet(IPv6Address(bytes: bytes)!, prefixLength: 64)
            }
            if let text = configuration.gatewayV6 {
                guard let address = IPv6Address(text), subnetV6!.contains(address), address != subnetV6!.base else {
                    throw EngineError(.invalidArgument, "IPv6 gateway \(text) of network \(name) is not a usable address of \(subnetV6!)")
                }
                gatewayV6 = address
            } else {
                gatewayV6 = subnetV6!.address(at: 1)
            }
        } else {
            subnetV6 = nil
            gatewayV6 = nil
        }
    }

    /// The plan a recorded network was built from, to rebuild what a reboot or a crash took
    /// away (the bridge, its rules, its DNS server).
    init(restoring record: NetworkRecord) throws(EngineError) {
        guard let subnet = IPv4Subnet(record.subnet), let gateway = IPv4Address(record.gateway) else {
            throw EngineError(.corrupt, "network record \(record.name) has an unreadable subnet or gateway")
        }
        id = record.id
        bridge = record.bridge
        self.subnet = subnet
        self.gateway = gateway
        ipRange = record.ipRange.flatMap { IPv4Subnet($0) }
        mtu = record.mtu
        isInternal = record.isInternal
        subnetV6 = record.subnetV6.flatMap { IPv6Subnet($0) }
        gatewayV6 = record.gatewayV6.flatMap { IPv6Address($0) }
    }
}
