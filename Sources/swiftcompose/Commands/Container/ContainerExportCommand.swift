import ArgumentParser
import Engine
import Foundation
import SystemSupport

struct ContainerExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a container's filesystem as a tar archive.")
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("o"), .long], help: "Write to this file instead of standard output.") var output: String?
    @Argument(help: "The container.") var container: String

    func run() async throws {
        let fd = try ArchiveOutput.open(output)
        defer { ArchiveOutput.close(fd) }
        do { try await engine.service.export(container, to: fd) } catch { failAndExit(error) }
    }
}

/// Where `export` writes its tar archive: the file of `-o`, else standard output — never a
/// terminal.
enum ArchiveOutput {
    static func open(_ path: String?) throws -> Int32 {
        if path == nil, isatty(1) == 1 {
            throw ValidationError("refusing to write a tar archive to a terminal; use -o FILE or redirect the output")
        }
        let fd = path.map { Glibc.open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } ?? 1
        guard fd >= 0 else { throw ValidationError("cannot write \(path ?? "")") }
        return fd
    }

    static func close(_ fd: Int32) {
        if fd != 1 { Glibc.close(fd) }
    }
}

struct ContainerDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "List files a container added (A), changed (C) or deleted (D).")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "The container.") var container: String

    func run() async throws {
        let changes: [FilesystemChange]
        do { changes = try await engine.service.diff(container) } catch { failAndExit(error) }
        for change in changes { print("\(change.kind.rawValue) \(change.path)") }
    }
}

struct ContainerCommitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit", abstract: "Create an image from a container's filesystem and settings.",
        discussion: "The image holds the container's whole filesystem as one layer.")
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("m"), .long], help: "A comment for the image's history.") var message: String?
    @Argument(help: "The container.") var container: String
    @Argument(help: "The image name (REPOSITORY[:TAG]).") var reference: String?

    func run() async throws {
        let image: ImageRecord
        do { image = try await engine.service.commit(container, as: reference, comment: message) } catch { failAndExit(error) }
        print(image.id)
    }
}
