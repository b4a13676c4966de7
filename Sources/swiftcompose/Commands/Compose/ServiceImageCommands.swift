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
        options.scale = try ScaleArgument.parse(scales)
        options.services = options.scale.keys.sorted()
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
        let project = try global.loadProject()
        let container: ContainerInfo
        do { container = try await global.orchestrator.container(of: project.name, service: service, index: index) } catch { throw error.failure }
        let fd = try ArchiveOutput.open(output)
        defer { ArchiveOutput.close(fd) }
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
