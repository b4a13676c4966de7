import ArgumentParser
import Engine
import Foundation
import Monitor
import SystemSupport

struct ContainerPauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze every process of containers.")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "Containers (names or ids).") var containers: [String]

    func run() async throws {
        let service = engine.service
        try await forEachContainer(containers) { name in try await service.pause(name); print(name) }
    }
}

struct ContainerUnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Thaw paused containers.")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "Containers (names or ids).") var containers: [String]

    func run() async throws {
        let service = engine.service
        try await forEachContainer(containers) { name in try await service.unpause(name); print(name) }
    }
}

struct ContainerRenameCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rename", abstract: "Rename a container.")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "The container.") var container: String
    @Argument(help: "Its new name.") var newName: String

    func run() async throws {
        do { try await engine.service.rename(container, to: newName) } catch { failAndExit(error) }
    }
}

struct ContainerUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Change resource limits (at once) and the restart policy (from the next start).")
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("m"), .long], help: "Memory limit.") var memory: String?
    @Option(name: .customLong("memory-swap"), help: "Memory plus swap limit.") var memorySwap: String?
    @Option(name: .long, help: "Number of CPUs.") var cpus: Double?
    @Option(name: .customLong("cpu-shares"), help: "CPU shares.") var cpuShares: Int64?
    @Option(name: .customLong("pids-limit"), help: "Maximum number of processes.") var pidsLimit: Int64?
    @Option(name: .long, help: "Restart policy.") var restart: String?
    @Argument(help: "Containers (names or ids).") var containers: [String]

    func run() async throws {
        var resources = ContainerSpec.Resources()
        resources.memory = size(memory)
        resources.memorySwap = memorySwap == "-1" ? -1 : size(memorySwap)
        resources.nanoCPUs = cpus.map { Int64($0 * 1e9) }
        resources.cpuShares = cpuShares
        resources.pidsLimit = pidsLimit
        let policy = restart.map { text -> ContainerSpec.RestartPolicy in
            let parts = text.split(separator: ":").map(String.init)
            return ContainerSpec.RestartPolicy(name: parts[0], maximumRetryCount: parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
        }
        let service = engine.service
        try await forEachContainer(containers) { name in
            try await service.update(name, resources: resources, restartPolicy: policy)
            print(name)
        }
    }
}

/// A byte size flag, or exit 125 with the parse error.
func size(_ text: String?) -> Int64? {
    do { return try ByteSize.parse(text) } catch { failAndExit(error) }
}

struct ContainerPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all stopped containers.")
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("f"), .long], help: "Do not ask for confirmation (swiftcompose never asks).") var force = false
    @Option(name: .long, help: "Only containers with this label (label=key[=value]).") var filter: [String] = []

    func run() async throws {
        var labels: [String: String] = [:]
        for entry in filter where entry.hasPrefix("label=") {
            let parts = entry.dropFirst(6).split(separator: "=", maxSplits: 1).map(String.init)
            labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        do {
            let removed = try await engine.service.prune(labels: labels)
            if !removed.isEmpty { print("Deleted Containers:"); removed.forEach { print($0) }; print("") }
            print("Total reclaimed space: 0B")
        } catch { failAndExit(error) }
    }
}

struct ContainerTopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Show the processes of a container.")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "The container.") var container: String

    func run() async throws {
        do {
            let processes = try await engine.service.top(container)
            printTable([["UID", "PID", "PPID", "CMD"]] + processes.map { [String($0.uid), String($0.pid), String($0.ppid), $0.command] })
        } catch { failAndExit(error) }
    }
}

struct ContainerStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show resource usage of running containers (one snapshot).")
    @OptionGroup var engine: EngineOptions
    @Flag(name: .customLong("no-stream"), help: "Print one snapshot (the only mode).") var noStream = false
    @Option(name: .long, help: "Output format: table or json.") var format: String = "table"
    @Argument(help: "Containers (default: all running).") var containers: [String] = []

    func run() async throws {
        let service = engine.service
        let names = containers.isEmpty ? ((try? await service.list(all: false)) ?? []).map(\.name) : containers
        // CPU % over a short window, as docker stats computes it between two reads.
        var first: [String: ContainerStats] = [:]
        for name in names { first[name] = try? await service.stats(name) }
        try await Task.sleep(nanoseconds: 200_000_000)
        var rows = [["NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS"]]
        for name in names {
            guard let stats = try? await service.stats(name), let before = first[name] else { continue }
            let cpu = Double(stats.cpuNanoseconds - before.cpuNanoseconds) / 2e8 * 100
            let limit = stats.memoryLimit ?? Int64(ProcessInfo.processInfo.physicalMemory)
            let memPercent = Double(stats.memoryUsage) / Double(max(1, limit)) * 100
            if format == "json" {
                print(#"{"Name":"\#(name)","CPUPerc":"\#(String(format: "%.2f%%", cpu))","MemUsage":"\#(stats.memoryUsage)","MemLimit":"\#(limit)","MemPerc":"\#(String(format: "%.2f%%", memPercent))","PIDs":"\#(stats.pids)"}"#)
            } else {
                rows.append([name, String(format: "%.2f%%", cpu), "\(bytes(stats.memoryUsage)) / \(bytes(limit))",
                             String(format: "%.2f%%", memPercent), String(stats.pids)])
            }
        }
        if format != "json" { printTable(rows) }
    }

    private func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var index = 0
        while amount >= 1024, index < units.count - 1 { amount /= 1024; index += 1 }
        return String(format: index == 0 ? "%.0f%@" : "%.2f%@", amount, units[index])
    }
}
