import ArgumentParser
import ComposeModel
import Engine
import Foundation
import Orchestrator
import SystemSupport

struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a command in a running service container.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("d"), .long], help: "Run the command in the background.") var detach = false
    @Flag(name: [.customShort("T"), .customLong("no-tty"), .customLong("no-TTY")], help: "Do not allocate a pseudo-terminal (default: one when this is a terminal).") var noTTY = false
    @Option(name: [.customShort("e"), .long], help: "Set an environment variable (NAME=value).") var env: [String] = []
    @Option(name: [.customShort("u"), .long], help: "Run as this user.") var user: String?
    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.") var workdir: String?
    @Option(name: .long, help: "Which replica of the service (default 1).") var index: Int = 1
    @Flag(name: .long, help: "Give the process all capabilities.") var privileged = false
    @Argument(help: "The service.") var service: String
    @Argument(parsing: .captureForPassthrough, help: "COMMAND [ARG...].") var command: [String] = []

    func run() async throws {
        let project = try global.loadProject()
        let orchestrator = global.orchestrator
        let container: ContainerInfo
        do { container = try await orchestrator.container(of: project.name, service: service, index: index) } catch { throw error.failure }
        var options = ExecOptions(command: command)
        options.tty = !noTTY && !detach && isatty(0) == 1
        options.interactive = !detach
        options.user = user
        options.workingDir = workdir
        options.privileged = privileged
        for entry in env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            options.environment[parts[0]] = parts.count > 1 ? parts[1] : ProcessInfo.processInfo.environment[parts[0]] ?? ""
        }
        do {
            let session = try await orchestrator.containers.exec(container.id, options: options)
            if detach { return }
            throw ExitCode(AttachedTerminal(session: session, tty: options.tty, interactive: options.interactive).pump())
        } catch let error as EngineError { failAndExit(error) }
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a one-off command in a new container of a service.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("d"), .long], help: "Run in the background and print the container ID.") var detach = false
    @Flag(name: .long, help: "Remove the container when it exits.") var rm = false
    @Option(name: [.customShort("e"), .long], help: "Set an environment variable (NAME=value).") var env: [String] = []
    @Option(name: [.customShort("u"), .long], help: "Run as this user.") var user: String?
    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.") var workdir: String?
    @Option(name: .long, help: "Override the entrypoint (\"\" clears it).") var entrypoint: String?
    @Option(name: .long, help: "Name the container.") var name: String?
    @Flag(name: .customLong("no-deps"), help: "Do not start the services it depends on.") var noDeps = false
    @Flag(name: .customLong("service-ports"), help: "Publish the service's ports.") var servicePorts = false
    @Flag(name: [.customShort("T"), .customLong("no-TTY")], help: "Do not allocate a pseudo-terminal.") var noTTY = false
    @Option(name: .customLong("publish"), help: ArgumentHelp("Publish a port, also written -p: [ip:][host:]container[/proto].", valueName: "port")) var publish: [String] = []
    @Option(name: [.customShort("v"), .customLong("volume")], help: ArgumentHelp("Mount a path or a declared volume (source:target[:ro]).", valueName: "volume")) var volumes: [String] = []
    @Argument(help: "The service.") var service: String
    @Argument(parsing: .captureForPassthrough, help: "COMMAND [ARG...] (default: the service's command).") var command: [String] = []

    func run() async throws {
        let project = try global.loadProject()
        let orchestrator = global.orchestrator
        var options = RunOptions()
        options.command = command.isEmpty ? nil : command
        options.entrypoint = entrypoint.map { $0.isEmpty ? [] : [$0] }
        options.user = user
        options.workingDir = workdir
        options.name = name
        options.noDeps = noDeps
        options.servicePorts = servicePorts
        options.publish = publish
        options.volumes = volumes
        options.tty = !noTTY && !detach && isatty(0) == 1
        options.interactive = !detach
        for entry in env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            options.environment[parts[0]] = parts.count > 1 ? parts[1] : ProcessInfo.processInfo.environment[parts[0]] ?? ""
        }
        let record: ContainerRecord
        do { record = try await orchestrator.createOneOff(project, service: service, options, progress: global.progressReporter()) } catch { throw error.failure }
        if detach {
            do { try await orchestrator.containers.start(record.id) } catch { failAndExit(error) }
            print(record.id)
            return
        }
        let code: Int32
        do {
            let session = try await orchestrator.containers.startAttached(record)
            code = AttachedTerminal(session: session, tty: options.tty, interactive: options.interactive).pump()
        } catch {
            if rm { try? await orchestrator.removeContainer(named: record.id) }
            failAndExit(error)
        }
        if rm { try? await orchestrator.removeContainer(named: record.id) }
        throw ExitCode(code)
    }
}

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create the project's containers without starting them.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("force-recreate"), help: "Recreate containers even if nothing changed.") var forceRecreate = false
    @Flag(name: .customLong("no-recreate"), help: "Do not recreate containers that exist.") var noRecreate = false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers of services no longer in the file.") var removeOrphans = false
    @Argument(help: "Only these services.") var services: [String] = []

    func run() async throws {
        let project = try global.loadProject()
        var options = UpOptions()
        options.services = services
        options.noStart = true
        options.recreate = RecreatePolicy(force: forceRecreate, never: noRecreate)
        options.removeOrphans = removeOrphans
        do { try await global.orchestrator.up(project, options, progress: global.progressReporter()) } catch { throw error.failure }
    }
}

struct RmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove the project's stopped containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Do not ask for confirmation (swiftcompose never asks).") var force = false
    @Flag(name: [.customShort("s"), .long], help: "Stop the containers first.") var stop = false
    @Flag(name: [.customShort("v"), .long], help: "Also remove their anonymous volumes.") var volumes = false
    @Argument(help: "Only these services.") var services: [String] = []

    func run() async throws {
        let project = try global.loadProject()
        let orchestrator = global.orchestrator
        if stop {
            do { try await orchestrator.apply(.stop, project: project, services: services, progress: global.progressReporter()) } catch { throw error.failure }
        }
        let containers: [ContainerInfo]
        do { containers = try await orchestrator.ps(projectName: project.name, all: true, services: services) } catch { throw error.failure }
        let stopped = containers.filter { !$0.isRunning }
        if stopped.isEmpty { FileHandle.standardError.write(Data("No stopped containers\n".utf8)) }
        for info in stopped {
            do { try await orchestrator.removeContainer(named: info.id) } catch { throw error.failure }
            FileHandle.standardError.write(Data(" ✔ Container \(info.name)  Removed\n".utf8))
        }
    }
}
