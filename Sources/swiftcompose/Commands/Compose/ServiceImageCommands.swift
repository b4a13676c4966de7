import ArgumentParser
import ComposeModel
import Engine
import Foundation
import Orchestrator

struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale", abstract: "Set the number of containers of services (SERVICE=NUM).",
        discussion: "The same as up -d --scale SERVICE=NUM for those services, without recreating the others.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("no-deps"), help: "Do not start the services they depend on.") var noDeps = false
    @Argument(help: ArgumentHelp("SERVICE=NUM, one or more.", valueName: "SERVICE=NUM")) var scales: [String]

    func run() async throws {
        let project = try global.loadProject()
        var options = UpOptions()
        options.noDeps = noDeps
        options.recreate = RecreatePolicy(never: true)
        for entry in scales {
            let parts = entry.split(separator: "=").map(String.init)
            guard parts.count == 2, let count = Int(parts[1]), count >= 0 else { throw ValidationError("\(entry): write SERVICE=NUM") }
            options.scale[parts[0]] = count
            options.services.append(parts[0])
        }
        do { try await global.orchestrator.up(project, options, progress: global.progressReporter()) } catch { throw error.failure }
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a service container's filesystem as a tar archive.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Which replica (default 1).") var index: Int = 1
    @Option(name: [.customShort("o"), .long], help: "Write to this file instead of standard output.") var output: String?
    @Argument(help: "The service.") var service: String

    func run() async throws {
        if output == nil, isatty(1) == 1 {
            throw ValidationError("refusing to write a tar archive to a terminal; use -o FILE or redirect the output")
        }
        let project = try global.loadProject()
        let container: ContainerInfo
        do { container = try await global.orchestrator.container(of: project.name, service: service, index: index) } catch { throw error.failure }
        let fd = output.map { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } ?? 1
        guard fd >= 0 else { throw ValidationError("cannot write \(output ?? "")") }
        defer { if fd != 1 { close(fd) } }
        do { try await global.orchestrator.containers.export(container.id, to: fd) } catch { failAndExit(error) }
    }
}

struct CommitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit", abstract: "Create an image from a service container's filesystem and settings.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Which replica (default 1).") var index: Int = 1
    @Option(name: [.customShort("m"), .long], help: "A comment for the image's history.") var message: String?
    @Argument(help: "The service.") var service: String
    @Argument(help: "The image name (REPOSITORY[:TAG]).") var reference: String?

    func run() async throws {
        let project = try global.loadProject()
        let container: ContainerInfo
        do { container = try await global.orchestrator.container(of: project.name, service: service, index: index) } catch { throw error.failure }
        do { print(try await global.orchestrator.containers.commit(container.id, as: reference, comment: message).id) } catch { failAndExit(error) }
    }
}
