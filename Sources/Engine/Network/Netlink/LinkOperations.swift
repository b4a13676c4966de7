import Glibc
import NetworkServices
import SystemSupport

/// Links, addresses and routes: the few rtnetlink operations a bridge network needs.
extension NetlinkSocket {
    /// The index of the link called `name`, nil when there is none.
    func linkIndex(named name: String) throws(SystemCallError) -> Int32? {
        // A single get answers with the link, then (asked for) an acknowledgement.
        var request = NetlinkRequest(type: NetlinkConstant.getLink, flags: NetlinkConstant.acknowledge)
        request.appendLinkHeader()
        request.appendAttribute(NetlinkConstant.linkName, string: name)
        do throws(SystemCallError) {
            let replies = try dump(request, "get link \(name)")
            guard let reply = replies.first else { return nil }
            return Int32(bitPattern: reply.payload.load(UInt32.self, at: reply.payload.startIndex + 4))
        } catch where error.errno == ENODEV {
            return nil
        }
    }

    /// Every link's name by index.
    func linkNames() throws(SystemCallError) -> [Int32: String] {
        var request = NetlinkRequest(type: NetlinkConstant.getLink, flags: NetlinkConstant.dump)
        request.appendLinkHeader()
        var names: [Int32: String] = [:]
        for reply in try dump(request, "list links") where reply.type == NetlinkConstant.newLink {
            let index = Int32(bitPattern: reply.payload.load(UInt32.self, at: reply.payload.startIndex + 4))
            names[index] = reply.attributes(after: 16)[NetlinkConstant.linkName]?.cString
        }
        return names
    }

    /// A bridge with a fixed MAC: left to itself a bridge takes the lowest MAC of its ports
    /// and changes it when that port goes, leaving every container's ARP entry for the
    /// gateway stale.
    func createBridge(named name: String, mac: [UInt8], mtu: UInt32?) throws(SystemCallError) {
        var request = NetlinkRequest(type: NetlinkConstant.newLink,
                                     flags: NetlinkConstant.create | NetlinkConstant.exclusive)
        request.appendLinkHeader()
        request.appendAttribute(NetlinkConstant.linkName, string: name)
        request.appendAttribute(NetlinkConstant.linkAddress, mac)
        if let mtu { request.appendAttribute(NetlinkConstant.linkMTU, uint32: mtu) }
        request.beginNested(NetlinkConstant.linkInfo | NetlinkConstant.nested)
        request.appendAttribute(NetlinkConstant.infoKind, string: "bridge")
        request.endNested()
        try execute(request, "create bridge \(name)")
    }

    /// A veth pair whose peer is created straight inside the namespace open at `peerNamespace`,
    /// already carrying its final name and MAC address.
    func createVeth(hostName: String, peerName: String, peerNamespace: Int32,
                    peerMAC: [UInt8], mtu: UInt32?) throws(SystemCallError) {
        var request = NetlinkRequest(type: NetlinkConstant.newLink,
                                     flags: NetlinkConstant.create | NetlinkConstant.exclusive)
        request.appendLinkHeader()
        request.appendAttribute(NetlinkConstant.linkName, string: hostName)
        if let mtu { request.appendAttribute(NetlinkConstant.linkMTU, uint32: mtu) }
        request.beginNested(NetlinkConstant.linkInfo | NetlinkConstant.nested)
        request.appendAttribute(NetlinkConstant.infoKind, string: "veth")
        request.beginNested(NetlinkConstant.infoData | NetlinkConstant.nested)
        request.beginNested(NetlinkConstant.vethPeer | NetlinkConstant.nested)
        request.appendRaw([UInt8](repeating: 0, count: 16))
        request.appendAttribute(NetlinkConstant.linkName, string: peerName)
        request.appendAttribute(NetlinkConstant.linkAddress, peerMAC)
        if let mtu { request.appendAttribute(NetlinkConstant.linkMTU, uint32: mtu) }
        request.appendAttribute(NetlinkConstant.linkNamespaceFD, uint32: UInt32(bitPattern: peerNamespace))
        request.endNested()
        request.endNested()
        request.endNested()
        try execute(request, "create veth \(hostName)")
    }

    /// Brings a link up, optionally enslaving it to a bridge first.
    func setUp(index: Int32, master: Int32? = nil) throws(SystemCallError) {
        var request = NetlinkRequest(type: NetlinkConstant.newLink, flags: 0)
        request.appendLinkHeader(index: index, flags: NetlinkConstant.interfaceUp, change: NetlinkConstant.interfaceUp)
        if let master { request.appendAttribute(NetlinkConstant.linkMaster, uint32: UInt32(bitPattern: master)) }
        try execute(request, "set link \(index) up")
    }

    func deleteLink(index: Int32) throws(SystemCallError) {
        var request = NetlinkRequest(type: NetlinkConstant.deleteLink, flags: 0)
        request.appendLinkHeader(index: index)
        try execute(request, "delete link \(index)")
    }

