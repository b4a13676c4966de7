import ArgumentParser
import Engine
import Foundation
import SystemSupport
import Monitor

struct ContainerListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List containers.", aliases: ["ps", "list"])
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("a"), .long], help: "Show all containers (default: running only).") var all = false
    @Flag(name: [.customShort("q"), .long], help: "Only print container ids.") var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Do not truncate ids and commands.") var noTrunc = false
    @Option(name: [.customShort("f"), .long], help: "Filter: label=key[=value], name=…, status=…, id=….") var filter: [String] = []
    @Option(name: .long, help: "Output format: table or json (one object per line).") var format: String = "table"

    func run() async throws {
        let now = Timestamp.now()
        let includeStopped = all || filter.contains { $0.hasPrefix("status=") }
        var items = await listOrExit(all: includeStopped)
        for entry in filter {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let value = parts.count > 1 ? parts[1] : ""
            switch parts[0] {
            case "label":
                let kv = value.split(separator: "=", maxSplits: 1).map(String.init)
                items = items.filter { kv.count == 2 ? $0.labels[kv[0]] == kv[1] : $0.labels[kv[0]] != nil }
            case "name": items = items.filter { $0.name.contains(value) }
            case "id": items = items.filter { $0.id.hasPrefix(value) }
            case "status": items = items.filter { $0.status.rawValue == value }
            default: throw ValidationError("invalid filter \"\(entry)\"; use label=, name=, id= or status=")
            }
        }
        if quiet {
            items.forEach { print(noTrunc ? $0.id : $0.record.shortID) }
            return
        }
        if format == "json" {
            for item in items {
                let object: [String: Any] = [
                    "ID": noTrunc ? item.id : item.record.shortID, "Image": item.record.imageReference,
                    "Command": "\"\(commandText(item))\"", "CreatedAt": Timestamp.rfc3339(item.record.created),
                    "Names": item.name, "State": item.status.rawValue, "Status": item.statusText(now: now),
                    "Labels": item.labels.keys.sorted().map { "\($0)=\(item.labels[$0]!)" }.joined(separator: ","),
                    "RunningFor": HumanDuration.describe(nanoseconds: now - item.record.created) + " ago",
                    "Ports": "", "Networks": item.record.spec.networkMode ?? "none", "Mounts": "",
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            }
            return
        }
        var rows = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]]
        for item in items {
            var command = commandText(item)
            if !noTrunc, command.count > 20 { command = String(command.prefix(19)) + "…" }
            rows.append([noTrunc ? item.id : item.record.shortID, item.record.imageReference, "\"\(command)\"",
                         HumanDuration.describe(nanoseconds: now - item.record.created) + " ago", item.statusText(now: now), "", item.name])
        }
        printTable(rows)
    }

    private func listOrExit(all: Bool) async -> [ContainerInfo] {
        do { return try await engine.service.list(all: all) } catch { failAndExit(error) }
    }

    private func commandText(_ item: ContainerInfo) -> String {
        let spec = item.record.spec, image = item.record.imageConfig
        let arguments = spec.entrypoint.map { $0 + (spec.command ?? []) } ?? ((image.entrypoint ?? []) + (spec.command ?? image.cmd ?? []))
        return arguments.joined(separator: " ")
    }
}

/// Columns padded to their widest cell, three spaces apart (docker's table layout).
func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    var widths = first.map(\.count)
    for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
    for row in rows {
        var line = ""
        for (index, cell) in row.enumerated() {
            line += index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0)
        }
        print(line)
    }
}
