import ComposeModel
import Glibc
import NetworkServices
import Testing
@testable import Orchestrator

/// How a service's `ports:` become bindings: both address families, free and ranged host
/// ports, refusals. Binds only sockets of its own on 127.0.0.1 and ::1.
@Suite struct PublishedPortsTests {
    let container = IPv4Address(172, 30, 0, 2)

    func service(_ ports: String) throws -> Service {
        var options = LoadOptions(workingDirectory: "/tmp", environment: [:])
        options.files = ["-"]
        options.projectName = "ports"
        options.standardInput = "services:\n  web:\n    image: busybox\n    ports: \(ports)\n"
        return try #require(try ProjectLoader.load(options).services.first)
    }

    @Test func aPortWithoutHostAddressIsPublishedOnBothFamiliesWithOneHostPort() throws {
        let bindings = try PublishedPorts.bindings(of: try service("[\"80\"]"), containerIP: container, hostHasIPv6: true)
        #expect(bindings.map(\.hostIP) == [.anyIPv4, .anyIPv6])
        #expect(bindings[0].hostPort != 0 && bindings[0].hostPort == bindings[1].hostPort)
        #expect(bindings.allSatisfy { $0.containerIP == container && $0.containerPort == 80 && $0.transport == .tcp })
        let ipv4Only = try PublishedPorts.bindings(of: try service("[\"80/udp\"]"), containerIP: container, hostHasIPv6: false)
        #expect(ipv4Only.map(\.hostIP) == [.anyIPv4] && ipv4Only[0].transport == .udp)
    }

    @Test func anIPv6HostAddressIsPublishedOnThatAddressOnly() throws {
        let bindings = try PublishedPorts.bindings(of: try service("[\"[::1]::80\", \"127.0.0.1::81\"]"), containerIP: container,
                                                   hostHasIPv6: true)
        #expect(bindings.map(\.hostIP.description) == ["::1", "127.0.0.1"])
        #expect(bindings.map(\.containerPort) == [80, 81])
    }

    @Test func aHostRangeTakesItsFirstFreePort() throws {
        // Two consecutive ports held here, below the ephemeral range where other tests'
        // client sockets come and go.
        var held: PortProxy?
        var low: UInt16 = 0
        for _ in 0..<20 where held == nil {
            low = UInt16.random(in: 20000...29000)
            held = try? PortProxy(bindings: [low, low + 1].map {
                PortBinding(hostIP: .v4(IPv4Address(127, 0, 0, 1)), hostPort: $0, containerIP: container, containerPort: 1)
            })
        }
        let taken = try #require(held)
        defer { taken.stop() }
        let bindings = try PublishedPorts.bindings(of: try service("[\"127.0.0.1:\(low)-\(low + 20):80\"]"), containerIP: container)
        #expect(bindings.count == 1 && bindings[0].hostPort > low + 1 && bindings[0].hostPort <= low + 20)
        do {
            _ = try PublishedPorts.bindings(of: try service("[\"127.0.0.1:\(low)-\(low + 1):80\"]"), containerIP: container)
            Issue.record("a range with no free port was published")
        } catch let error as OrchestratorError {
            #expect(error.description.contains("every host port of \(low)-\(low + 1) is already in use"), "\(error)")
        }
    }

    @Test func onlyTCPAndUDPArePublished() throws {
        do {
            _ = try PublishedPorts.bindings(of: try service("[\"80/sctp\"]"), containerIP: container)
            Issue.record("an sctp port was published as tcp")
        } catch let error as OrchestratorError {
            #expect(error.description.contains("port 80/sctp cannot be published: only tcp and udp"), "\(error)")
        }
    }
}
