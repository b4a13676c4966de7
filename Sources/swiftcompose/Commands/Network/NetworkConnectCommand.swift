import ArgumentParser
import Foundation
import Engine
import SystemSupport

struct NetworkConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect", abstract: "Connect a running container to a network.")

    @OptionGroup var engine: EngineOptions

    @Option(name: .long, help: ArgumentHelp("Another name for the container on this network (repeatable).", valueName: "name"))
    var alias: [String] = []

    @Option(name: .long, help: ArgumentHelp("IPv4 address to give the container (default: the next free one).", valueName: "ip"))
    var ip: String?

    @Argument(help: "Network (name or id).")
    var network: String

    @Argument(help: "Container (name or id).")
    var container: String

    func run() async throws {
        let info: ContainerInfo
        do { info = try await engine.service.inspect(container) } catch {
            printNetworkError(error)
            throw ExitCode.failure
        }
        // A namespace the network layer pinned for the container, else the live one of its
        // process (the connection then lasts as long as that process).
        let pinned = engine.networks.sandboxPath(containerID: info.id)
        let sandbox: String
        if access(pinned, F_OK) == 0 {
            sandbox = pinned
        } else if info.isRunning, info.run.pid > 0 {
            sandbox = "/proc/\(info.run.pid)/ns/net"
        } else {
            printNetworkError(EngineError(.conflict, "container \(info.name) is not running; start it before connecting it"))
            throw ExitCode.failure
        }
        _ = try networkCall { () throws(EngineError) in
            try engine.networks.connect(sandbox: sandbox, network: network, containerID: info.id, containerName: info.name,
                                        aliases: alias, ipv4Address: ip)
        }
    }
}

struct NetworkDisconnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect", abstract: "Disconnect a container from a network.")

    @OptionGroup var engine: EngineOptions

    @Flag(name: .shortAndLong, help: "Also when the container no longer exists (by id or name on the network).")
    var force = false

    @Argument(help: "Network (name or id).")
    var network: String

    @Argument(help: "Container (name or id).")
    var container: String

    func run() async throws {
        var containerID = container
        if let info = try? await engine.service.inspect(container) {
            containerID = info.id
        } else if force {
            let record = try networkCall { () throws(EngineError) in try engine.networks.inspect(network) }
            containerID = record.endpoints.values.first { $0.containerName == container || $0.containerID.hasPrefix(container) }?
                .containerID ?? container
        }
        try networkCall { () throws(EngineError) in try engine.networks.disconnect(network: network, containerID: containerID) }
    }
}
