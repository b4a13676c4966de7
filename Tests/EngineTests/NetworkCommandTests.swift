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

    @Test(.timeLimit(.minutes(2))) func portPrintsWhereAServicePortIsPublished() throws {
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let directory = "/tmp/scport-\(getpid())-\(tag)"
        let state = StateRoot(root: directory + "/root", run: directory + "/run")
        try makeDirectories(directory + "/project")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try BusyboxImage.make(in: ImageStore(state: state))
        let probe = try PortProxy(bindings: [PortBinding(hostPort: 0, containerIP: IPv4Address(1), containerPort: 1)])
        let hostPort = probe.bindings[0].hostPort
        probe.stop()
        try """
            services:
              web:
                image: busybox
                command: ["httpd", "-f", "-p", "8080", "-h", "/tmp"]
                ports: ["127.0.0.1:\(hostPort):8080"]
            """.write(toFile: directory + "/project/compose.yaml", atomically: true, encoding: .utf8)
        // system(3) and a file rather than a pipe: `up -d` leaves daemons behind, and a pipe
        // they inherited would never reach end-of-file.
        let output = directory + "/cli.out"
        let cli = { (arguments: [String]) -> CommandResult in
            let words = ["timeout", "60", "env", "SWIFTCOMPOSE_ROOT=\(state.root)", "SWIFTCOMPOSE_RUN=\(state.run)",
                         NetworkCommandTests.binary, "-f", directory + "/project/compose.yaml", "-p", "p\(tag)"] + arguments
            let status = system(words.map { "'\($0)'" }.joined(separator: " ") + " > \(output) 2>&1 < /dev/null")
            return CommandResult(status: (status >> 8) & 0xFF, output: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
        }
        let up = cli(["up", "-d"])
        defer { _ = cli(["down", "-t", "0"]) }
        #expect(up.status == 0, "\(up.output)")
        let port = cli(["port", "web", "8080"])
        #expect(port.status == 0 && port.output == "127.0.0.1:\(hostPort)\n", "\(port.output)")
        #expect(cli(["port", "--protocol", "udp", "web", "8080"]).status != 0)
        #expect(cli(["port", "--index", "2", "web", "8080"]).status != 0)
    }
}
