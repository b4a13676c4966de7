import ArgumentParser
import Engine
import SystemSupport
import Foundation

struct NetworkInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show networks in detail (JSON, docker's field names).")

    @OptionGroup var engine: EngineOptions

    @Option(name: [.customShort("f"), .long], help: "Output format: json (the default, an array).")
    var format: String = "json"

    @Argument(help: "Networks (names or ids).")
    var networks: [String]

    func run() throws {
        guard format == "json" else { throw ValidationError("--format \(format): only json is supported") }
        var objects: [[String: Any]] = []
        var failed = false
        for reference in networks {
            do throws(EngineError) {
                objects.append(NetworkJSON.inspectObject(try engine.networks.inspect(reference)))
            } catch {
                printNetworkError(error)
                failed = true
            }
        }
        print(try NetworkJSON.text(objects, pretty: true))
        if failed { throw ExitCode.failure }
    }
}
