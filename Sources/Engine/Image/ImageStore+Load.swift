import Foundation
import Glibc
import SystemSupport

extension ImageStore {
    /// `image load`: a `docker save` archive (manifest.json) or an OCI image layout
    /// (index.json) — a tar, plain or gzip, or a directory — with every image in it and
    /// the names it gives them. Every blob is checked against its digest and every layer
    /// against the diff ID its image names; nothing of a refused archive is kept.
    public func load(from path: String, progress: (String) -> Void = { _ in }) throws(EngineError) -> [ImageRecord] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EngineError(.notFound, "\(path) does not exist")
        }
        var root = path
        var staging: String?
        defer { if let staging { try? FileManager.default.removeItem(atPath: staging) } }
        if !isDirectory.boolValue {
            let directory = try stagingDirectory()
            staging = directory
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw EngineError(.notFound, "cannot open \(path)", cause: SystemCallError("open", path)) }
            defer { close(fd) }
            do {
                try LayerExtractor.extract(TarReader(source: try ByteSource(fd: fd, path: path), name: path), into: directory, archiveName: path)
            } catch let error as EngineError {
                throw error
            } catch {
                throw EngineError(.corrupt, "\(path) is not a readable tar archive: \(error)")
            }
            root = directory
        }
        let archive = ArchiveDirectory(root: root, name: path, staged: staging != nil)
        do {
            if archive.exists("manifest.json") {
                return try loadDockerArchive(archive, progress: progress)
            }
            if archive.exists("index.json") {
                return try loadLayout(archive, progress: progress)
            }
        } catch {
            try? locked { try garbageCollect() }
            throw error
        }
        throw EngineError(.invalidArgument, "\(path) is neither a docker save archive (manifest.json) nor an OCI image layout (index.json)")
    }

    private func loadDockerArchive(_ archive: ArchiveDirectory, progress: (String) -> Void) throws(EngineError) -> [ImageRecord] {
        struct Entry: Decodable { var Config: String; var RepoTags: [String]?; var Layers: [String] }
        let entries: [Entry]
        do { entries = try JSONDecoder().decode([Entry].self, from: Data(try archive.read("manifest.json"))) } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.corrupt, "\(archive.name): manifest.json is not valid: \(error)")
        }
        var loaded: [ImageRecord] = []
        for entry in entries {
            let config = try archive.read(entry.Config)
            let names = try (entry.RepoTags ?? []).map { (tag) throws(EngineError) in try ImageReference(parsing: tag).description }
            let layers = try storeLayers(entry.Layers.map { (path) throws(EngineError) in (try archive.file(path), nil, nil) },
                                         config: config, archive: archive)
            let image = try writeImage(rawConfig: config, rawManifest: nil, layers: layers, names: names)
            progress(names.isEmpty ? "Loaded image ID: \(image.id)" : names.map { "Loaded image: \(ImageReferenceFormatting.familiar($0))" }.joined(separator: "\n"))
            loaded.append(image)
        }
        return loaded
    }

    private func loadLayout(_ archive: ArchiveDirectory, progress: (String) -> Void) throws(EngineError) -> [ImageRecord] {
        var loaded: [ImageRecord] = []
        var pending = try decode(ManifestDocument.self, archive.read("index.json"), archive, "index.json").manifests ?? []
        while !pending.isEmpty {
            let descriptor = pending.removeFirst()
            let bytes = try archive.blob(descriptor.digest)
            let document = try decode(ManifestDocument.self, bytes, archive, descriptor.digest)
            if document.isIndex {
                // A multi-platform image: the linux/amd64 one (or the only one).
                let manifests = document.manifests ?? []
                if let chosen = manifests.first(where: { $0.platform?.os == "linux" && $0.platform?.architecture == "amd64" }) ?? manifests.first {
                    var named = chosen
                    named.annotations = descriptor.annotations
                    pending.append(named)
                }
                continue
            }
            guard let configDescriptor = document.config, let layerDescriptors = document.layers else {
                throw EngineError(.corrupt, "\(archive.name): \(descriptor.digest) is not an image manifest")
            }
            let config = try archive.blob(configDescriptor.digest)
            let layers = try storeLayers(try layerDescriptors.map { (layer) throws(EngineError) in
                (try archive.blobFile(layer.digest), layer.digest, layer.mediaType)
            }, config: config, archive: archive)
            var names: [String] = []
            if let name = descriptor.annotations?["io.containerd.image.name"] ?? descriptor.annotations?["org.opencontainers.image.ref.name"],
               name.contains("/") || name.contains(":"), let reference = try? ImageReference(parsing: name) {
                names.append(reference.description)
            }
            let image = try writeImage(rawConfig: config, rawManifest: bytes, layers: layers, names: names)
            progress(names.isEmpty ? "Loaded image ID: \(image.id)" : "Loaded image: \(ImageReferenceFormatting.familiar(names[0]))")
            loaded.append(image)
        }
        return loaded
    }

    /// Stores the layers bottom first, each checked against the config's diff IDs (and
    /// its descriptor's digest, when the archive gives one).
    private func storeLayers(_ files: [(path: String, digest: String?, mediaType: String?)], config: [UInt8],
                             archive: ArchiveDirectory) throws(EngineError) -> [LayerRecord] {
        let configuration = try decode(ImageConfiguration.self, config, archive, "the image configuration")
        let diffIDs = configuration.rootfs.diff_ids
        guard diffIDs.count == files.count else {
            throw EngineError(.corrupt, "\(archive.name): \(files.count) layers for an image whose configuration names \(diffIDs.count)")
        }
        var layers: [LayerRecord] = []
        for (index, file) in files.enumerated() {
            var layer: LayerRecord
            do {
                layer = try locked { () throws -> LayerRecord in
                    try storeLayer(from: file.path, parentChainID: layers.last?.chainID, consuming: archive.staged)
                }
            } catch let error as EngineError {
                throw error
            } catch {
                throw EngineError(.system, "\(archive.name): cannot store a layer", cause: error)
            }
            if let digest = file.digest, layer.digest != digest {
                throw EngineError(.corrupt, "\(archive.name): the blob \(digest) does not match its digest; nothing was loaded")
            }
            guard layer.diffID == diffIDs[index] else {
                throw EngineError(.corrupt, "\(archive.name): layer \(index + 1) unpacks to \(layer.diffID), not the \(diffIDs[index]) its image names; nothing was loaded")
            }
            if let mediaType = file.mediaType { layer.mediaType = mediaType }
            layers.append(layer)
        }
        return layers
    }

    private func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], _ archive: ArchiveDirectory, _ what: String) throws(EngineError) -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw EngineError(.corrupt, "\(archive.name): \(what) is not valid: \(error)")
        }
    }
}