    func addAddress(_ address: IPv4Address, prefixLength: Int, index: Int32) throws(SystemCallError) {
        var request = NetlinkRequest(type: NetlinkConstant.newAddress,
                                     flags: NetlinkConstant.create | NetlinkConstant.exclusive)
        request.appendAddressHeader(family: UInt8(AF_INET), prefixLength: UInt8(prefixLength), index: index)
        request.appendAttribute(NetlinkConstant.addressLocal, address.bytes)
        request.appendAttribute(NetlinkConstant.addressAddress, address.bytes)
        let broadcast = IPv4Subnet(address, prefixLength: prefixLength).broadcast
        if prefixLength < 31 { request.appendAttribute(NetlinkConstant.addressBroadcast, broadcast.bytes) }
        try execute(request, "add address \(address)/\(prefixLength)")
    }

    /// An IPv6 address, usable at once (no duplicate address detection: the engine hands
    /// out every address of the prefix itself).
    func addAddress(_ address: IPv6Address, prefixLength: Int, index: Int32) throws(SystemCallError) {
        var request = NetlinkRequest(type: NetlinkConstant.newAddress,
                                     flags: NetlinkConstant.create | NetlinkConstant.exclusive)
        request.appendAddressHeader(family: NetlinkConstant.inet6, prefixLength: UInt8(prefixLength),
                                    flags: NetlinkConstant.noDuplicateDetection, index: index)
        request.appendAttribute(NetlinkConstant.addressLocal, address.bytes)
        request.appendAttribute(NetlinkConstant.addressAddress, address.bytes)
        try execute(request, "add address \(address)/\(prefixLength)")
    }

    func addDefaultRoute(via gateway: IPv6Address, index: Int32) throws(SystemCallError) {
        var request = NetlinkRequest(type: NetlinkConstant.newRoute,
                                     flags: NetlinkConstant.create | NetlinkConstant.exclusive)
        request.appendRouteHeader(family: NetlinkConstant.inet6, destinationLength: 0, table: NetlinkConstant.mainTable,
                                  protocol: NetlinkConstant.protocolStatic, scope: NetlinkConstant.scopeUniverse,
                                  type: NetlinkConstant.unicast)
        request.appendAttribute(NetlinkConstant.routeGateway, gateway.bytes)
        request.appendAttribute(NetlinkConstant.routeOutput, uint32: UInt32(bitPattern: index))
        try execute(request, "add default route via \(gateway)")
    }

    func addDefaultRoute(via gateway: IPv4Address, index: Int32) throws(SystemCallError) {
        var request = NetlinkRequest(type: NetlinkConstant.newRoute,
                                     flags: NetlinkConstant.create | NetlinkConstant.exclusive)
        request.appendRouteHeader(family: UInt8(AF_INET), destinationLength: 0, table: NetlinkConstant.mainTable,
                                  protocol: NetlinkConstant.protocolStatic, scope: NetlinkConstant.scopeUniverse,
                                  type: NetlinkConstant.unicast)
        request.appendAttribute(NetlinkConstant.routeGateway, gateway.bytes)
        request.appendAttribute(NetlinkConstant.routeOutput, uint32: UInt32(bitPattern: index))
        try execute(request, "add default route via \(gateway)")
    }

    /// Every IPv4 destination routed in any table, except the default route.
    func routedSubnets() throws(SystemCallError) -> [IPv4Subnet] {
        var request = NetlinkRequest(type: NetlinkConstant.getRoute, flags: NetlinkConstant.dump)
        request.appendRouteHeader(family: UInt8(AF_INET), destinationLength: 0, table: 0,
                                  protocol: 0, scope: 0, type: 0)
        var subnets: [IPv4Subnet] = []
        for reply in try dump(request, "list routes") where reply.type == NetlinkConstant.newRoute {
            let length = Int(reply.payload[reply.payload.startIndex + 1])
            guard length > 0, let raw = reply.attributes(after: 12)[NetlinkConstant.routeDestination],
                  let destination = IPv4Address(bytes: raw) else { continue }
            subnets.append(IPv4Subnet(destination, prefixLength: length))
        }
        return subnets
    }
}

extension NetlinkSocket {
    func hasDefaultRoute(family: UInt8 = UInt8(AF_INET)) throws(SystemCallError) -> Bool {
        var request = NetlinkRequest(type: NetlinkConstant.getRoute, flags: NetlinkConstant.dump)
        request.appendRouteHeader(family: family, destinationLength: 0, table: 0,
                                  protocol: 0, scope: 0, type: 0)
        return try dump(request, "list routes").contains { reply in
            reply.type == NetlinkConstant.newRoute && reply.payload[reply.payload.startIndex + 1] == 0
                && reply.payload[reply.payload.startIndex + 4] == NetlinkConstant.mainTable
        }
    }
}
