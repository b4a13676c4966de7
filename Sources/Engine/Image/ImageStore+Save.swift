import Foundation
import Glibc
import SystemSupport

extension ImageStore {
    public enum ArchiveFormat: String, Sendable { case docker, oci }

    /// `image save`: the images as one tar on `output`. The docker format is what
    /// `docker save` writes since Docker 25 — an OCI image layout (oci-layout, index.json,
    /// blobs/sha256) that also carries manifest.json and repositories for older loaders;
    /// the oci format leaves those two out.
    public func save(_ names: [String], to output: Int32, format: ArchiveFormat = .docker) throws(EngineError) {
        var images: [(name: String?, image: ImageRecord)] = []
        for name in names {
            let image = try resolve(name)
            let normalized = (try? ImageReference(parsing: name))?.description
            images.append((normalized.flatMap { image.names.contains($0) ? $0 : nil }, image))
        }
        let writer = TarWriter(fd: output, name: "the archive")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var written = Set<String>()
        func blobEntry(_ digest: String) throws(EngineError) {
            guard written.insert(digest).inserted else { return }
            let path = blobPath(digest)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw EngineError(.notFound, "blob \(digest) is missing from the store") }
            defer { close(fd) }
            var info = stat()
            fstat(fd, &info)
            try writer.append(TarEntry(path: "blobs/sha256/" + digest.dropFirst(7), kind: .file, mode: 0o444, uid: 0, gid: 0,
                                       size: Int(info.st_size), modified: 0, linkTarget: "", deviceMajor: 0, deviceMinor: 0, xattrs: []),
                              content: fd)
        }
        do {
            try writer.append(TarEntry(path: "blobs/", kind: .directory, mode: 0o755, uid: 0, gid: 0, size: 0, modified: 0,
                                       linkTarget: "", deviceMajor: 0, deviceMinor: 0, xattrs: []))
            try writer.append(TarEntry(path: "blobs/sha256/", kind: .directory, mode: 0o755, uid: 0, gid: 0, size: 0, modified: 0,
                                       linkTarget: "", deviceMajor: 0, deviceMinor: 0, xattrs: []))
            var index: [[String: Any]] = []
            var manifests: [[String: Any]] = []
            var repositories: [String: [String: String]] = [:]
            for (name, image) in images {
                for layer in image.layers { try blobEntry(layer.digest) }
                try blobEntry(image.id)
                try blobEntry(image.manifestDigest)
                let manifestSize = (try? blob(image.manifestDigest).count) ?? 0
                var descriptor: [String: Any] = ["mediaType": MediaType.ociManifest, "digest": image.manifestDigest, "size": manifestSize]
                var tags: [String] = []
                if let name, let reference = try? ImageReference(parsing: name) {
                    descriptor["annotations"] = ["io.containerd.image.name": name, "org.opencontainers.image.ref.name": reference.tag ?? "latest"]
                    tags.append(reference.familiar)
                    let repository = reference.familiar.split(separator: ":").dropLast().joined(separator: ":")
                    repositories[repository, default: [:]][reference.tag ?? "latest"] = String(image.id.dropFirst(7))
                }
                index.append(descriptor)
                manifests.append(["Config": "blobs/sha256/" + image.id.dropFirst(7), "RepoTags": tags,
                                  "Layers": image.layers.map { "blobs/sha256/" + $0.digest.dropFirst(7) }])
            }
            try writer.append(file: "oci-layout", bytes: Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
            let indexDocument: [String: Any] = ["schemaVersion": 2, "mediaType": MediaType.ociIndex, "manifests": index]
            try writer.append(file: "index.json", bytes: Array(try JSONSerialization.data(withJSONObject: indexDocument, options: [.sortedKeys])))
            if format == .docker {
                try writer.append(file: "manifest.json", bytes: Array(try JSONSerialization.data(withJSONObject: manifests, options: [.sortedKeys])))
                if !repositories.isEmpty {
                    try writer.append(file: "repositories", bytes: Array(try encoder.encode(repositories)))
                }
            }
            _ = try writer.finish()
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.system, "cannot write the archive", cause: error)
        }
    }
}
