import ArgumentParser
import Engine
import Foundation
import SystemSupport

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Manage images in swiftcompose's image store.",
        subcommands: [ImageBuildCommand.self, ImagePullCommand.self, ImagePushCommand.self, ImageLoadCommand.self, ImageSaveCommand.self, ImageHistoryCommand.self, ImagePruneCommand.self, ImageImportCommand.self, ImageListCommand.self, ImageInspectCommand.self, ImageTagCommand.self, ImageRemoveCommand.self]
    )
}

extension EngineOptions {
    var images: ImageStore { ImageStore(state: StateRoot.fromEnvironment(root: root)) }
}

struct ImageImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Create an image from a root filesystem tarball (like docker import).",
        discussion: "The tarball may be plain or gzip-compressed; '-' reads it from standard input."
    )
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("c"), .customLong("change")], help: "Set CMD, ENTRYPOINT, ENV, WORKDIR or USER, as in a Dockerfile (e.g. 'CMD [\"sh\"]').")
    var change: [String] = []
    @Option(name: [.customShort("m"), .customLong("message")], help: "A comment for the image's history.") var message: String?
    @Argument(help: "The tarball, or - for standard input.") var file: String
    @Argument(help: "The name to give the image (NAME[:TAG]).") var reference: String?

    func run() throws {
        var path = file
        var temporary: String?
        if file == "-" {
            temporary = NSTemporaryDirectory() + "swiftcompose-import-\(UUID().uuidString).tar"
            FileManager.default.createFile(atPath: temporary!, contents: FileHandle.standardInput.readDataToEndOfFile())
            path = temporary!
        }
        defer { if let temporary { unlink(temporary) } }
        var config = ImageConfiguration.Config()
        for instruction in change { try apply(instruction, to: &config) }
        do {
            let image = try engine.images.importRootfs(tarball: path, reference: reference, config: config, comment: message ?? "imported from \(file)")
            print(image.id)
        } catch {
            failAndExit(error)
        }
    }

    private func apply(_ instruction: String, to config: inout ImageConfiguration.Config) throws {
        let parts = instruction.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw ValidationError("--change \"\(instruction)\": write it as INSTRUCTION ARGUMENTS") }
        let argument = parts[1]
        let list: [String] = (try? JSONDecoder().decode([String].self, from: Data(argument.utf8))) ?? ["/bin/sh", "-c", argument]
        switch parts[0].uppercased() {
        case "CMD": config.Cmd = list
        case "ENTRYPOINT": config.Entrypoint = list
        case "ENV": config.Env = (config.Env ?? []) + [argument.contains("=") ? argument : argument.replacingOccurrences(of: " ", with: "=")]
        case "WORKDIR": config.WorkingDir = argument
        case "USER": config.User = argument
        default: throw ValidationError("--change \(parts[0]) is not supported; use CMD, ENTRYPOINT, ENV, WORKDIR or USER")
        }
    }
}

struct ImageListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.", aliases: ["list"])
    @OptionGroup var engine: EngineOptions
    @Option(name: .long, help: "Output format: table or json.") var format: String = "table"
    @Flag(name: [.customShort("q"), .long], help: "Only show image IDs.") var quiet = false

    func run() throws {
        let images: [ImageRecord]
        do { images = try engine.images.list() } catch { failAndExit(error) }
        if quiet {
            for image in images { print(image.shortID) }
            return
        }
        if format == "json" {
            for image in images {
                for name in image.names.isEmpty ? ["<none>:<none>"] : image.names {
                    let reference = (try? ImageReference(parsing: name))
                    let object: [String: Any] = [
                        "ID": image.shortID, "Repository": reference.map { $0.familiar.split(separator: ":").dropLast().joined(separator: ":") } ?? "<none>",
                        "Tag": reference?.tag ?? "<none>", "Size": ByteCountFormatter.string(fromByteCount: image.size, countStyle: .file),
                        "CreatedAt": ISO8601DateFormatter().string(from: image.created),
                    ]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                }
            }
            return
        }
        var rows = [["REPOSITORY", "TAG", "IMAGE ID", "SIZE"]]
        for image in images {
            for name in image.names.isEmpty ? ["<none>:<none>"] : image.names {
                let reference = try? ImageReference(parsing: name)
                let familiar = reference?.familiar ?? name
                let repository = reference?.tag.map { _ in String(familiar.dropLast((reference?.tag?.count ?? 0) + 1)) } ?? familiar
                rows.append([repository, reference?.tag ?? "<none>", image.shortID, ByteCountFormatter.string(fromByteCount: image.size, countStyle: .file)])
            }
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(row.enumerated().map { $1.padding(toLength: widths[$0] + 3, withPad: " ", startingAt: 0) }.joined().trimmingCharacters(in: .whitespaces))
        }
    }
}

struct ImageInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show an image's record and configuration as JSON.")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "Images to inspect.") var images: [String]

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        var records: [ImageRecord] = []
        for name in images {
            do { records.append(try engine.images.resolve(name)) } catch { failAndExit(error) }
        }
        print(String(decoding: try encoder.encode(records), as: UTF8.self))
    }
}

struct ImageTagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Give an image another name.")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "The image.") var source: String
    @Argument(help: "The new name (NAME[:TAG]).") var target: String

    func run() throws {
        do { try engine.images.tag(source, as: target) } catch { failAndExit(error) }
    }
}

struct ImageRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove images (refused while a container uses them, unless --force).", aliases: ["remove", "rmi"])
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("f"), .long], help: "Remove even if a container uses the image.") var force = false
    @Argument(help: "Images to remove.") var images: [String]

    func run() async throws {
        let inUse: Set<String>
        do { inUse = Set(try await engine.service.list(all: true).map(\.record.imageID)) } catch { failAndExit(error) }
        for name in images {
            do {
                for line in try engine.images.remove(name, force: force, containersUsing: inUse) { print(line) }
            } catch { failAndExit(error) }
        }
    }
}
