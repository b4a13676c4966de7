import CFileSystem
import EngineTestSupport
import Foundation
import SystemSupport
import Testing
@testable import Engine

@Suite struct ImageReferenceTests {
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("user/app", "docker.io/user/app:latest", "user/app:latest"),
        ("localhost:5000/x/y:tag", "localhost:5000/x/y:tag", "localhost:5000/x/y:tag"),
        ("registry.example.com/team/app", "registry.example.com/team/app:latest", "registry.example.com/team/app:latest"),
        ("app@sha256:" + String(repeating: "a", count: 64), "docker.io/library/app@sha256:" + String(repeating: "a", count: 64), "app@sha256:" + String(repeating: "a", count: 64)),
    ])
    func normalizesLikeDocker(_ input: String, _ normalized: String, _ familiar: String) throws {
        let reference = try ImageReference(parsing: input)
        #expect(reference.description == normalized)
        #expect(reference.familiar == familiar)
    }

    @Test(arguments: ["", "UPPER/case", "a b", "app:", ":tag", "app@sha256:short", "a//b", "app:-bad", "-app"])
    func refusesMalformed(_ input: String) {
        #expect(throws: EngineError.self) { try ImageReference(parsing: input) }
    }
}

/// A fresh state root per test, removed afterwards.
final class ImageTestBed: @unchecked Sendable {
    let directory: String
    let state: StateRoot
    let store: ImageStore

    init() throws {
        directory = "/tmp/scimg-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        try makeDirectories(directory)
        state = StateRoot(root: directory + "/root", run: directory + "/run")
        store = ImageStore(state: state)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes a tar made by hand: each entry (name, type flag, content, link target, size override).
    func tar(_ entries: [(name: String, type: UInt8, content: [UInt8], link: String)], sizeOverride: [Int: String] = [:],
             truncateTo: Int? = nil, gzip: Bool = false) throws -> String {
        var data: [UInt8] = []
        for (index, entry) in entries.enumerated() {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, _ offset: Int, _ length: Int) {
                for (i, byte) in text.utf8.prefix(length).enumerated() { header[offset + i] = byte }
            }
            put(entry.name, 0, 100)
            put("0000644", 100, 8); put("0000000", 108, 8); put("0000000", 116, 8)
            put(sizeOverride[index] ?? String(format: "%011o", entry.content.count), 124, 12)
            put("00000000000", 136, 12)
            header[156] = entry.type
            put(entry.link, 157, 100)
            put("ustar", 257, 6); put("00", 263, 2)
            for i in 148..<156 { header[i] = 32 }
            let sum = header.reduce(0) { $0 + Int($1) }
            put(String(format: "%06o", sum) + "\0 ", 148, 8)
            data += header + entry.content
            data += [UInt8](repeating: 0, count: (512 - entry.content.count % 512) % 512)
        }
        data += [UInt8](repeating: 0, count: 1024)
        if let truncateTo { data = Array(data.prefix(truncateTo)) }
        let path = directory + "/layer-\(UUID().uuidString).tar"
        FileManager.default.createFile(atPath: path, contents: Data(data))
        if gzip {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/gzip")
            process.arguments = ["-n", path]
            try process.run()
            process.waitUntilExit()
            return path + ".gz"
        }
        return path
    }

    /// Every file under the test directory except the store's own (what a hostile layer could have written).
    func strayFiles() -> [String] {
        let items = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        return items.filter { !$0.hasPrefix("root/") && !$0.hasPrefix("layer-") && $0 != "root" }
    }
}

@Suite(.serialized) struct ImageStoreTests {
    static let file = UInt8(ascii: "0"), hardLink = UInt8(ascii: "1"), symlink = UInt8(ascii: "2"), directory = UInt8(ascii: "5")

