import ArgumentParser
import Engine
import Foundation
import SystemSupport

struct ContainerStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start stopped containers.")
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("a"), .long], help: "Attach to the container's output and return its exit status.") var attach = false
    @Argument(help: "Containers (names or ids).") var containers: [String]

    func run() async throws {
        let service = engine.service
        if attach, containers.count == 1 {
            do {
                let session = try await service.startAttached(containers[0])
                throw ExitCode(AttachedTerminal(session: session, tty: false, interactive: false).pump())
            } catch let error as EngineError { failAndExit(error) }
        }
        try await forEachContainer(containers) { name in
            try await service.start(name)
            print(name)
        }
    }
}

struct ContainerStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop running containers (stop signal, then SIGKILL after the grace period).")
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing.") var time: Int?
    @Option(name: [.customShort("s"), .long], help: "Signal to send (default: the container's stop signal).") var signal: String?
    @Argument(help: "Containers (names or ids).") var containers: [String]

    func run() async throws {
        let service = engine.service
        try await forEachContainer(containers) { name in
            try await service.stop(name, timeout: time, signal: signal)
            print(name)
        }
    }
}

struct ContainerRestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Stop and start containers again.")
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing.") var time: Int?
    @Argument(help: "Containers (names or ids).") var containers: [String]

    func run() async throws {
        let service = engine.service
        try await forEachContainer(containers) { name in
            try await service.stop(name, timeout: time)
            try await service.start(name)
            print(name)
        }
    }
}

struct ContainerKillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal (default SIGKILL) to running containers.")
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("s"), .long], help: "Signal to send.") var signal: String = "SIGKILL"
    @Argument(help: "Containers (names or ids).") var containers: [String]

    func run() async throws {
        let service = engine.service
        try await forEachContainer(containers) { name in
            try await service.kill(name, signal: signal)
            print(name)
        }
    }
}

struct ContainerRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove containers with everything they left: processes, cgroups, files.")
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("f"), .long], help: "Kill and remove running containers.") var force = false
    @Argument(help: "Containers (names or ids).") var containers: [String]

    func run() async throws {
        let service = engine.service
        try await forEachContainer(containers) { name in
            try await service.remove(name, force: force)
            print(name)
        }
    }
}

struct ContainerWaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Block until containers stop; print their exit codes.")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "Containers (names or ids).") var containers: [String]

    func run() async throws {
        let service = engine.service
        try await forEachContainer(containers) { name in print(try await service.wait(name)) }
    }
}
