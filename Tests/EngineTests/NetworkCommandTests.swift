import Foundation
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
}
