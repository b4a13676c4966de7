import ArgumentParser
import Engine
import Foundation
import Orchestrator

/// `swiftcompose port SERVICE PRIVATE_PORT`: the host address a container port is
/// published on, as docker compose prints it ("0.0.0.0:8080").
struct PortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "port", abstract: "Print the public port for a port binding.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "tcp or udp.")
    var `protocol` = "tcp"

    @Option(name: .long, help: "Which replica of the service (1, 2, …).")
    var index = 1

    @Argument(help: "Service name.")
    var service: String

    @Argument(help: "Container port (like 80, or 80/udp).")
    var privatePort: String

    func run() async throws {
        let parts = privatePort.split(separator: "/")
        guard let port = parts.first.flatMap({ UInt16($0) }), parts.count <= 2 else {
            throw ValidationError("\(privatePort): expected a port number like 80 or 80/udp")
        }
        let transport = parts.count == 2 ? String(parts[1]) : `protocol`
        let project = try? global.loadProject()
        guard let projectName = project?.name ?? global.projectNameOnly() else { _ = try global.loadProject(); return }
        let containers: [ContainerInfo]
        do {
            containers = try await global.orchestrator.ps(projectName: projectName, all: false, services: [service])
        } catch {
            throw error.failure
        }
        guard let container = containers.first(where: { $0.labels[ComposeLabel.containerNumber] == String(index) }) else {
            throw CommandFailure("no container found for service \"\(service)\" (replica \(index)); is it running?", exitCode: 1)
        }
        guard let published = container.record.spec.publishedPorts.first(where: {
            $0.containerPort == port && $0.proto == transport && $0.hostPort != nil
        }) else {
            throw CommandFailure("no port \(port)/\(transport) published for container \(container.name)", exitCode: 1)
        }
        print("\(published.hostIP ?? "0.0.0.0"):\(published.hostPort!)")
    }
}
