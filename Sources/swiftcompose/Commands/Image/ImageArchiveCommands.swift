import ArgumentParser
import Engine
import Foundation
import SystemSupport

struct ImageLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load images from a docker save archive or an OCI image layout (like docker load).",
        discussion: "The input may be a tar (plain or gzip) or an OCI layout directory; without -i it is read from standard input."
    )
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("i"), .long], help: "The archive or layout directory (default: standard input).") var input: String?
    @Flag(name: [.customShort("q"), .long], help: "Print nothing but errors.") var quiet = false

    func run() throws {
        var path = input ?? "-"
        var temporary: String?
        if path == "-" {
            guard isatty(0) == 0 else { throw ValidationError("give the archive with -i FILE, or pipe it to standard input") }
            temporary = NSTemporaryDirectory() + "swiftcompose-load-\(UUID().uuidString).tar"
            FileManager.default.createFile(atPath: temporary!, contents: nil)
            let output = FileHandle(forWritingAtPath: temporary!)!
            while case let chunk = FileHandle.standardInput.readData(ofLength: 1 << 20), !chunk.isEmpty { output.write(chunk) }
            try output.close()
            path = temporary!
        }
        defer { if let temporary { unlink(temporary) } }
        do {
            _ = try engine.images.load(from: path) { line in if !quiet { print(line) } }
        } catch {
            failAndExit(error)
        }
    }
}

struct ImageSaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Save images to a tar archive (like docker save).",
        discussion: "The docker format is an OCI image layout that also carries docker's manifest.json, as docker save writes since Docker 25; --format oci leaves that out."
    )
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("o"), .long], help: "The file to write (default: standard output).") var output: String?
    @Option(name: .long, help: "docker (default) or oci.") var format: String = "docker"
    @Argument(help: "The images to save.") var names: [String]

    func run() throws {
        guard let archiveFormat = ImageStore.ArchiveFormat(rawValue: format) else {
            throw ValidationError("--format \(format): use docker or oci")
        }
        guard !names.isEmpty else { throw ValidationError("name at least one image to save") }
        let fd: Int32
        var temporary: String?
        if let output {
            temporary = output + ".tmp-\(getpid())"
            fd = open(temporary!, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { failAndExit(EngineError(.system, "cannot write \(output)", cause: SystemCallError("open", output))) }
        } else {
            guard isatty(1) == 0 else { throw ValidationError("refusing to write an archive to a terminal; use -o FILE or redirect") }
            fd = 1
        }
        do {
            try engine.images.save(names, to: fd, format: archiveFormat)
            if let output, let temporary {
                close(fd)
                guard rename(temporary, output) == 0 else { throw EngineError(.system, "cannot write \(output)", cause: SystemCallError("rename", output)) }
            }
        } catch {
            if let temporary { close(fd); unlink(temporary) }
            failAndExit(error)
        }
    }
}
