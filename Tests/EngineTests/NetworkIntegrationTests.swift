import Foundation
import NetworkServices
import SystemSupport
import Testing
@testable import Engine

/// Real bridges, veths and namespaces; needs root. Each test builds everything in a
/// fresh state root and removes it again, and checks the host is left as it was.
@Suite(.serialized, .enabled(if: runningAsRoot, "needs root for namespaces and bridges"))
struct NetworkIntegrationTests {
    @Test(.timeLimit(.minutes(1))) func containersOnOneNetworkReachEachOther() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let network = try bed.manager.create(NetworkConfiguration(name: bed.name("talk"), labels: ["test": "yes"]))
        let one = try bed.sandbox(bed.name("one"))
        let two = try bed.sandbox(bed.name("two"))
        let first = try bed.manager.connect(sandbox: one, network: network.name, containerID: bed.name("one"),
                                            containerName: "one", aliases: ["web"])
        let second = try bed.manager.connect(sandbox: two, network: network.name, containerID: bed.name("two"),
                                             containerName: "two", ipv4Address: IPv4Subnet(network.subnet)!.address(at: 77).description,
                                             macAddress: "02:00:00:00:00:77")
        #expect(first.interfaceName == "eth0" && first.gateway == network.gateway && first.dnsServer == network.gateway)
        #expect(second.ipv4Address.hasSuffix(".77") && second.macAddress == "02:00:00:00:00:77")
        #expect(try canPing(from: one, second.ipv4Address))
        #expect(try canPing(from: two, first.ipv4Address))
        #expect(try canPing(from: one, network.gateway))
        // The bridge keeps its own MAC whatever ports come and go (containers cache it).
        #expect(try runCommand(["ip", "link", "show", network.bridge]).output
            .contains(MACAddress.format(IPAddressManagement.macAddress(for: IPv4Address(network.gateway)!))))
        let addresses = try inSandbox(two, ["ip", "-o", "addr", "show", "eth0"]).output
        #expect(addresses.contains(second.ipv4Address + "/"))
        #expect(try inSandbox(two, ["ip", "link", "show", "eth0"]).output.contains("02:00:00:00:00:77"))
        #expect(try inSandbox(one, ["ip", "route"]).output.contains("default via \(network.gateway)"))
        let table = try String(contentsOfFile: bed.manager.runDirectory(of: network) + "/endpoints", encoding: .utf8)
        #expect(EndpointTable(parsing: table).addresses(of: "web", network: network.name).map(\.description) == [first.ipv4Address])
        #expect(throws: EngineError.self) { try bed.manager.remove(network.name) }
        try bed.manager.disconnect(network: network.name, containerID: bed.name("two"))
        #expect(try !canPing(from: one, second.ipv4Address))
        #expect(try bed.manager.inspect(network.id).endpoints.count == 1)
    }

    @Test(.timeLimit(.minutes(1))) func containersFindEachOtherByNameThroughTheNetworkDNS() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let network = try bed.manager.create(NetworkConfiguration(name: bed.name("dns")))
        var endpoints: [String: Endpoint] = [:]
        for (name, aliases) in [("web-1", ["web", "frontend"]), ("web-2", ["web"]), ("db-1", ["db"])] {
            let sandbox = try bed.sandbox(bed.name(name))
            endpoints[name] = try bed.manager.connect(sandbox: sandbox, network: network.name, containerID: bed.name(name),
                                                      containerName: name, aliases: aliases)
        }
        let client = bed.manager.sandboxPath(containerID: bed.name("db-1"))
        let lookup = { (name: String) throws -> String in
            try inSandbox(client, ["nslookup", name, network.gateway], timeout: 5).output
        }
        // netd reloads the endpoint table when it changes (inotify): the last connect may
        // take a moment to show.
        var web = ""
        for _ in 0..<30 {
            web = try lookup("web")
            if web.contains(endpoints["web-1"]!.ipv4Address) && web.contains(endpoints["web-2"]!.ipv4Address) { break }
            usleep(100_000)
        }
        #expect(web.contains(endpoints["web-1"]!.ipv4Address) && web.contains(endpoints["web-2"]!.ipv4Address), "\(web)")
        #expect(try lookup("frontend").contains(endpoints["web-1"]!.ipv4Address))
        #expect(try lookup("web-2.\(network.name)").contains(endpoints["web-2"]!.ipv4Address))
        #expect(try lookup(endpoints["web-1"]!.ipv4Address).contains("web-1.\(network.name)"))
        // The table is re-read as soon as it changes.
        try bed.manager.disconnect(network: network.name, containerID: bed.name("web-2"))
        var after = ""
        for _ in 0..<20 {
            after = try lookup("web")
            if !after.contains(endpoints["web-2"]!.ipv4Address) { break }
            usleep(100_000)
        }
        #expect(!after.contains(endpoints["web-2"]!.ipv4Address) && after.contains(endpoints["web-1"]!.ipv4Address), "\(after)")
        let pidText = try String(contentsOfFile: bed.manager.runDirectory(of: network) + "/netd.pid", encoding: .utf8)
        let pid = try #require(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(isRunningNameServer(pid))
        // It must not inherit the spawning thread's blocked signals, or SIGTERM cannot stop it.
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(status.contains("SigBlk:\t0000000000000000"))
        for name in ["web-1", "db-1"] { try bed.manager.removeSandbox(containerID: bed.name(name)) }
        try bed.manager.remove(network.name)
        #expect(!isRunningNameServer(pid), "the DNS server outlived its network")
    }

    @Test(.timeLimit(.minutes(1))) func networksAreIsolatedAndInternalOnesHaveNoEgress() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let outside = try OutsideHost(tag: bed.tag)
        defer { outside.remove() }
        let a = try bed.manager.create(NetworkConfiguration(name: bed.name("a")))
        let b = try bed.manager.create(NetworkConfiguration(name: bed.name("b")))
        let hidden = try bed.manager.create(NetworkConfiguration(name: bed.name("internal"), isInternal: true))
        #expect(a.subnet != b.subnet && b.subnet != hidden.subnet)
        let onA = try bed.sandbox(bed.name("on-a"))
        let onB = try bed.sandbox(bed.name("on-b"))
        let onBoth = try bed.sandbox(bed.name("on-both"))
        let onHidden = try bed.sandbox(bed.name("on-hidden"))
        let endpointA = try bed.manager.connect(sandbox: onA, network: a.id, containerID: bed.name("on-a"), containerName: "on-a")
        let endpointB = try bed.manager.connect(sandbox: onB, network: b.id, containerID: bed.name("on-b"), containerName: "on-b")
        _ = try bed.manager.connect(sandbox: onBoth, network: a.id, containerID: bed.name("on-both"), containerName: "on-both")
        let second = try bed.manager.connect(sandbox: onBoth, network: b.id, containerID: bed.name("on-both"), containerName: "on-both")
        let endpointHidden = try bed.manager.connect(sandbox: onHidden, network: hidden.id, containerID: bed.name("on-hidden"),
                                                     containerName: "on-hidden")
        #expect(second.interfaceName == "eth1")
        #expect(try canPing(from: onBoth, endpointA.ipv4Address))
        #expect(try canPing(from: onBoth, endpointB.ipv4Address))
        #expect(try !canPing(from: onA, endpointB.ipv4Address), "network a reaches network b")
        #expect(try !canPing(from: onB, endpointA.ipv4Address), "network b reaches network a")
        #expect(try canPing(from: onA, outside.address), "a normal network has egress")
        #expect(try !canPing(from: onHidden, outside.address), "an internal network has egress")
        #expect(try !canPing(from: onA, endpointHidden.ipv4Address), "an internal network is reachable from outside")
        #expect(try canPing(from: onHidden, hidden.gateway))
        // DNS: a container on a and b resolves b's names through a's server; one only on a does not.
        #expect(try inSandbox(onBoth, ["nslookup", "on-b", a.gateway], timeout: 5).output.contains(endpointB.ipv4Address))
        #expect(!(try inSandbox(onA, ["nslookup", "on-b", a.gateway], timeout: 8).output.contains(endpointB.ipv4Address)))
    }

    @Test(.timeLimit(.minutes(1))) func removalLeavesNothingBehind() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let network = try bed.manager.create(NetworkConfiguration(
            name: bed.name("gone"), subnet: "10.231.0.0/24", options: ["com.docker.network.bridge.name": "sc\(bed.tag)"]))
        #expect(network.bridge == "sc\(bed.tag)")
        let sandbox = try bed.sandbox(bed.name("c"))
        let endpoint = try bed.manager.connect(sandbox: sandbox, network: network.name, containerID: bed.name("c"), containerName: "c")
        let hostVeth = try bed.manager.inspect(network.name).endpoints[bed.name("c")]!.hostInterface
        #expect(try runCommand(["ip", "-o", "link"]).output.contains(hostVeth))
        #expect(try runCommand(["nft", "list", "tables"]).output.contains(NetworkFirewall.tableName(networkID: network.id)))
        #expect(try runCommand(["ip", "route"]).output.contains("10.231.0.0/24"))
        try bed.manager.removeSandbox(containerID: bed.name("c"))
        try bed.manager.remove(network.id)
        // The veth pair goes with the namespace, which the kernel tears down asynchronously.
        var links = try runCommand(["ip", "-o", "link"]).output
        for _ in 0..<40 where links.contains(hostVeth) {
            usleep(50_000)
            links = try runCommand(["ip", "-o", "link"]).output
        }
        #expect(!links.contains(hostVeth) && !links.contains(network.bridge))
        #expect(!(try runCommand(["ip", "-o", "addr"]).output.contains(endpoint.gateway + "/")))
        #expect(!(try runCommand(["ip", "route"]).output.contains("10.231.0.0/24")))
        #expect(!(try runCommand(["nft", "list", "tables"]).output.contains(NetworkFirewall.tableName(networkID: network.id))))
        #expect(!(try runCommand(["grep", sandbox, "/proc/self/mountinfo"]).output.contains(sandbox)))
        #expect(access(sandbox, F_OK) != 0)
        #expect(try bed.manager.list().isEmpty)
        #expect(throws: EngineError.self) { try bed.manager.inspect(network.name) }
    }

    @Test(.timeLimit(.minutes(1))) func aNetworkLostToARebootOrCrashIsRebuiltOnTheNextConnect() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let network = try bed.manager.create(NetworkConfiguration(name: bed.name("phoenix")))
        // What a reboot takes: the bridge, the rules, the DNS server.
        let pidText = try String(contentsOfFile: bed.manager.runDirectory(of: network) + "/netd.pid", encoding: .utf8)
        let pid = try #require(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGKILL)
        _ = waitpid(pid, nil, 0)
        try runCommand(["ip", "link", "del", network.bridge])
        try runCommand(["nft", "delete", "table", "ip", NetworkFirewall.tableName(networkID: network.id)])
        // A crash between creating a sandbox's file and pinning the namespace on it leaves a
        // plain file behind; it is replaced, not taken for a namespace.
        try makeDirectories(bed.manager.state.runPath("netns"))
        try AtomicFile.write("", to: bed.manager.sandboxPath(containerID: bed.name("one")))
        #expect(!NetworkNamespace.isPinned(at: bed.manager.sandboxPath(containerID: bed.name("one"))))
        let one = try bed.sandbox(bed.name("one"))
        #expect(NetworkNamespace.isPinned(at: one))
        let two = try bed.sandbox(bed.name("two"))
        _ = try bed.manager.connect(sandbox: one, network: network.id, containerID: bed.name("one"), containerName: "one")
        let second = try bed.manager.connect(sandbox: two, network: network.id, containerID: bed.name("two"),
                                             containerName: "two", aliases: ["db"])
        #expect(try canPing(from: one, second.ipv4Address))
        #expect(try inSandbox(one, ["nslookup", "db", network.gateway], timeout: 5).output.contains(second.ipv4Address))
        #expect(try runCommand(["nft", "list", "tables"]).output.contains(NetworkFirewall.tableName(networkID: network.id)))
    }

    @Test(.timeLimit(.minutes(1))) func dualStackNetworksGiveIPv6AddressesAndAAAARecords() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let network = try bed.manager.create(NetworkConfiguration(name: bed.name("dual"), enableIPv6: true))
        let gatewayV6 = try #require(network.gatewayV6)
        let one = try bed.sandbox(bed.name("one"))
        let two = try bed.sandbox(bed.name("two"))
        let first = try bed.manager.connect(sandbox: one, network: network.id, containerID: bed.name("one"), containerName: "one")
        let second = try bed.manager.connect(sandbox: two, network: network.id, containerID: bed.name("two"),
                                             containerName: "two", aliases: ["db"])
        let addressV6 = try #require(second.ipv6Address)
        #expect(first.gatewayV6 == gatewayV6 && first.ipv6Address != nil)
        #expect(try inSandbox(two, ["ip", "-o", "-6", "addr", "show", "eth0"]).output.contains(addressV6 + "/64"))
        #expect(try inSandbox(one, ["ip", "-6", "route"]).output.contains("default via \(gatewayV6)"))
        #expect(try inSandbox(one, ["ping", "-6", "-c", "1", "-W", "2", addressV6], timeout: 5).status == 0)
        #expect(try inSandbox(one, ["ping", "-6", "-c", "1", "-W", "2", gatewayV6], timeout: 5).status == 0)
        let answer = try inSandbox(one, ["nslookup", "-type=AAAA", "db", network.gateway], timeout: 5).output
        #expect(answer.contains(addressV6), "\(answer)")
        try bed.manager.removeSandbox(containerID: bed.name("one"))
        try bed.manager.removeSandbox(containerID: bed.name("two"))
        try bed.manager.remove(network.id)
        #expect(!(try runCommand(["ip", "-6", "route"]).output.contains(network.subnetV6!)))
    }

    @Test(.timeLimit(.minutes(1))) func attachingIsAllOrNothing() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let front = try bed.manager.create(NetworkConfiguration(name: bed.name("front")))
        let back = try bed.manager.create(NetworkConfiguration(name: bed.name("back"), subnet: "10.234.0.0/24"))
        let (sandbox, endpoints) = try bed.manager.attach(containerID: bed.name("api"), containerName: "api", to: [
            NetworkAttachment(network: front.name, aliases: ["api"]),
            NetworkAttachment(network: back.name, aliases: ["api", "backend"], ipv4Address: "10.234.0.50"),
        ])
        #expect(endpoints.map(\.interfaceName) == ["eth0", "eth1"] && endpoints[1].ipv4Address == "10.234.0.50")
        #expect(try inSandbox(sandbox, ["ip", "route"]).output.contains("default via \(front.gateway)"))
        // The second attachment asks for a taken address: nothing of the first is left.
        #expect(throws: EngineError.self) {
            try bed.manager.attach(containerID: bed.name("worker"), containerName: "worker", to: [
                NetworkAttachment(network: front.name),
                NetworkAttachment(network: back.name, ipv4Address: "10.234.0.50"),
            ])
        }
        #expect(try bed.manager.inspect(front.name).endpoints[bed.name("worker")] == nil)
        #expect(!NetworkNamespace.isPinned(at: bed.manager.sandboxPath(containerID: bed.name("worker"))))
        try bed.manager.removeSandbox(containerID: bed.name("api"))
        #expect(try bed.manager.list().allSatisfy { $0.endpoints.isEmpty })
    }

    @Test(.timeLimit(.minutes(1))) func conflictingRequestsAreRefused() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let network = try bed.manager.create(NetworkConfiguration(name: bed.name("dup")))
        #expect(throws: EngineError.self) { try bed.manager.create(NetworkConfiguration(name: bed.name("dup"))) }
        #expect(throws: EngineError.self) {
            try bed.manager.create(NetworkConfiguration(name: bed.name("overlap"), subnet: network.subnet))
        }
        #expect(throws: EngineError.self) { try bed.manager.create(NetworkConfiguration(name: bed.name("x"), driver: "overlay")) }
        let sandbox = try bed.sandbox(bed.name("c"))
        _ = try bed.manager.connect(sandbox: sandbox, network: network.name, containerID: bed.name("c"), containerName: "c")
        #expect(throws: EngineError.self) {
            try bed.manager.connect(sandbox: sandbox, network: network.name, containerID: bed.name("c"), containerName: "c")
        }
        #expect(try bed.manager.prune().isEmpty)
        try bed.manager.disconnect(network: network.name, containerID: bed.name("c"))
        #expect(try bed.manager.prune() == [network.name])
        #expect(try bed.manager.list().isEmpty)
    }
}

