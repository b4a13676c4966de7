import ArgumentParser
import ComposeModel
import Engine
import Foundation
import Monitor
import Orchestrator
import SystemSupport

/// The containers of the project's services (all replicas), or fails as docker compose does.
private func serviceContainers(_ global: GlobalOptions, _ services: [String], all: Bool = true) async throws -> [ContainerInfo] {
    let project = try global.loadProject()
    do { return try await global.orchestrator.ps(projectName: project.name, all: all, services: services) } catch { throw error.failure }
}

struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Wait for the containers of services to stop; print their exit codes.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("down-project"), help: "Take the whole project down once the first container stops.") var downProject = false
    @Argument(help: "Services to wait for.") var services: [String]

    func run() async throws {
        guard !services.isEmpty else { throw ValidationError("name the services to wait for") }
        let containers = try await serviceContainers(global, services)
        guard !containers.isEmpty else { throw CommandFailure("no containers for \(services.joined(separator: ", "))") }
        let engine = global.orchestrator.containers
        var first: Int?
        await withTaskGroup(of: (String, Int?).self) { group in
            for info in containers { group.addTask { (info.name, try? await engine.wait(info.id)) } }
            for await (name, code) in group {
                print("\(name) \(code.map(String.init) ?? "unknown")")
                if first == nil { first = code ?? 1 }
                if downProject { group.cancelAll() }
            }
        }
        if downProject, let name = global.projectNameOnly() ?? (try? global.loadProject().name) {
            var options = DownOptions()
            options.timeout = 10
            do { try await global.orchestrator.down(projectName: name, project: try? global.loadProject(), options, progress: global.progressReporter()) } catch { throw error.failure }
        }
        if let first, first != 0 { throw ExitCode(Int32(first)) }
    }
}

