import ArgumentParser
import ComposeModel
import Engine
import Foundation
import Orchestrator

struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List the project's containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("a"), .long], help: "Show all containers, stopped ones included.") var all = false
    @Flag(name: [.customShort("q"), .long], help: "Only show container IDs.") var quiet = false
    @Flag(name: .long, help: "Only show service names.") var services = false
    @Option(name: .long, help: "Only containers in this state (running, exited, paused, created, restarting, dead).") var status: [String] = []
    @Option(name: .long, help: ArgumentHelp("Filter by a property; docker compose supports status=STATE.", valueName: "filter")) var filter: [String] = []
    @Option(name: .long, help: "Output format: table or json.") var format: String = "table"
    @Argument(help: "Only these services.") var serviceNames: [String] = []

    func run() async throws {
        var status = status
        for entry in filter {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] == "status" else {
                throw ValidationError("--filter \(entry): the only filter is status=STATE (running, exited, paused, created, restarting, dead)")
            }
            status.append(parts[1])
        }
        let project = try? global.loadProject()
        guard let name = project?.name ?? global.projectNameOnly() else { _ = try global.loadProject(); return }
        var containers: [ContainerInfo]
        do { containers = try await global.orchestrator.ps(projectName: name, all: all || !status.isEmpty, services: serviceNames) } catch { throw error.failure }
        if !status.isEmpty { containers = containers.filter { status.contains($0.status.rawValue) } }
        if quiet { containers.forEach { print($0.id) }; return }
        if services {
            Set(containers.compactMap { $0.labels[ComposeLabel.service] }).sorted().forEach { print($0) }
            return
        }
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        if format == "json" {
            for info in containers {
                let object: [String: Any] = [
                    "ID": info.id, "Name": info.name, "Image": info.record.imageReference, "Command": Self.command(info),
                    "Project": name, "Service": info.labels[ComposeLabel.service] ?? "", "State": info.status.rawValue,
                    "Status": info.statusText(now: now), "Health": info.run.health ?? "", "ExitCode": info.run.exitCode,
                    "Publishers": info.record.spec.publishedPorts.map {
                        ["URL": $0.hostIP ?? "0.0.0.0", "TargetPort": Int($0.containerPort), "PublishedPort": Int($0.hostPort ?? 0), "Protocol": $0.proto] as [String: Any]
                    },
                    "Labels": info.labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ","),
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            }
            return
        }
        var rows = [["NAME", "IMAGE", "COMMAND", "SERVICE", "STATUS", "PORTS"]]
        for info in containers {
            let ports = info.record.spec.publishedPorts.map { "\($0.hostEndpoint)->\($0.containerPort)/\($0.proto)" }.joined(separator: ", ")
            let status = info.statusText(now: now)
            rows.append([info.name, info.record.imageReference, "\"\(Self.command(info).prefix(20))\"", info.labels[ComposeLabel.service] ?? "", status, ports])
        }
        let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(row.enumerated().map { $1.padding(toLength: widths[$0] + 3, withPad: " ", startingAt: 0) }.joined().trimmingCharacters(in: .whitespaces))
        }
    }

    static func command(_ info: ContainerInfo) -> String {
        let spec = info.record.spec
        let entrypoint = spec.entrypoint ?? info.record.imageConfig.entrypoint ?? []
        let command = spec.command ?? info.record.imageConfig.cmd ?? []
        return (entrypoint + command).joined(separator: " ")
    }
}

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show the output of the project's containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Follow the output.") var follow = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines from the end of each container's log.") var tail: String = "all"
    @Flag(name: [.customShort("t"), .long], help: "Show timestamps.") var timestamps = false
    @Flag(name: .customLong("no-log-prefix"), help: "Do not prefix lines with the container name.") var noLogPrefix = false
    @Flag(name: .customLong("no-color"), help: "Do not colour the prefixes.") var noColor = false
    @Option(name: .long, help: "Only lines since this time (RFC 3339 or Unix seconds) or duration ago (e.g. 10m).") var since: String?
    @Option(name: .long, help: "Only lines before this time (RFC 3339 or Unix seconds) or duration ago (e.g. 10m).") var until: String?
    @Argument(help: "Only these services.") var services: [String] = []

    func run() async throws {
        let project = try global.loadProject()
        var logs = AttachedLogs(orchestrator: global.orchestrator, project: project, services: services)
        logs.follow = follow
        logs.tail = tail == "all" ? nil : Int(tail)
        logs.timestamps = timestamps
        logs.prefix = !noLogPrefix
        logs.colour = global.colours(noColor: noColor)
        logs.since = try since.map { try LogTimeArgument.nanoseconds($0, flag: "--since") }
        logs.until = try until.map { try LogTimeArgument.nanoseconds($0, flag: "--until") }
        logs.stopOnInterrupt = false
        try await logs.run()
    }
}
