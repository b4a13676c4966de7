import ArgumentParser
import Engine
import Orchestrator
import SystemSupport

/// `attach`: this terminal to a service's running container, as docker compose attaches it:
/// its output, its input unless --no-stdin (when the container keeps stdin open), the
/// signals this process gets (--sig-proxy, on by default), and a key sequence that leaves
/// it running (--detach-keys, ctrl-p,ctrl-q by default, with a terminal).
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", abstract: "Attach local standard input, output, and error streams to a service's running container.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching from a container.") var detachKeys: String?
    @Option(name: .long, help: "Index of the container if the service has multiple replicas.") var index: Int = 1
    @Flag(name: .customLong("no-stdin"), help: "Do not attach STDIN.") var noStdin = false
    @Flag(name: .customLong("sig-proxy"), inversion: .prefixedNo, help: "Proxy all received signals to the process.") var sigProxy = true
    @Argument(help: "The service.") var service: String

    func run() async throws {
        let project = try global.loadProject()
        let orchestrator = global.orchestrator
        let container: ContainerInfo
        do { container = try await orchestrator.container(of: project.name, service: service, index: index) } catch { throw error.failure }
        do {
            let keys = try detachKeys.map { (text) throws(EngineError) in try DetachKeys(parsing: text) } ?? .standard
            let session = try await orchestrator.containers.attach(container.id)
            let spec = container.record.spec
            var terminal = AttachedTerminal(session: session, tty: spec.tty, interactive: !noStdin && spec.openStdin)
            terminal.proxySignals = sigProxy
            terminal.detachKeys = keys
            throw ExitCode(terminal.pump())
        } catch let error as EngineError {
            failAndExit(error)
        }
    }
}
