import Foundation
import Glibc
import SystemSupport
import Testing
@testable import Engine

/// The stream a layer is unpacked from: its digests are those of the blob and of the tar
/// inside, its copy is the blob byte for byte, and a stream dropped half-read stops its
/// reading thread.
@Suite struct LayerStreamTests {
    /// A gzip tarball of a few files (one larger than the stream's chunks), made by GNU tar.
    static func makeLayer(in directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory + "/tree/etc", withIntermediateDirectories: true)
        try "root:x:0:0::/root:/bin/sh\n".write(toFile: directory + "/tree/etc/passwd", atomically: true, encoding: .utf8)
        let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        FileManager.default.createFile(atPath: directory + "/tree/big", contents: Data(big))
        #expect(try runCommand(["tar", "-C", directory + "/tree", "-czf", directory + "/layer.tar.gz", "."]).status == 0)
        return directory + "/layer.tar.gz"
    }

    static func sha256(_ shell: String) throws -> String {
        "sha256:" + (try runCommand(["sh", "-c", shell + " | sha256sum"]).output.prefix(64))
    }

    @Test func digestsAndCopyAreThoseOfTheBlob() throws {
        let directory = NSTemporaryDirectory() + "sclayer-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let layer = try Self.makeLayer(in: directory)
        let input = open(layer, O_RDONLY | O_CLOEXEC)
        let copy = open(directory + "/copy", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        defer { close(input); close(copy) }
        let summary = try {
            let stream = try LayerStream(fd: input, path: layer, copy: copy)
            var names: [String] = []
            let reader = TarReader(source: stream, name: layer)
            while let entry = try reader.next() { names.append(entry.path) }
            #expect(names.contains { $0.hasSuffix("big") } && names.contains { $0.hasSuffix("passwd") })
            return try stream.finish()
        }()
        #expect(summary.digest == (try Self.sha256("cat \(layer)")))
        #expect(summary.diffID == (try Self.sha256("zcat \(layer)")))
        #expect(summary.size == Int64((try FileManager.default.attributesOfItem(atPath: layer)[.size] as? Int) ?? -1))
        #expect(summary.compression == .gzip)
        #expect(FileManager.default.contentsEqual(atPath: layer, andPath: directory + "/copy"))
    }

    @Test(.timeLimit(.minutes(1))) func aStreamDroppedHalfReadStopsItsThread() throws {
        let directory = NSTemporaryDirectory() + "sclayer-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let layer = try Self.makeLayer(in: directory)
        let input = open(layer, O_RDONLY | O_CLOEXEC)
        defer { close(input) }
        for _ in 0..<20 {
            let stream = try LayerStream(fd: input, path: layer)
            var byte = [UInt8](repeating: 0, count: 1)
            #expect(try byte.withUnsafeMutableBytes { try stream.read(into: $0) } == 1)
            lseek(input, 0, SEEK_SET)
            // Released here: its deinit waits for the reading thread, which must stop.
        }
    }
}
