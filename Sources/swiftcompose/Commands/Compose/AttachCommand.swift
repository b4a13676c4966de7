import ArgumentParser
import Engine
import Orchestrator
import SystemSupport

/// `attach`: this terminal to a service's running container, as docker compose attaches it
/// (the flags are `AttachOptions`; --index picks the replica).
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", abstract: "Attach local standard input, output, and error streams to a service's running container.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var attach: AttachOptions
    @Option(name: .long, help: "Index of the container if the service has multiple replicas.") var index: Int = 1
    @Argument(help: "The service.") var service: String

    func run() async throws {
        let project = try global.loadProject()
        let orchestrator = global.orchestrator
        let container: ContainerInfo
        do { container = try await orchestrator.container(of: project.name, service: service, index: index) } catch { throw error.failure }
        do {
            let keys = try attach.keys()
            let session = try await orchestrator.containers.attach(container.id)
            throw ExitCode(attach.pump(session, spec: container.record.spec, keys: keys))
        } catch let error as EngineError {
            failAndExit(error)
        }
    }
}