struct CpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy files between a service container and the host.",
        discussion: "SERVICE:PATH on one side, a host path on the other: swiftcompose cp web:/etc/hosts ./hosts")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Which replica (default 1).") var index: Int = 1
    @Flag(name: [.customShort("a"), .long], help: "Accepted for compatibility: ownership is kept as archived.") var archive = false
    @Flag(name: [.customShort("L"), .customLong("follow-link")], help: "Accepted for compatibility.") var followLink = false
    @Argument(help: "SERVICE:SRC_PATH or a host path.") var source: String
    @Argument(help: "SERVICE:DEST_PATH or a host path.") var destination: String

    /// `web:/etc` → ("web", "/etc"); a host path (no colon before a slash) → nil.
    static func servicePath(_ text: String) -> (String, String)? {
        guard let colon = text.firstIndex(of: ":"), !text[..<colon].contains("/"), colon != text.startIndex else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    func run() async throws {
        let from = Self.servicePath(source), to = Self.servicePath(destination)
        guard (from == nil) != (to == nil) else { throw ValidationError("one side must be SERVICE:PATH and the other a host path") }
        let project = try global.loadProject()
        let orchestrator = global.orchestrator
        do {
            if let (service, path) = from {
                let info = try await orchestrator.container(of: project.name, service: service, index: index)
                try await orchestrator.containers.copyOut(info.id, from: path, to: destination)
            } else if let (service, path) = to {
                let info = try await orchestrator.container(of: project.name, service: service, index: index)
                try await orchestrator.containers.copyIn(info.id, from: source, to: path)
            }
        } catch let error as OrchestratorError {
            throw error.failure
        } catch let error as EngineError {
            throw CommandFailure(error.message, exitCode: 1)
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show CPU, memory and process use of the project's containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("no-stream"), help: "Print once and exit.") var noStream = false
    @Option(name: .long, help: "Output format: table or json.") var format: String = "table"
    @Argument(help: "Only these services.") var services: [String] = []

    func run() async throws {
        guard ["table", "json"].contains(format) else { throw ValidationError("--format \(format): use table or json") }
        let engine = global.orchestrator.containers
        repeat {
            let containers = try await serviceContainers(global, services, all: false)
            // CPU % is the use between two samples half a second apart, as docker stats shows it.
            var before: [String: ContainerStats] = [:]
            for info in containers { before[info.id] = try? await engine.stats(info.id) }
            try await Task.sleep(nanoseconds: 500_000_000)
            var rows = [["NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS"]]
            var lines: [String] = []
            for info in containers {
                guard let after = try? await engine.stats(info.id) else { continue }
                let cpu = Double(after.cpuNanoseconds - (before[info.id]?.cpuNanoseconds ?? after.cpuNanoseconds)) / 5e6
                let limit = after.memoryLimit ?? Int64(ProcessInfo.processInfo.physicalMemory)
                let memoryPercent = Double(after.memoryUsage) / Double(max(limit, 1)) * 100
                rows.append([info.name, String(format: "%.2f%%", cpu), "\(Self.bytes(after.memoryUsage)) / \(Self.bytes(limit))",
                             String(format: "%.2f%%", memoryPercent), String(after.pids)])
                let object: [String: Any] = ["Name": info.name, "ID": String(info.id.prefix(12)), "CPUPerc": String(format: "%.2f%%", cpu),
                                             "MemUsage": "\(Self.bytes(after.memoryUsage)) / \(Self.bytes(limit))",
                                             "MemPerc": String(format: "%.2f%%", memoryPercent), "PIDs": String(after.pids)]
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            }
            if !noStream && isatty(1) != 0 { print("\u{1B}[2J\u{1B}[H", terminator: "") }
            if format == "json" {
                lines.forEach { print($0) }
            } else {
                let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
                for row in rows {
                    print(row.enumerated().map { $1.padding(toLength: widths[$0] + 3, withPad: " ", startingAt: 0) }.joined())
                }
            }
            if !noStream { try await Task.sleep(nanoseconds: 500_000_000) }
        } while !noStream
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return String(format: unit == 0 ? "%.0f%@" : "%.2f%@", value, units[unit])
    }
}

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Stream the events of the project's containers (start, die, health_status).",
        discussion: "Follows the containers that exist when it starts; their monitors push every change.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "One JSON object per event.") var json = false
    @Argument(help: "Only these services.") var services: [String] = []

    func run() async throws {
        let containers = try await serviceContainers(global, services)
        let engine = global.orchestrator.containers
        let lock = NSLock()
        let json = self.json
        await withTaskGroup(of: Void.self) { group in
            for info in containers {
                group.addTask {
                    var last = (status: info.run.status, health: info.run.health)
                    // A stream ends with its monitor (the container stopped); a restart
                    // brings a new monitor, so watch again until the container is gone.
                    while let stream = try? await engine.watch(info.id) {
                        for await state in stream {
                            var actions: [String] = []
                            if state.status != last.status {
                                switch state.status {
                                case .running: actions.append(last.status == .restarting ? "restart" : "start")
                                case .exited, .dead: actions.append("die")
                                case .restarting: actions.append("restarting")
                                case .created: actions.append("create")
                                }
                            }
                            if let health = state.health, health != last.health { actions.append("health_status: \(health)") }
                            last = (state.status, state.health)
                            for action in actions {
                                let line = Self.render(action, info, state, json: json)
                                lock.withLock { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
                            }
                        }
                        try? await Task.sleep(nanoseconds: 200_000_000)
                    }
                }
            }
        }
    }

    static func render(_ action: String, _ info: ContainerInfo, _ state: ContainerRunState, json: Bool) -> String {
        let time = Date()
        var attributes = ["name": info.name, "image": info.record.imageReference]
        if action == "die" { attributes["exitCode"] = String(state.exitCode) }
        if json {
            let object: [String: Any] = ["time": ISO8601DateFormatter().string(from: time), "type": "container", "action": action,
                                         "id": info.id, "service": info.labels["com.docker.compose.service"] ?? "",
                                         "attributes": attributes]
            return String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
        let details = attributes.keys.sorted().map { "\($0)=\(attributes[$0]!)" }.joined(separator: ", ")
        return "\(formatter.string(from: time)) container \(action) \(info.id) (\(details))"
    }
}
