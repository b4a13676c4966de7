import ArgumentParser
import Engine
import Foundation
import SystemSupport

struct ImageHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show how an image was made, newest step first.")
    @OptionGroup var engine: EngineOptions
    @Option(name: .long, help: "Output format: table or json.") var format: String = "table"
    @Flag(name: .customLong("no-trunc"), help: "Do not shorten the commands.") var noTrunc = false
    @Argument(help: "The image.") var image: String

    func run() throws {
        let record: ImageRecord
        do { record = try engine.images.resolve(image) } catch { failAndExit(error) }
        // Layers belong, in order, to the history entries that are not empty layers.
        var sizes = record.layers.map(\.size)[...]
        let rows: [(created: String, createdBy: String, size: Int64, comment: String)] = (record.configuration.history ?? []).map { entry in
            let size = entry.empty_layer == true ? 0 : (sizes.popFirst() ?? 0)
            return (entry.created ?? "", entry.created_by ?? "", size, entry.comment ?? "")
        }.reversed()
        if format == "json" {
            for row in rows {
                let object: [String: Any] = ["CreatedAt": row.created, "CreatedBy": row.createdBy, "Size": row.size, "Comment": row.comment]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            }
            return
        }
        guard format == "table" else { throw ValidationError("--format \(format): use table or json") }
        print("CREATED                  CREATED BY                                      SIZE      COMMENT")
        for row in rows {
            let command = noTrunc || row.createdBy.count <= 45 ? row.createdBy : String(row.createdBy.prefix(44)) + "…"
            let size = row.size >= 1 << 20 ? String(format: "%.1fMB", Double(row.size) / 1_048_576) : String(format: "%.1fkB", Double(row.size) / 1024)
            print(row.created.padding(toLength: 24, withPad: " ", startingAt: 0) + " " + command.padding(toLength: 47, withPad: " ", startingAt: 0)
                  + " " + size.padding(toLength: 9, withPad: " ", startingAt: 0) + " " + row.comment)
        }
    }
}

struct ImagePruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unnamed images no container uses (-a: every unused image).")
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("a"), .long], help: "Remove every image no container uses, named or not.") var all = false
    @Flag(name: [.customShort("f"), .long], help: "Accepted for compatibility: nothing asks for confirmation.") var force = false
    @Flag(name: .customLong("build-cache"), help: "Also forget the build cache.") var buildCache = false

    func run() async throws {
        do {
            let inUse = Set(try await engine.service.list(all: true).map(\.record.imageID))
            for line in try engine.images.prune(all: all, containersUsing: inUse) { print(line) }
            if buildCache { try engine.images.pruneBuildCache() }
        } catch {
            failAndExit(error)
        }
    }
}
