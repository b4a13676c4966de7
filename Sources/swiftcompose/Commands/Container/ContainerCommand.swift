import ArgumentParser
import Engine
import Foundation
import SystemSupport

/// `swiftcompose container …`: the engine's containers, with docker's commands and flags.
struct ContainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container",
        abstract: "Manage containers of the built-in engine (docker run/ps/logs… equivalents).",
        subcommands: [
            ContainerRunCommand.self, ContainerCreateCommand.self, ContainerStartCommand.self,
            ContainerStopCommand.self, ContainerRestartCommand.self, ContainerKillCommand.self,
            ContainerRemoveCommand.self, ContainerListCommand.self, ContainerInspectCommand.self,
            ContainerLogsCommand.self, ContainerWaitCommand.self, ContainerExecCommand.self, ContainerAttachCommand.self,
            ContainerTopCommand.self, ContainerStatsCommand.self, ContainerPauseCommand.self, ContainerUnpauseCommand.self,
            ContainerRenameCommand.self, ContainerUpdateCommand.self, ContainerPruneCommand.self, ContainerCopyCommand.self,
            ContainerExportCommand.self, ContainerDiffCommand.self, ContainerCommitCommand.self,
        ]
    )
}

/// Options every container command takes.
struct EngineOptions: ParsableArguments {
    @Option(name: .customLong("root"), help: ArgumentHelp("Engine state directory (default: $SWIFTCOMPOSE_ROOT or /var/lib/swiftcompose).", valueName: "dir"))
    var root: String?

    var service: ContainerService { ContainerService(state: StateRoot.fromEnvironment(root: root)) }
}

/// Prints an engine error as one line and exits with Docker's code (125 unless the error
/// carries the exit status of a failed start: 126, 127).
func failAndExit(_ error: Error) -> Never {
    let message: String
    var code: Int32 = 125
    if let engine = error as? EngineError {
        message = engine.message
        if let status = engine.cause as? ExitStatus { code = status.code }
        else if let cause = engine.cause { FileHandle.standardError.write(Data("swiftcompose: \(engine.message): \(cause)\n".utf8)); exit(code) }
    } else {
        message = "\(error)"
    }
    FileHandle.standardError.write(Data("swiftcompose: \(message)\n".utf8))
    exit(code)
}

/// Runs `body` for each container named; errors are printed per container (docker's way),
/// and the command fails at the end if any did.
func forEachContainer(_ names: [String], _ body: (String) async throws -> Void) async throws {
    var failed = false
    for name in names {
        do { try await body(name) } catch let error as EngineError {
            FileHandle.standardError.write(Data("swiftcompose: \(error.message)\n".utf8))
            failed = true
        }
    }
    if failed { throw ExitCode(1) }
}
