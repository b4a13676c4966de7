import NetworkServices
import SystemSupport
import Testing
@testable import Engine

@Suite struct NetworkUnitTests {
    @Test func parsesAndPrintsAddresses() {
        #expect(IPv4Address("172.18.0.2")?.description == "172.18.0.2")
        #expect(IPv4Address("172.18.0") == nil)
        #expect(IPv4Address("256.1.1.1") == nil)
        #expect(IPv4Address("1.2.3.4")?.bytes == [1, 2, 3, 4])
        #expect(IPv4Subnet("172.18.5.7/16")?.description == "172.18.0.0/16")
        #expect(IPv4Subnet("10.0.0.0/33") == nil)
    }

    @Test func parsesAndPrintsIPv6() throws {
        #expect(IPv6Address("fd00::2")?.description == "fd00::2")
        #expect(IPv6Address("fd12:3456:789a:1:0:0:0:1")?.description == "fd12:3456:789a:1::1")
        #expect(IPv6Address("::1")?.description == "::1")
        #expect(IPv6Address("::")?.description == "::")
        #expect(IPv6Address("1:0:0:2:0:0:0:3")?.description == "1:0:0:2::3")
        #expect(IPv6Address("fd00::1::2") == nil)
        #expect(IPv6Address("fd00:12345::") == nil)
        #expect(IPv6Address("172.17.0.1") == nil)
        let subnet = try #require(IPv6Subnet("fd00:1:2:3:4::/64"))
        #expect(subnet.description == "fd00:1:2:3::/64")
        #expect(subnet.contains(IPv6Address("fd00:1:2:3::99")!) && !subnet.contains(IPv6Address("fd00:1:2:4::1")!))
        #expect(IPv6Address(bytes: subnet.address(at: 2).bytes) == IPv6Address("fd00:1:2:3::2"))
    }

    @Test func hostAddressesOfEitherFamilyParseAndOverlapWithinTheirFamily() throws {
        #expect(IPAddress("127.0.0.1") == .v4(IPv4Address(127, 0, 0, 1)))
        #expect(IPAddress("::1") == .v6(IPv6Address(1)) && IPAddress("[::1]") == .v6(IPv6Address(1)))
        #expect(IPAddress("[127.0.0.1]") == nil && IPAddress("localhost") == nil && IPAddress("[::1") == nil)
        #expect(IPAddress.anyIPv6.hostText == "[::]" && IPAddress.anyIPv4.hostText == "0.0.0.0")
        let loopback6 = try #require(IPAddress("::1"))
        #expect(IPAddress.anyIPv6.overlaps(loopback6) && loopback6.overlaps(loopback6))
        #expect(!IPAddress.anyIPv4.overlaps(loopback6) && !IPAddress.anyIPv6.overlaps(.anyIPv4))
        #expect(!loopback6.overlaps(try #require(IPAddress("fd00::1"))))
    }

    @Test func portBindingsTravelAsOneWordOfEitherFamily() throws {
        let container = IPv4Address(172, 18, 0, 2)
        let v6 = PortBinding(hostIP: .anyIPv6, hostPort: 8080, transport: .udp, containerIP: container, containerPort: 80)
        #expect(v6.argument == "[::]:8080:172.18.0.2:80/udp")
        #expect(PortBinding(argument: v6.argument) == v6)
        #expect(v6.description == "[::]:8080->172.18.0.2:80/udp" && v6.hostEndpoint == "[::]:8080/udp")
        let v4 = try #require(PortBinding(argument: "127.0.0.1:8080:172.18.0.2:80"))
        #expect(v4.hostIP == .v4(IPv4Address(127, 0, 0, 1)) && v4.transport == .tcp)
        for bad in ["8080:172.18.0.2:80", "[::]:8080:fd00::2:80", "[::]:8080:172.18.0.2:80/sctp", "[::]:x:172.18.0.2:80"] {
            #expect(PortBinding(argument: bad) == nil, "\(bad)")
        }
    }