    @Test func importedBusyboxResolvesAndRunsInAContainer() async throws {
        let bed = try ImageTestBed()
        let image = try BusyboxImage.make(in: bed.store)
        #expect(image.names == ["docker.io/library/busybox:latest"])
        #expect(try bed.store.resolve("busybox").id == image.id)
        #expect(try bed.store.resolve(String(image.id.dropFirst(7).prefix(12))).id == image.id)
        #expect(try bed.store.list().count == 1)
        // The blob's digest is verified content: re-hashing it gives its name.
        let layer = try #require(image.layers.first)
        let blob = try #require(try AtomicFile.read(bed.store.blobPath(layer.digest)))
        #expect(SHA256Hasher.digest(blob) == layer.digest)
        #expect(FileManager.default.fileExists(atPath: bed.store.snapshotDirectory(layer.chainID) + "/fs/bin/busybox"))

        let service = ContainerService(state: bed.state)
        let containerImage = try bed.store.containerImage("busybox")
        var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "echo written > /tmp/file && cat /tmp/file && ls /bin/sh"])
        spec.name = "image-test-\(UInt32.random(in: 0...UInt32.max))"
        let record = try await service.create(spec, image: containerImage)
        let session = try await service.startAttached(record.id)
        var output: [UInt8] = []
        var code: Int32 = -1
        while let event = session.next() {
            switch event {
            case .output(_, let bytes): output += bytes
            case .exited(let c), .failed(let c, _): code = c
            case .started: break
            }
        }
        try await service.remove(record.id, force: true)
        bed.store.releaseContainerLayer(containerImage.rootfs)
        #expect(code == 0)
        #expect(String(decoding: output, as: UTF8.self) == "written\n/bin/sh\n")
        // The container wrote to its own layer, not the image's snapshot.
        #expect(!FileManager.default.fileExists(atPath: bed.store.snapshotDirectory(layer.chainID) + "/fs/tmp/file"))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: bed.state.path("images", "rw")))?.isEmpty ?? true)
    }

    @Test func zstdLayersUnpackToTheSameContentAsGzip() throws {
        let bed = try ImageTestBed()
        let gzipped = try BusyboxImage.rootfsTarball()
        defer { try? FileManager.default.removeItem(atPath: (gzipped as NSString).deletingLastPathComponent) }
        let zstd = gzipped.replacingOccurrences(of: ".tar.gz", with: ".tar.zst")
        _ = try BusyboxImage.run(["/bin/sh", "-c", "gunzip -c '\(gzipped)' | zstd -q -o '\(zstd)'"])
        let fromGzip = try bed.store.importRootfs(tarball: gzipped, reference: "gz:1", comment: "gzip")
        let fromZstd = try bed.store.importRootfs(tarball: zstd, reference: "zst:1", comment: "zstd")
        #expect(fromZstd.layers[0].mediaType == "application/vnd.oci.image.layer.v1.tar+zstd")
        #expect(fromZstd.layers[0].diffID == fromGzip.layers[0].diffID, "the same tar inside")
        #expect(FileManager.default.fileExists(atPath: bed.store.snapshotDirectory(fromZstd.layers[0].chainID) + "/fs/bin/busybox"))
        // A truncated zstd stream is refused.
        let truncated = zstd + ".cut"
        _ = try BusyboxImage.run(["/bin/sh", "-c", "head -c 100000 '\(zstd)' > '\(truncated)'"])
        #expect(throws: EngineError.self) { try bed.store.importRootfs(tarball: truncated, reference: "cut:1") }
    }

    @Test func tagAndRemoveFollowDockerRules() throws {
        let bed = try ImageTestBed()
        let image = try BusyboxImage.make(in: bed.store)
        try bed.store.tag("busybox", as: "localhost:5000/tools/bb:1")
        #expect(try bed.store.resolve("localhost:5000/tools/bb:1").id == image.id)
        #expect(try bed.store.remove("localhost:5000/tools/bb:1") == ["Untagged: localhost:5000/tools/bb:1"])
        #expect(throws: EngineError.self) { try bed.store.remove("busybox", containersUsing: [image.id]) }
        let removed = try bed.store.remove("busybox", force: true, containersUsing: [image.id])
        #expect(removed == ["Untagged: busybox:latest", "Deleted: \(image.id)"])
        #expect(try bed.store.list().isEmpty)
        // Nothing of the image is left: no blob, no snapshot.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.state.path("images", "blobs", "sha256"))) ?? []).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.state.path("images", "snapshots"))) ?? []).isEmpty)
    }

    @Test func namesResolveThroughTheIndexAndSurviveItsLossOrStaleness() throws {
        let bed = try ImageTestBed()
        let image = try BusyboxImage.make(in: bed.store)
        let index = bed.state.path("images", "names.json")
        func indexed() throws -> String { String(decoding: try #require(try AtomicFile.read(index)), as: UTF8.self) }
        #expect(try indexed() == #"{"docker.io/library/busybox:latest":"\#(image.id)"}"#)
        // A name taken by another image moves in the index too; an untag drops it.
        let other = try bed.store.importRootfs(tarball: try BusyboxImage.rootfsTarball(), reference: "other:1",
                                               config: .init(), comment: "a second image")
        try bed.store.tag("other:1", as: "busybox")
        #expect(try bed.store.resolve("busybox").id == other.id)
        #expect(try indexed().contains(#""docker.io/library/busybox:latest":"\#(other.id)""#))
        _ = try bed.store.remove("busybox")
        #expect(!(try indexed().contains("busybox")))
        #expect(throws: EngineError.self) { try bed.store.resolve("busybox") }
        // A stale entry is checked against the record it names; a lost index is made again.
        try AtomicFile.write(#"{"docker.io/library/other:1":"\#(image.id)"}"#, to: index)
        #expect(try bed.store.resolve("other:1").id == other.id)
        unlink(index)
        #expect(try bed.store.resolve("other:1").id == other.id)
        #expect(try indexed() == #"{"docker.io/library/other:1":"\#(other.id)"}"#)
        #expect(try bed.store.resolve(other.id).id == other.id)
    }

    @Test func whiteoutsAndOpaqueDirectoriesBecomeOverlayForm() throws {
        let bed = try ImageTestBed()
        let path = try bed.tar([
            ("dir/", Self.directory, [], ""), ("dir/.wh..wh..opq", Self.file, [], ""),
            (".wh.gone", Self.file, [], ""), ("kept", Self.file, Array("data".utf8), ""),
            ("link", Self.symlink, [], "/etc/passwd"), ("hard", Self.hardLink, [], "kept"),
        ])
        let image = try bed.store.importRootfs(tarball: path, reference: "layer:test")
        let fs = bed.store.snapshotDirectory(image.layers[0].chainID) + "/fs"
        var info = stat()
        #expect(lstat(fs + "/gone", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR && info.st_rdev == 0)
        var value = [UInt8](repeating: 0, count: 4)
        #expect(getxattr(fs + "/dir", "trusted.overlay.opaque", &value, 4) == 1 && value[0] == UInt8(ascii: "y"))
        #expect(try String(contentsOfFile: fs + "/hard", encoding: .utf8) == "data")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: fs + "/link") == "/etc/passwd")
    }

    /// Each hostile archive is refused, writes nothing outside the store, and leaves no image behind.
    @Test(arguments: ["traversal", "absolute", "through-symlink", "hardlink-out", "huge-size", "bad-checksum", "truncated-gzip", "truncated-tar"])
    func hostileArchivesAreRefused(_ attack: String) throws {
        let bed = try ImageTestBed()
        let outside = bed.directory + "/outside"
        try makeDirectories(outside)
        let escape = "../../../../../../../../" + outside.dropFirst() + "/pwned"
        let path: String
        switch attack {
        case "traversal": path = try bed.tar([("a/" + escape, Self.file, Array("x".utf8), "")])
        case "absolute": path = try bed.tar([(outside + "/pwned", Self.file, Array("x".utf8), "")])
        case "through-symlink": path = try bed.tar([("evil", Self.symlink, [], outside), ("evil/pwned", Self.file, Array("x".utf8), "")])
        case "hardlink-out": path = try bed.tar([("h", Self.hardLink, [], escape)])
        case "huge-size": path = try bed.tar([("big", Self.file, [], "")], sizeOverride: [0: "77777777777"])
        case "bad-checksum":
            var data = try Data(contentsOf: URL(fileURLWithPath: try bed.tar([("f", Self.file, Array("x".utf8), "")])))
            data[10] = 65
            path = bed.directory + "/layer-corrupt.tar"
            FileManager.default.createFile(atPath: path, contents: data)
        case "truncated-gzip":
            let full = try bed.tar([("f", Self.file, [UInt8](repeating: 7, count: 100_000), "")], gzip: true)
            let data = try Data(contentsOf: URL(fileURLWithPath: full))
            path = bed.directory + "/layer-cut.tar.gz"
            FileManager.default.createFile(atPath: path, contents: data.prefix(data.count / 2))
        default: path = try bed.tar([("f", Self.file, [UInt8](repeating: 1, count: 4096), "")], truncateTo: 1024)
        }
        #expect(throws: EngineError.self, "\(attack) was accepted") { try bed.store.importRootfs(tarball: path, reference: "evil:\(attack)") }
        #expect(!FileManager.default.fileExists(atPath: outside + "/pwned"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(try bed.store.list().isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.state.path("images", "snapshots"))) ?? []).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: bed.state.path("images"))) ?? []).filter { $0.hasPrefix("staging") }.isEmpty)
    }
}