/// An unpacked archive: paths inside it are resolved within it (a manifest naming
/// `../../etc/shadow` or a symlink out is refused), blobs are read by digest and checked.
struct ArchiveDirectory {
    let root: String
    let name: String
    /// The archive was unpacked into our own staging: its files may be linked into the store.
    var staged = false

    func exists(_ path: String) -> Bool {
        (try? file(path)) != nil
    }

    /// The host path of a regular file of the archive.
    func file(_ path: String) throws(EngineError) -> String {
        let resolved = RootedPath.resolve(path, in: root)
        var info = stat()
        guard !path.split(separator: "/").contains(".."), resolved.hasPrefix(root + "/"),
              lstat(resolved, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw EngineError(.unsafe, "\(name): \(path) is not a file inside the archive")
        }
        return resolved
    }

    func read(_ path: String) throws(EngineError) -> [UInt8] {
        guard let bytes = (try? AtomicFile.read(try file(path))) ?? nil else {
            throw EngineError(.corrupt, "\(name): cannot read \(path)")
        }
        return bytes
    }

    func blobFile(_ digest: String) throws(EngineError) -> String {
        let hex = digest.dropFirst(7)
        guard digest.hasPrefix("sha256:"), hex.count == 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw EngineError(.corrupt, "\(name): \(digest) is not a sha256 digest")
        }
        return try file("blobs/sha256/" + hex)
    }

    /// A blob's bytes, refused unless they hash to `digest`.
    func blob(_ digest: String) throws(EngineError) -> [UInt8] {
        let bytes = try read(String(try blobFile(digest).dropFirst(root.count + 1)))
        guard SHA256Hasher.digest(bytes) == digest else {
            throw EngineError(.corrupt, "\(name): the blob \(digest) does not match its digest; nothing was loaded")
        }
        return bytes
    }
}
