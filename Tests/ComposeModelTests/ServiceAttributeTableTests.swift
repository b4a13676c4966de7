import Foundation
import Testing
@testable import ComposeModel

/// docs/compatibility.md has a row for every service attribute the model knows.
@Suite struct ServiceAttributeTableTests {
    @Test func everyServiceAttributeHasAStatus() throws {
        let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/compatibility.md")
        let text = try String(contentsOf: page, encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## Service attributes").dropFirst().first?
            .components(separatedBy: "\n## ").first)
        let missing = ComposeSchema.service.attributes.map(\.key).filter { !section.contains("| `\($0)` |") }
        #expect(missing.isEmpty, "docs/compatibility.md has no status for: \(missing.joined(separator: ", "))")
    }
}