    @Test func publishedPortRecordsKeepIPv6AndClashOnlyWithinAFamily() throws {
        let v6 = try #require(PublishedPortRecords.parse(":: 8080 tcp 172.18.0.2 80"))
        #expect(v6.hostIP == .anyIPv6 && v6.hostPort == 8080)
        let loopback6 = PortBinding(hostIP: .v6(IPv6Address(1)), hostPort: 8080, containerIP: IPv4Address(172, 18, 0, 3), containerPort: 80)
        let any4 = PortBinding(hostPort: 8080, containerIP: IPv4Address(172, 18, 0, 3), containerPort: 80)
        #expect(PublishedPortRecords.clash(v6, loopback6))
        #expect(!PublishedPortRecords.clash(v6, any4))
        var udp = loopback6
        udp.transport = .udp
        #expect(!PublishedPortRecords.clash(v6, udp))
    }

    @Test func subnetsOverlap() throws {
        let wide = try #require(IPv4Subnet("172.16.0.0/12"))
        let inner = try #require(IPv4Subnet("172.18.0.0/16"))
        let apart = try #require(IPv4Subnet("192.168.0.0/20"))
        #expect(wide.overlaps(inner) && inner.overlaps(wide))
        #expect(!inner.overlaps(apart))
        #expect(inner.broadcast.description == "172.18.255.255")
    }

    @Test func defaultSubnetAvoidsRoutedAndTakenOnes() throws {
        let taken = [IPv4Subnet("172.17.0.0/16")!, IPv4Subnet("172.18.1.0/24")!]
        #expect(try IPAddressManagement.chooseSubnet(avoiding: taken).description == "172.19.0.0/16")
        let everything = [IPv4Subnet("172.16.0.0/12")!, IPv4Subnet("192.168.0.0/16")!]
        #expect(throws: EngineError.self) { try IPAddressManagement.chooseSubnet(avoiding: everything) }
    }

