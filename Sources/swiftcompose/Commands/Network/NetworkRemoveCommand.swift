import ArgumentParser
import Engine
import SystemSupport
import Foundation

struct NetworkRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove networks that no container uses.", aliases: ["remove"])

    @OptionGroup var engine: EngineOptions

    @Flag(name: .shortAndLong, help: "Do not fail when a network does not exist.")
    var force = false

    @Argument(help: "Networks (names or ids).")
    var networks: [String]

    func run() throws {
        var failed = false
        for reference in networks {
            do throws(EngineError) {
                try engine.networks.remove(reference)
                print(reference)
            } catch where force && error.code == .notFound {
                continue
            } catch {
                printNetworkError(error)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}

struct NetworkPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Remove every network no container uses.")

    @OptionGroup var engine: EngineOptions

    @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
    var force = false

    @Option(name: .long, help: ArgumentHelp("Only networks with this label: label=key=value (repeatable).", valueName: "filter"))
    var filter: [String] = []

    func run() throws {
        var labels: [String: String] = [:]
        for item in filter {
            guard item.hasPrefix("label=") else { throw ValidationError("--filter \(item): only label=key=value is supported") }
            labels.merge(try keyValuePairs([String(item.dropFirst(6))], option: "--filter")) { $1 }
        }
        if !force {
            print("WARNING! This will remove all custom networks not used by at least one container.")
            print("Are you sure you want to continue? [y/N] ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else { return }
        }
        let removed = try networkCall { () throws(EngineError) in try engine.networks.prune(labels: labels) }
        if !removed.isEmpty {
            print("Deleted Networks:")
            removed.forEach { print($0) }
        }
    }
}
