import Foundation
import NetworkServices
import SystemSupport
import Testing
@testable import Engine

/// The network layer under real containers of the runtime: namespaces from
/// `createSandbox`, names from the network's DNS server through the container's
/// resolv.conf, a published port through the port proxy.
@Suite(.serialized, .enabled(if: runningAsRoot, "needs root for containers and bridges"))
struct NetworkContainerTests {
    @Test(.timeLimit(.minutes(2))) func containersTalkByServiceNameAndThroughAPublishedPort() async throws {
        let bed = try RuntimeTestBed()
        let networks = NetworkManager(state: bed.state)
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        var sandboxes: [String] = []
        /// Containers first, then their sandboxes and the network, then the state directory.
        func cleanUp() async {
            for info in (try? await bed.service.list(all: true)) ?? [] { try? await bed.service.remove(info.id, force: true) }
            for id in sandboxes { try? networks.removeSandbox(containerID: id) }
            for record in (try? networks.list()) ?? [] { try? networks.remove(record.id) }
            await bed.cleanUp()
        }
        let network: NetworkRecord
        do { network = try networks.create(NetworkConfiguration(name: "shop-\(tag)_default")) } catch {
            await bed.cleanUp()
            throw error
        }
        /// A container spec attached to the network the way the engine attaches one.
        func attached(_ name: String, aliases: [String], command: [String]) throws -> (ContainerSpec, Endpoint) {
            let id = "\(name)-\(tag)"
            let sandbox = try networks.createSandbox(containerID: id)
            sandboxes.append(id)
            let endpoint = try networks.connect(sandbox: sandbox, network: network.id, containerID: id,
                                                containerName: name, aliases: aliases)
            var spec = ContainerSpec(image: "busybox", command: command)
            spec.name = name
            spec.hostname = name
            spec.networkNamespacePath = sandbox
            spec.dns = [endpoint.dnsServer]
            spec.addresses = [endpoint.ipv4Address]
            return (spec, endpoint)
        }
        do {
            // Two replicas of "web" serving their hostname, one client.
            var replicas: [Endpoint] = []
            for index in 1...2 {
                let (spec, endpoint) = try attached("shop-web-\(index)", aliases: ["web"],
                                                    command: ["sh", "-c", "mkdir /tmp/$(hostname); hostname > /tmp/$(hostname)/index.html; exec httpd -f -p 80 -h /tmp/$(hostname)"])
                let record = try await bed.service.create(spec, image: bed.busybox())
                try await bed.service.start(record.id)
                replicas.append(endpoint)
            }
            // The replicas serve once their shells have written the page.
            for replica in replicas {
                #expect(try await eventually {
                    try runCommand(["busybox", "wget", "-q", "-O", "-", "http://\(replica.ipv4Address)/"]).output.hasPrefix("shop-web-")
                })
            }
            // busybox-static's wget resolves through glibc's NSS, which a static binary cannot
            // load: names are looked up with nslookup (its own resolver), then fetched by address.
            // The client shares the busybox rootfs directory, so it writes nothing there.
            let (client, _) = try attached("shop-client-1", aliases: ["client"], command: ["sh", "-c", """
                grep nameserver /etc/resolv.conf
                for ip in $(nslookup web | awk '/^Name:/ {found=1} found && /^Address/ {print $2}'); do
                  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc $ip 80 | tail -n 1
                done
                """])
            let result = try await bed.run(client)
            #expect(result.code == 0, "\(result.err)")
            let lines = result.out.split(separator: "\n").map(String.init)
            #expect(lines.first == "nameserver \(network.gateway)", "\(result.out)")
            #expect(Set(lines.dropFirst()) == ["shop-web-1", "shop-web-2"], "\(result.out)")

            // A published port of replica 1, reached through 127.0.0.1.
            let proxy = try PortProxy(bindings: [PortBinding(hostIP: .v4(IPv4Address(127, 0, 0, 1)), hostPort: 0,
                                                             containerIP: IPv4Address(replicas[0].ipv4Address)!, containerPort: 80)])
            proxy.start()
            defer { proxy.stop() }
            let page = try runCommand(["busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:\(proxy.bindings[0].hostPort)/"])
            #expect(page.output == "shop-web-1\n")
        } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()
        #expect(try networks.list().isEmpty)
        #expect(!(try runCommand(["ip", "-o", "link"]).output.contains(network.bridge)))
        #expect(access(bed.directory, F_OK) != 0)
    }
}

extension NetworkContainerTests {
    @Test(.timeLimit(.minutes(2))) func connectAndDisconnectARunningContainerFromTheCommandLine() async throws {
        let bed = try RuntimeTestBed()
        let networks = NetworkManager(state: bed.state)
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let cli = { (arguments: [String]) throws -> CommandResult in
            try runCommand(["env", "SWIFTCOMPOSE_ROOT=\(bed.state.root)", "SWIFTCOMPOSE_RUN=\(bed.state.run)",
                            NetworkCommandTests.binary, "network"] + arguments)
        }
        func cleanUp() async {
            for info in (try? await bed.service.list(all: true)) ?? [] { try? await bed.service.remove(info.id, force: true) }
            try? networks.removeSandbox(containerID: "probe-\(tag)")
            for record in (try? networks.list()) ?? [] {
                for id in record.endpoints.keys { try? networks.disconnect(network: record.id, containerID: id) }
                try? networks.remove(record.id)
            }
            await bed.cleanUp()
        }
        do {
            let network = try networks.create(NetworkConfiguration(name: "late-\(tag)"))
            var spec = ContainerSpec(image: "busybox", command: ["sleep", "60"])
            spec.name = "late-\(tag)"
            let record = try await bed.service.create(spec, image: bed.busybox())
            try await bed.service.start(record.id)
            let pid = try await bed.service.inspect(record.id).run.pid
            let connected = try cli(["connect", "--alias", "latecomer", "--ip", IPv4Subnet(network.subnet)!.address(at: 9).description,
                                     network.name, "late-\(tag)"])
            #expect(connected.status == 0, "\(connected.output)")
            let address = IPv4Subnet(network.subnet)!.address(at: 9).description
            let inside = try runCommand(["nsenter", "--net=/proc/\(pid)/ns/net", "busybox", "ip", "-o", "addr", "show", "eth0"]).output
            #expect(inside.contains(address + "/"), "\(inside)")
            // Found by its alias from another namespace on the network.
            let probe = try networks.createSandbox(containerID: "probe-\(tag)")
            _ = try networks.connect(sandbox: probe, network: network.id, containerID: "probe-\(tag)", containerName: "probe")
            let answer = try runCommand(["nsenter", "--net=\(probe)", "busybox", "nslookup", "latecomer", network.gateway]).output
            #expect(answer.contains(address), "\(answer)")
            #expect(try cli(["disconnect", network.name, "late-\(tag)"]).status == 0)
            let after = try runCommand(["nsenter", "--net=/proc/\(pid)/ns/net", "busybox", "ip", "-o", "link"]).output
            #expect(!after.contains("eth0"), "\(after)")
            #expect(try cli(["disconnect", network.name, "late-\(tag)"]).status == 1)
        } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()
    }
}