    @Test func addressesSkipGatewayAndUsedOnes() throws {
        let subnet = IPv4Subnet("10.9.0.0/29")!
        let gateway = IPv4Address("10.9.0.1")!
        var used: Set<IPv4Address> = []
        var given: [String] = []
        for _ in 0..<5 {
            let next = try IPAddressManagement.nextAddress(in: subnet, range: nil, gateway: gateway, used: used)
            used.insert(next)
            given.append(next.description)
        }
        #expect(given == ["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"])
        #expect(throws: EngineError.self) {
            try IPAddressManagement.nextAddress(in: subnet, range: nil, gateway: gateway, used: used)
        }
        let ranged = try IPAddressManagement.nextAddress(in: IPv4Subnet("10.9.0.0/16")!, range: IPv4Subnet("10.9.8.0/24"),
                                                         gateway: gateway, used: [])
        #expect(ranged.description == "10.9.8.0")
        #expect(throws: EngineError.self) {
            try IPAddressManagement.validate(gateway, in: subnet, gateway: gateway, used: [], network: "n")
        }
        #expect(MACAddress.format(IPAddressManagement.macAddress(for: IPv4Address("172.17.0.2")!)) == "02:42:ac:11:00:02")
        #expect(MACAddress.parse("02:42:AC:11:00:02") == [2, 0x42, 0xac, 0x11, 0, 2])
    }

    @Test func networkPlanChecksItsSettings() throws {
        let clash = NetworkRecord(id: "a", name: "other", driver: "bridge", created: 0, bridge: "br-a",
                                  subnet: "10.40.0.0/16", gateway: "10.40.0.1", ipRange: nil, mtu: nil,
                                  isInternal: false, isAttachable: false, labels: [:], options: [:], endpoints: [:])
        #expect(throws: EngineError.self) {
            try NetworkPlan(NetworkConfiguration(name: "n", subnet: "10.40.3.0/24"), existing: [clash])
        }
        #expect(throws: EngineError.self) {
            try NetworkPlan(NetworkConfiguration(name: "n", subnet: "10.41.0.0/16", gateway: "10.42.0.1"), existing: [])
        }
        #expect(throws: EngineError.self) {
            try NetworkPlan(NetworkConfiguration(name: "n", subnet: "10.41.0.0/16",
                                                 options: ["com.docker.network.driver.mtu": "nine"]), existing: [])
        }
        let plan = try NetworkPlan(NetworkConfiguration(name: "n", subnet: "10.41.0.0/16", ipRange: "10.41.2.0/24",
                                                        options: ["com.docker.network.bridge.name": "sc-test0",
                                                                  "com.docker.network.driver.mtu": "1400"]),
                                   existing: [clash])
        #expect(plan.bridge == "sc-test0" && plan.gateway.description == "10.41.0.1" && plan.mtu == 1400)
        #expect(plan.ipRange?.description == "10.41.2.0/24")
        #expect(plan.subnetV6 == nil)
        let dual = try NetworkPlan(NetworkConfiguration(name: "n", subnet: "10.41.0.0/16", enableIPv6: true), existing: [])
        let prefix = try #require(dual.subnetV6)
        #expect(prefix.prefixLength == 64 && prefix.base.bytes[0] == 0xfd && dual.gatewayV6 == prefix.address(at: 1))
        #expect(throws: EngineError.self) {
            try NetworkPlan(NetworkConfiguration(name: "n", enableIPv6: true, subnetV6: "fd00:9::/64", gatewayV6: "fd00:8::1"),
                            existing: [])
        }
        #expect(try IPAddressManagement.addressV6(requested: nil, ipv4: IPv4Address("10.41.0.7")!, in: IPv4Subnet("10.41.0.0/16")!,
                                                  subnet: prefix, gateway: prefix.address(at: 1), used: [], network: "n")
            == prefix.address(at: 7))
    }

    @Test func netlinkRequestLayout() {
        var request = NetlinkRequest(type: NetlinkConstant.newLink, flags: NetlinkConstant.create)
        request.appendLinkHeader(index: 7)
        request.beginNested(NetlinkConstant.linkInfo)
        request.appendAttribute(NetlinkConstant.infoKind, string: "veth")
        request.endNested()
        let bytes = request.finished(sequence: 9)
        #expect(bytes.count == 16 + 16 + 4 + 12)
        #expect(bytes[0] == UInt8(bytes.count) && bytes[4] == 16 && bytes[6] == 0x01 && bytes[7] == 0x04)
        #expect(bytes[8] == 9 && bytes[20] == 7)
        #expect(bytes[32] == 16 && bytes[34] == 18)            // the nest covers its 12-byte child
        #expect(bytes[36] == 9 && Array(bytes[40..<44]) == Array("veth".utf8))
        let attributes = NetlinkReply.attributes(in: bytes[32...])
        #expect(attributes[NetlinkConstant.linkInfo]?.count == 12)
    }

    @Test func firewallRulesFollowTheNetworkKind() {
        let subnet = IPv4Subnet("172.30.0.0/16")!
        let open = NetworkFirewall.ruleset(networkID: "0123456789abcdef", bridge: "br-x", subnet: subnet, isInternal: false)
        #expect(open.contains("table inet swiftcompose-0123456789ab {"))
        #expect(!open.contains("ip6 saddr"))
        let dual = NetworkFirewall.ruleset(networkID: "0123456789abcdef", bridge: "br-x", subnet: subnet,
                                           subnetV6: IPv6Subnet("fd00:7::/64"), isInternal: false)
        #expect(dual.contains("ip6 saddr fd00:7::/64 oifname != \"br-x\" masquerade"))
        #expect(open.contains("ip saddr 172.30.0.0/16 oifname != \"br-x\" masquerade"))
        #expect(open.contains("oifname \"br-x\" drop"))
        #expect(!open.contains("iifname \"br-x\" drop"))
        let closed = NetworkFirewall.ruleset(networkID: "0123456789abcdef", bridge: "br-x", subnet: subnet, isInternal: true)
        #expect(!closed.contains("masquerade"))
        #expect(closed.contains("iifname \"br-x\" drop"))
    }
}
