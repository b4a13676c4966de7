import ArgumentParser
import Engine
import Foundation
import SystemSupport

struct VolumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume",
        abstract: "Manage named volumes (directories of the local driver under the state root).",
        subcommands: [VolumeListCommand.self, VolumeCreateCommand.self, VolumeInspectCommand.self, VolumeRemoveCommand.self, VolumePruneCommand.self]
    )
}

extension EngineOptions {
    var volumes: VolumeStore { VolumeStore(state: StateRoot.fromEnvironment(root: root)) }

    /// Names of the volumes that some container mounts.
    func volumesInUse() async -> Set<String> {
        let containers = (try? await service.list(all: true)) ?? []
        return Set(containers.flatMap { $0.record.spec.mounts.compactMap(\.volumeName) }
            + containers.flatMap { $0.record.spec.mounts.filter { $0.kind == .volume }.map { ($0.source as NSString).deletingLastPathComponent.split(separator: "/").last.map(String.init) ?? "" } })
    }
}

/// `--filter label=KEY[=VALUE]`, as docker's volume and network commands take it.
func matchesLabelFilters(_ labels: [String: String], _ filters: [String]) throws -> Bool {
    for filter in filters {
        guard filter.hasPrefix("label=") else { throw ValidationError("unsupported filter \(filter): use label=KEY or label=KEY=VALUE") }
        let condition = filter.dropFirst("label=".count).split(separator: "=", maxSplits: 1).map(String.init)
        guard let value = labels[condition[0]] else { return false }
        if condition.count == 2, value != condition[1] { return false }
    }
    return true
}

struct VolumeListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes.", aliases: ["list"])
    @OptionGroup var engine: EngineOptions
    @Option(name: .long, help: "Output format: table or json.") var format: String = "table"
    @Option(name: .long, help: "Filter: label=KEY or label=KEY=VALUE.") var filter: [String] = []
    @Flag(name: [.customShort("q"), .long], help: "Only show volume names.") var quiet = false

    func run() async throws {
        let volumes = try engine.volumes.list().filter { try matchesLabelFilters($0.labels, filter) }
        _ = volumes.count
        if quiet { volumes.forEach { print($0.name) }; return }
        if format == "json" {
            for volume in volumes {
                let object: [String: Any] = ["Name": volume.name, "Driver": volume.driver, "Mountpoint": volume.mountpoint,
                                             "Labels": volume.labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            }
            return
        }
        print("DRIVER    VOLUME NAME")
        for volume in volumes { print(volume.driver.padding(toLength: 10, withPad: " ", startingAt: 0) + volume.name) }
    }
}

struct VolumeCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume (an existing one is kept).")
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("l"), .long], help: "Set a label (key=value).") var label: [String] = []
    @Argument(help: "The volume name (default: a random one).") var name: String?

    func run() throws {
        var labels: [String: String] = [:]
        for entry in label {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let volumeName = name ?? randomHexID()
        do { print(try engine.volumes.create(volumeName, labels: labels).name) } catch { failAndExit(error) }
    }
}

struct VolumeInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show volumes as JSON.")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "Volumes to inspect.") var names: [String]

    func run() throws {
        var records: [VolumeStore.Record] = []
        for name in names {
            do { records.append(try engine.volumes.inspect(name)) } catch { failAndExit(error) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(records), as: UTF8.self))
    }
}

struct VolumeRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove volumes (refused while a container uses them).", aliases: ["remove"])
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("f"), .long], help: "Accepted for docker compatibility.") var force = false
    @Argument(help: "Volumes to remove.") var names: [String]

    func run() async throws {
        let inUse = await engine.volumesInUse()
        for name in names {
            do {
                try engine.volumes.remove(name, inUse: inUse.contains(name))
                print(name)
            } catch { failAndExit(error) }
        }
    }
}

struct VolumePruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove the volumes no container uses.")
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("f"), .long], help: "Do not ask (swiftcompose never asks).") var force = false
    @Option(name: .long, help: "Filter: label=KEY or label=KEY=VALUE.") var filter: [String] = []

    func run() async throws {
        let inUse = await engine.volumesInUse()
        for volume in engine.volumes.list() where !inUse.contains(volume.name) {
            guard try matchesLabelFilters(volume.labels, filter) else { continue }
            do { try engine.volumes.remove(volume.name) } catch { failAndExit(error) }
            print("Deleted: \(volume.name)")
        }
    }
}
