import ArgumentParser
import Foundation

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Show the swiftcompose version."
    )

    @Option(name: [.customShort("f"), .long], help: "Output format: pretty or json.")
    var format: String = "pretty"

    @Flag(name: .long, help: "Print only the version number.")
    var short = false

    func run() throws {
        if short {
            print(SwiftcomposeVersion.current)
        } else if format == "json" {
            print(#"{"version":"\#(SwiftcomposeVersion.current)"}"#)
        } else {
            print("swiftcompose version \(SwiftcomposeVersion.current)")
        }
    }
}
