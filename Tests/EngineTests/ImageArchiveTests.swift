import EngineTestSupport
import Foundation
import SystemSupport
import Testing
@testable import Engine

/// `image save` / `image load` in both formats, `docker load` of our archive when a Docker
/// daemon runs here, and hostile archives refused with nothing kept.
@Suite("ImageArchive", .serialized) struct ImageArchiveTests {
    func freshStore(_ bed: RuntimeTestBed, _ name: String) -> ImageStore {
        ImageStore(state: StateRoot(root: bed.directory + "/" + name, run: bed.directory + "/" + name + "-run"))
    }

    func save(_ store: ImageStore, _ names: [String], to path: String, format: ImageStore.ArchiveFormat) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(fd) }
        try store.save(names, to: fd, format: format)
    }

    /// A tar of (path, content) entries, for hand-made archives.
    func archive(_ entries: [(String, [UInt8])], at path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(fd) }
        let writer = TarWriter(fd: fd, name: path)
        for (name, bytes) in entries { try writer.append(file: name, bytes: bytes) }
        _ = try writer.finish()
    }

    @Test func saveAndLoadRoundTripInBothFormats() async throws {
        try await withRuntimeBed { bed in
            let store = ImageStore(state: bed.state)
            let busybox = try BusyboxImage.make(in: store)
            var config = ImageConfiguration.Config()
            config.Cmd = ["sh"]
            let second = try store.importRootfs(tarball: BusyboxImage.rootfsTarball(), reference: "second:1", config: config, comment: "another")
            for format in [ImageStore.ArchiveFormat.docker, .oci] {
                let file = bed.directory + "/images-\(format.rawValue).tar"
                try save(store, ["busybox", "second:1"], to: file, format: format)
                let fresh = freshStore(bed, "fresh-\(format.rawValue)")
                let loaded = try fresh.load(from: file)
                #expect(Set(loaded.map(\.id)) == [busybox.id, second.id], "\(format)")
                #expect(try fresh.resolve("busybox").id == busybox.id)
                #expect(try fresh.resolve("second:1").id == second.id)
                #expect(try fresh.resolve("busybox").manifestDigest == busybox.manifestDigest)
                let run = try await bed.run(ContainerSpec(image: "busybox", command: ["echo", "loaded"]), image: fresh.containerImage("busybox"))
                #expect(run.out == "loaded\n")
            }
            // An OCI layout directory loads too.
            let layout = bed.directory + "/layout"
            try makeDirectories(layout)
            try save(store, ["busybox"], to: bed.directory + "/one.tar", format: .oci)
            _ = try BusyboxImage.run(["/bin/tar", "-C", layout, "-xf", bed.directory + "/one.tar"])
            #expect(try freshStore(bed, "from-dir").load(from: layout).map(\.id) == [busybox.id])
        }
    }

    @Test func dockerLoadsOurArchive() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/local/bin/docker") || FileManager.default.isExecutableFile(atPath: "/usr/bin/docker"),
              (try? BusyboxImage.run(["/usr/bin/env", "docker", "info", "--format", "{{.ServerVersion}}"])) != nil else {
            print("ImageArchiveTests: no Docker daemon running here; docker load of our archive is skipped (start dockerd to run it)")
            return
        }
        try await withRuntimeBed { bed in
            let store = ImageStore(state: bed.state)
            let image = try BusyboxImage.make(in: store)
            try store.tag("busybox", as: "swiftcompose-save-test:1")
            let file = bed.directory + "/for-docker.tar"
            try save(store, ["swiftcompose-save-test:1"], to: file, format: .docker)
            defer { _ = try? BusyboxImage.run(["/usr/bin/env", "docker", "rmi", "-f", "swiftcompose-save-test:1"]) }
            _ = try BusyboxImage.run(["/usr/bin/env", "docker", "load", "-i", file])
            let id = try BusyboxImage.run(["/usr/bin/env", "docker", "image", "inspect", "--format", "{{.Id}}", "swiftcompose-save-test:1"])
            #expect(id.trimmingCharacters(in: .whitespacesAndNewlines) == image.id)
        }
    }

    @Test func hostileArchivesAreRefusedAndNothingIsKept() async throws {
        try await withRuntimeBed { bed in
            let store = ImageStore(state: bed.state)
            try BusyboxImage.make(in: store)
            let good = bed.directory + "/good.tar"
            try save(store, ["busybox"], to: good, format: .docker)
            let layer = try store.resolve("busybox").layers[0]
            let layerBytes = try store.blob(layer.digest)
            let config = try store.blob(try store.resolve("busybox").id)
            let lying = Array(String(decoding: config, as: UTF8.self)
                .replacingOccurrences(of: layer.diffID, with: "sha256:" + String(repeating: "0", count: 64)).utf8)

            let cases: [(String, [(String, [UInt8])])] = [
                ("config outside the archive", [("manifest.json", Array(#"[{"Config":"../../../../etc/passwd","Layers":[]}]"#.utf8))]),
                ("layer through a traversal", [("c.json", config),
                                               ("manifest.json", Array(#"[{"Config":"c.json","Layers":["../layer.tar"]}]"#.utf8))]),
                ("entry outside the archive", [("../evil", Array("x".utf8))]),
                ("layer that is not what the config names", [("c.json", lying), ("l.tar", layerBytes),
                                                             ("manifest.json", Array(#"[{"Config":"c.json","RepoTags":["liar:1"],"Layers":["l.tar"]}]"#.utf8))]),
                ("OCI blob that does not match its digest", [("oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)),
                                                             ("index.json", Array(#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(layer.digest)","size":10}]}"#.utf8)),
                                                             ("blobs/sha256/" + layer.digest.dropFirst(7), Array("not the layer".utf8))]),
            ]
            for (what, entries) in cases {
                let file = bed.directory + "/hostile.tar"
                try archive(entries, at: file)
                let fresh = freshStore(bed, "hostile")
                do throws(EngineError) {
                    _ = try fresh.load(from: file)
                    Issue.record("\(what): loaded")
                } catch {
                    #expect([EngineError.Code.unsafe, .corrupt].contains(error.code), "\(what): \(error.message)")
                }
                #expect(try fresh.list().isEmpty, "\(what): an image was kept")
                let snapshots = (try? FileManager.default.contentsOfDirectory(atPath: bed.directory + "/hostile/images/snapshots")) ?? []
                #expect(snapshots.isEmpty, "\(what): layers were kept: \(snapshots)")
                #expect(!FileManager.default.fileExists(atPath: bed.directory + "/evil"))
                #expect(!FileManager.default.fileExists(atPath: bed.directory + "/hostile/evil"))
                try? FileManager.default.removeItem(atPath: bed.directory + "/hostile")
            }
            // The good archive still loads after all that.
            #expect(try freshStore(bed, "after").load(from: good).count == 1)
        }
    }
}

@Suite struct ImagePruneTests {
    @Test func pruneRemovesUnnamedThenUnusedImagesButNotThoseInUse() async throws {
        try await withRuntimeBed { bed in
            let store = ImageStore(state: bed.state)
            let busybox = try BusyboxImage.make(in: store)
            let unnamed = try store.importRootfs(tarball: BusyboxImage.rootfsTarball(), reference: nil, comment: "no name")
            let named = try store.importRootfs(tarball: BusyboxImage.rootfsTarball(), reference: "kept:1", comment: "named")
            #expect(Set([busybox.id, unnamed.id, named.id]).count == 3) // different comments: different images
            #expect(try store.prune(all: false, containersUsing: []) == ["Deleted: \(unnamed.id)"])
            #expect(try store.list().contains { $0.id == busybox.id })
            let removed = try store.prune(all: true, containersUsing: [busybox.id])
            #expect(removed == ["Untagged: kept:1", "Deleted: \(named.id)"])
            #expect(try store.list().map(\.id) == [busybox.id])
            let snapshots = try FileManager.default.contentsOfDirectory(atPath: bed.state.path("images") + "/snapshots")
            #expect(snapshots.count == busybox.layers.count)
        }
    }
}
