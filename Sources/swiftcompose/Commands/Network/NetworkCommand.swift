import ArgumentParser
import Engine
import Foundation
import SystemSupport

/// `swiftcompose network …`: the engine's networks, with docker's commands and flags.
struct NetworkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Manage networks of the built-in engine (docker network ls/create/rm… equivalents).",
        subcommands: [
            NetworkListCommand.self, NetworkInspectCommand.self, NetworkCreateCommand.self,
            NetworkRemoveCommand.self, NetworkPruneCommand.self, NetworkConnectCommand.self,
            NetworkDisconnectCommand.self,
        ]
    )
}

extension EngineOptions {
    var networks: NetworkManager { NetworkManager(state: StateRoot.fromEnvironment(root: root)) }
}

/// Runs one engine call; an engine error becomes one line on stderr and exit status 1.
func networkCall<T>(_ body: () throws(EngineError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        printNetworkError(error)
        throw ExitCode.failure
    }
}

func printNetworkError(_ error: EngineError) {
    FileHandle.standardError.write(Data("swiftcompose: \(error.description)\n".utf8))
}

/// `key=value` pairs of repeated options (--label, --opt, --filter).
func keyValuePairs(_ items: [String], option: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for item in items {
        let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard let key = parts.first, !key.isEmpty else {
            throw ValidationError("\(option) \(item): expected key=value")
        }
        result[String(key)] = parts.count > 1 ? String(parts[1]) : ""
    }
    return result
}
