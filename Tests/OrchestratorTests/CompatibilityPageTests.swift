import Foundation
import Testing

/// docs/compatibility.md lists every docker compose command and flag with what we accept;
/// this fails when the page and the CLI disagree (scripts/compat-table rewrites it).
@Suite struct CompatibilityPageTests {
    @Test func commandTableMatchesTheCLI() throws {
        let binary = ExampleStackTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("build the CLI first (swift build --build-tests builds it): \(binary)")
            return
        }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/docker-compose" }
        guard path.contains(where: FileManager.default.isExecutableFile(atPath:)) else {
            print("CompatibilityPageTests: docker compose v2 not on PATH (scripts/setup installs it); the check is skipped")
            return
        }
        let result = try ExampleStackTests().run([ExampleStackTests.root + "/scripts/compat-table", "--check", binary],
                                                 in: ExampleStackTests.root, environment: [:])
        #expect(result.status == 0, "\(result.output)")
    }

    /// A command without an explicit name is named after its type ("login-command"): every
    /// one must be reachable by the word users type.
    @Test func everyCommandHasTheNameUsersType() throws {
        let binary = ExampleStackTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("build the CLI first (swift build --build-tests builds it): \(binary)")
            return
        }
        let result = try ExampleStackTests().run([binary, "--experimental-dump-help"], in: "/", environment: [:])
        let dump = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        var names: [String] = []
        func collect(_ command: [String: Any]) {
            names.append(command["commandName"] as? String ?? "")
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { collect(sub) }
        }
        collect(try #require(dump["command"] as? [String: Any]))
        #expect(names.count > 50)
        #expect(names.filter { $0.hasSuffix("-command") || $0.isEmpty }.isEmpty, "\(names)")
        #expect(names.contains("login") && names.contains("logout"))
    }
}
