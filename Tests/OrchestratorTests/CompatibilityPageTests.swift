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
}
