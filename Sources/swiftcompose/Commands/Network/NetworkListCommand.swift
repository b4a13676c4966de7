import ArgumentParser
import Engine
import SystemSupport
import Foundation

struct NetworkListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List networks.", aliases: ["list"])

    @OptionGroup var engine: EngineOptions

    @Option(name: [.customShort("f"), .long],
            help: ArgumentHelp("Keep only networks matching: name=…, id=…, driver=…, label=key or label=key=value (repeatable).", valueName: "filter"))
    var filter: [String] = []

    @Option(name: .long, help: "Output format: table or json (one object per line).")
    var format: String = "table"

    @Flag(name: .shortAndLong, help: "Print only network ids.")
    var quiet = false

    @Flag(name: .customLong("no-trunc"), help: "Print whole network ids.")
    var noTrunc = false

    func run() throws {
        let records = try networkCall { () throws(EngineError) in try engine.networks.list() }
        let matching = try records.filter { try NetworkFilter(filter).matches($0) }
        if quiet {
            for record in matching { print(noTrunc ? record.id : String(record.id.prefix(12))) }
        } else if format == "json" {
            for record in matching { print(try NetworkJSON.text(NetworkJSON.listObject(record), pretty: false)) }
        } else if format == "table" {
            let rows = [["NETWORK ID", "NAME", "DRIVER", "SCOPE"]]
                + matching.map { [noTrunc ? $0.id : String($0.id.prefix(12)), $0.name, $0.driver, "local"] }
            let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print(row.enumerated().map { $1.padding(toLength: $0 == 3 ? $1.count : widths[$0] + 3, withPad: " ", startingAt: 0) }
                    .joined())
            }
        } else {
            throw ValidationError("--format \(format): use table or json")
        }
    }
}

/// docker's `--filter` for networks: every kind given must match; values of one kind are alternatives.
struct NetworkFilter {
    var terms: [String: [String]] = [:]

    init(_ filters: [String]) throws {
        for filter in filters {
            let parts = filter.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, ["name", "id", "driver", "label"].contains(parts[0]) else {
                throw ValidationError("--filter \(filter): expected name=…, id=…, driver=… or label=…")
            }
            terms[String(parts[0]), default: []].append(String(parts[1]))
        }
    }

    func matches(_ record: NetworkRecord) -> Bool {
        terms.allSatisfy { kind, values in
            values.contains { value in
                switch kind {
                case "name": return record.name.contains(value)
                case "id": return record.id.hasPrefix(value)
                case "driver": return record.driver == value
                default:
                    let pair = value.split(separator: "=", maxSplits: 1).map(String.init)
                    guard let label = record.labels[pair[0]] else { return false }
                    return pair.count == 1 || label == pair[1]
                }
            }
        }
    }
}