/// A namespace standing for "the internet": reachable from the host over a veth pair on
/// 198.51.100.0/30 (TEST-NET-2), so egress is tested without leaving the machine.
struct OutsideHost {
    let path: String
    let hostInterface: String
    let address = "198.51.100.2"

    init(tag: String) throws {
        path = "/tmp/swiftcompose-outside-\(tag)"
        hostInterface = "sco\(tag)"
        try NetworkNamespace.create(at: path)
        let namespace = open(path, O_RDONLY)
        defer { close(namespace) }
        let host = try NetlinkSocket()
        try host.createVeth(hostName: hostInterface, peerName: "eth0", peerNamespace: namespace,
                            peerMAC: [2, 0, 0xc6, 0x33, 0x64, 2], mtu: nil)
        let outer = try #require(try host.linkIndex(named: hostInterface))
        try host.addAddress(IPv4Address("198.51.100.1")!, prefixLength: 30, index: outer)
        try host.setUp(index: outer)
        let inside = try NetworkNamespace.netlinkSocket(in: path)
        let inner = try #require(try inside.linkIndex(named: "eth0"))
        try inside.addAddress(IPv4Address(address)!, prefixLength: 30, index: inner)
        try inside.setUp(index: inner)
    }

    func remove() {
        if let host = try? NetlinkSocket(), let index = try? host.linkIndex(named: hostInterface) {
            try? host.deleteLink(index: index)
        }
        NetworkNamespace.remove(at: path)
    }
}
