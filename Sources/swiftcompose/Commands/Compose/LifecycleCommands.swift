import ArgumentParser
import ComposeModel
import Foundation
import Orchestrator

/// `start`, `stop`, `restart`, `kill`, `pause`, `unpause`: one implementation, docker compose's names.
protocol ComposeLifecycleCommand: AsyncParsableCommand {
    var global: GlobalOptions { get }
    var services: [String] { get }
    var action: Orchestrator.Lifecycle { get }
    var stopTimeout: Int? { get }
}

extension ComposeLifecycleCommand {
    var stopTimeout: Int? { nil }

    func run() async throws {
        let project = try global.loadProject()
        do {
            try await global.orchestrator.apply(action, project: project, services: services, timeout: stopTimeout, progress: global.progressReporter())
        } catch {
            throw error.failure
        }
    }
}

struct StartCommand: ComposeLifecycleCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start the project's existing containers.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only these services.") var services: [String] = []
    var action: Orchestrator.Lifecycle { .start }
}

struct StopCommand: ComposeLifecycleCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop the project's containers without removing them.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing.") var timeout: Int?
    @Argument(help: "Only these services.") var services: [String] = []
    var action: Orchestrator.Lifecycle { .stop }
    var stopTimeout: Int? { timeout }
}

struct RestartCommand: ComposeLifecycleCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart the project's containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing.") var timeout: Int?
    @Argument(help: "Only these services.") var services: [String] = []
    var action: Orchestrator.Lifecycle { .restart }
    var stopTimeout: Int? { timeout }
}

struct KillCommand: ComposeLifecycleCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal (default SIGKILL) to the project's containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("s"), .long], help: "The signal to send.") var signal: String = "SIGKILL"
    @Argument(help: "Only these services.") var services: [String] = []
    var action: Orchestrator.Lifecycle { .kill(signal) }
}

struct PauseCommand: ComposeLifecycleCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause the project's containers.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only these services.") var services: [String] = []
    var action: Orchestrator.Lifecycle { .pause }
}

struct UnpauseCommand: ComposeLifecycleCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Resume the project's paused containers.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only these services.") var services: [String] = []
    var action: Orchestrator.Lifecycle { .unpause }
}
