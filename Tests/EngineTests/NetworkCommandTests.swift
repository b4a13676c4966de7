import Engine
import EngineTestSupport
import Foundation
import NetworkServices
import SystemSupport
import Testing

/// `swiftcompose network …` end to end: the built binary on a temporary state root.
@Suite(.serialized, .enabled(if: runningAsRoot, "needs root for bridges"))
struct NetworkCommandTests {
    /// The swiftcompose binary beside the test bundle.
    static var binary: String {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent("swiftcompose").path
    }

    @Test(.timeLimit(.minutes(1))) func createListInspectRemove() throws {
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let cli = { (arguments: [String]) throws -> CommandResult in
            try runCommand(["env", "SWIFTCOMPOSE_ROOT=\(bed.manager.state.root)", "SWIFTCOMPOSE_RUN=\(bed.manager.state.run)",
                            NetworkCommandTests.binary, "network"] + arguments)
        }
        let name = bed.name("cli")
        let created = try cli(["create", "--subnet", "10.233.0.0/24", "--label", "purpose=test", name])
        #expect(created.status == 0, "\(created.output)")
        let id = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 64)
        let listed = try cli(["ls", "--format", "json", "--filter", "label=purpose=test"])
        let line = try #require(listed.output.split(separator: "\n").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["Name"] as? String == name && object["ID"] as? String == String(id.prefix(12)))
        let inspected = try cli(["inspect", name])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(inspected.output.utf8)) as? [[String: Any]])
        let ipam = try #require(array.first?["IPAM"] as? [String: Any])
        let config = try #require((ipam["Config"] as? [[String: Any]])?.first)
        #expect(config["Subnet"] as? String == "10.233.0.0/24" && config["Gateway"] as? String == "10.233.0.1")
        let duplicate = try cli(["create", name])
        #expect(duplicate.status == 1 && duplicate.output.contains("already exists"))
        #expect(try cli(["rm", name]).status == 0)
        #expect(try cli(["ls", "-q"]).output.isEmpty)
        #expect(try cli(["rm", name]).status == 1)
        #expect(try cli(["rm", "--force", name]).status == 0)
    }

    /// A compose project in a temporary directory with its own state root, driven through
    /// the built binary.
    struct ComposeProject {
        let directory: String
        let state: StateRoot
        let name: String

        init(prefix: String) throws {
            let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            directory = "/tmp/\(prefix)-\(getpid())-\(tag)"
            state = StateRoot(root: directory + "/root", run: directory + "/run")
            name = "p\(tag)"
            try makeDirectories(directory + "/project")
            _ = try BusyboxImage.make(in: ImageStore(state: state))
        }

        func write(_ yaml: String, as file: String = "compose.yaml") throws {
            try yaml.write(toFile: directory + "/project/" + file, atomically: true, encoding: .utf8)
        }

        /// system(3) and a file rather than a pipe: `up -d` leaves daemons behind, and a pipe
        /// they inherited would never reach end-of-file.
        func cli(_ arguments: [String], file: String = "compose.yaml", project: String? = nil) -> CommandResult {
            let output = directory + "/cli.out"
            let words = ["timeout", "60", "env", "SWIFTCOMPOSE_ROOT=\(state.root)", "SWIFTCOMPOSE_RUN=\(state.run)",
                         NetworkCommandTests.binary, "-f", directory + "/project/" + file, "-p", project ?? name] + arguments
            let status = system(words.map { "'\($0)'" }.joined(separator: " ") + " > \(output) 2>&1 < /dev/null")
            return CommandResult(status: (status >> 8) & 0xFF, output: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// A free port on both loopbacks, released again.
    func freePort() throws -> UInt16 {
        for _ in 0..<20 {
            let probe = try PortProxy(bindings: [PortBinding(hostPort: 0, containerIP: IPv4Address(1), containerPort: 1)])
            let port = probe.bindings[0].hostPort
            probe.stop()
            if (try? PortProxy.checkAvailable([PortBinding(hostIP: .anyIPv6, hostPort: port, containerIP: IPv4Address(1),
                                                           containerPort: 1)])) != nil { return port }
        }
        throw SystemCallError("bind", "no port free on both 0.0.0.0 and [::]")
    }

    @Test(.timeLimit(.minutes(2))) func portPrintsWhereAServicePortIsPublished() throws {
        let project = try ComposeProject(prefix: "scport")
        defer { project.remove() }
        let hostPort = try freePort()
        try project.write("""
            services:
              web:
                image: busybox
                command: ["httpd", "-f", "-p", "8080", "-h", "/tmp"]
                ports: ["127.0.0.1:\(hostPort):8080"]
            """)
        let up = project.cli(["up", "-d"])
        defer { _ = project.cli(["down", "-t", "0"]) }
        #expect(up.status == 0, "\(up.output)")
        let port = project.cli(["port", "web", "8080"])
        #expect(port.status == 0 && port.output == "127.0.0.1:\(hostPort)\n", "\(port.output)")
        #expect(project.cli(["port", "--protocol", "udp", "web", "8080"]).status != 0)
        #expect(project.cli(["port", "--index", "2", "web", "8080"]).status != 0)
    }

    /// `8080:80` is also `[::]:8080`, as with Docker; an IPv6 host address is served by the
    /// container's monitor while the container runs, and another container cannot take it.
    @Test(.timeLimit(.minutes(2)), .enabled(if: PublishedIPv6.available, "needs IPv6 on the loopback"))
    func portsArePublishedOnIPv6Too() throws {
        let project = try ComposeProject(prefix: "scport6")
        defer { project.remove() }
        let (both, loopbackOnly) = (try freePort(), try freePort())
        try project.write("""
            services:
              web:
                image: busybox
                command: ["sh", "-c", "echo hello > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]
                ports: ["\(both):8080", "[::1]:\(loopbackOnly):8080"]
            """)
        let up = project.cli(["up", "-d"])
        defer { _ = project.cli(["down", "-t", "0"]) }
        #expect(up.status == 0, "\(up.output)")
        let fetch = { (url: String) throws -> String in
            var page = ""
            for _ in 0..<50 {
                page = try runCommand(["busybox", "wget", "-q", "-O", "-", url], timeout: 5).output
                if page == "hello\n" { break }
                usleep(50_000)    // httpd may still be starting
            }
            return page
        }
        for url in ["http://127.0.0.1:\(both)/", "http://[::1]:\(both)/", "http://[::1]:\(loopbackOnly)/"] {
            #expect(try fetch(url) == "hello\n", "\(url)")
        }
        let ps = project.cli(["ps"])
        #expect(ps.output.contains("0.0.0.0:\(both)->8080/tcp, [::]:\(both)->8080/tcp, [::1]:\(loopbackOnly)->8080/tcp"), "\(ps.output)")
        let json = project.cli(["ps", "--format", "json"])
        #expect(json.output.contains(#""URL":"::""#) && json.output.contains(#""URL":"::1""#), "\(json.output)")

        // Another project cannot take the IPv6 port, and is told whose it is.
        try project.write("""
            services:
              api:
                image: busybox
                command: ["sleep", "60"]
                ports: ["[::]:\(loopbackOnly):80"]
            """, as: "other.yaml")
        let other = project.cli(["up", "-d"], file: "other.yaml", project: project.name + "x")
        defer { _ = project.cli(["down", "-t", "0"], file: "other.yaml", project: project.name + "x") }
        #expect(other.status != 0)
        #expect(other.output.contains("[::]:\(loopbackOnly)/tcp is already published by container \(project.name)-web-1"),
                "\(other.output)")
        #expect(project.cli(["ps", "-a", "-q"], file: "other.yaml", project: project.name + "x").output.isEmpty)

        // The monitor holds the IPv6 listeners while the container runs, and only then.
        #expect(project.cli(["stop", "-t", "0"]).status == 0)
        #expect(try runCommand(["busybox", "wget", "-q", "-O", "-", "http://[::1]:\(both)/"], timeout: 5).status != 0)
        #expect(project.cli(["start"]).status == 0)
        #expect(try fetch("http://[::1]:\(both)/") == "hello\n")
        #expect(project.cli(["down", "-t", "0"]).status == 0)
        for port in [both, loopbackOnly] {
            #expect((try? PortProxy.checkAvailable([PortBinding(hostIP: .anyIPv6, hostPort: port, containerIP: IPv4Address(1),
                                                                containerPort: 1)])) != nil, "port \(port) still held")
        }
    }
}

enum PublishedIPv6 {
    /// Whether a socket can listen on [::1] here.
    static let available: Bool = {
        guard let probe = try? PortProxy(bindings: [PortBinding(hostIP: .v6(IPv6Address(1)), hostPort: 0,
                                                               containerIP: IPv4Address(1), containerPort: 1)]) else { return false }
        probe.stop()
        return true
    }()
}
