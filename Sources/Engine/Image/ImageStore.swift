import CFileSystem
import Foundation
import Glibc
import SystemSupport

/// The engine's images: a content-addressed blob store (`blobs/sha256/…`), image records
/// with their names, and unpacked layer snapshots keyed by chain ID and shared between
/// images. Writes are atomic and happen under one lock; a layer whose content does not
/// match its digest is refused and nothing of it is kept.
public struct ImageStore: Sendable {
    public let state: StateRoot

    public init(state: StateRoot) {
        self.state = state
    }

    var directory: String { state.path("images") }
    func blobPath(_ digest: String) -> String { directory + "/blobs/sha256/" + digest.dropFirst("sha256:".count) }
    func snapshotDirectory(_ chainID: String) -> String { directory + "/snapshots/" + chainID.dropFirst("sha256:".count) }
    func recordPath(_ id: String) -> String { directory + "/records/" + id.dropFirst("sha256:".count) + ".json" }
    /// Short links to snapshots keep overlay's mount options small for images with many layers.
    func shortLink(_ chainID: String) -> String { directory + "/l/" + chainID.dropFirst("sha256:".count).prefix(16) }

    func locked<T>(_ body: () throws -> T) throws -> T {
        try makeDirectories(directory)
        let lock = try FileLock(exclusive: directory + "/.lock")
        defer { _ = lock }
        return try body()
    }

    // MARK: reading

    public func list() throws(EngineError) -> [ImageRecord] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/records")) ?? []
        var records: [ImageRecord] = []
        for file in files where file.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: directory + "/records/" + file),
                  let record = try? JSONDecoder().decode(ImageRecord.self, from: data) else { continue }
            records.append(record)
        }
        return records.sorted { $0.created > $1.created }
    }

    /// Finds an image by name (`busybox`, `busybox:latest`, `docker.io/library/busybox`), full or short id.
    public func resolve(_ reference: String) throws(EngineError) -> ImageRecord {
        let bareID = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        // A hex reference may be an id prefix, which wins over a name.
        let mayBeID = bareID.count >= 4 && bareID.allSatisfy(\.isHexDigit)
        let normalized = (try? ImageReference(parsing: reference))?.description ?? reference
        // One record when the reference says which: a full id, or a name the index has.
        if mayBeID, bareID.count == 64, let record = readRecord("sha256:" + bareID) { return record }
        if !mayBeID, let record = indexedRecord(named: normalized) { return record }
        let images = try list()
        if mayBeID, let match = images.first(where: { $0.id.dropFirst(7).hasPrefix(bareID) }) {
            return match
        }
        if let match = images.first(where: { $0.names.contains(normalized) }) {
            // The index lacked it (a store from before the index, or a write cut short).
            rebuildNameIndex(from: images)
            return match
        }
        throw EngineError(.notFound, "image \"\(reference)\" not found; import, load or pull it first (swiftcompose image import|load|pull)")
    }

    // MARK: writing

    /// `docker import`: a root filesystem tarball (plain or gzip) as a one-layer image.
    public func importRootfs(tarball path: String, reference: String?, config: ImageConfiguration.Config = .init(),
                             comment: String = "imported") throws(EngineError) -> ImageRecord {
        let names = try reference.map { (name) throws(EngineError) in [try ImageReference(parsing: name).description] } ?? []
        do {
            return try locked { () throws -> ImageRecord in
                let layer = try storeLayer(from: path, parentChainID: nil)
                let now = Date()
                let configuration = ImageConfiguration(
                    created: ISO8601DateFormatter().string(from: now), config: config,
                    rootfs: .init(diff_ids: [layer.diffID]),
                    history: [.init(created: ISO8601DateFormatter().string(from: now), created_by: "swiftcompose image import", comment: comment)])
                return try writeImage(configuration: configuration, layers: [layer], names: names)
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.system, "importing \(path): \(error)")
        }
    }

    /// Unpacks a layer blob into its snapshot (once per chain ID) and stores the blob: linked
    /// into the store when `consuming` (a file of our own staging — a download, an unpacked
    /// archive), copied otherwise. The caller holds the store lock.
    func storeLayer(from path: String, parentChainID: String?, consuming: Bool = false) throws -> LayerRecord {
        try installLayer(try prepareLayer(from: path, parentChainID: parentChainID, consuming: consuming))
    }

    /// The heavy half of storing a layer, which needs no lock: unpacked into a staging
    /// directory of its own, the blob read once — its digests and (unless `consuming`) its
    /// copy made while it unpacks. Layers of one pull are prepared side by side.
    func prepareLayer(from path: String, parentChainID: String?, consuming: Bool,
                      progress: (@Sendable (Int64) -> Void)? = nil) throws -> PreparedLayer {
        let layer = PreparedLayer(staging: directory + "/staging-\(UUID().uuidString)", source: path, consuming: consuming)
        try makeDirectories(layer.staging + "/fs")
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw EngineError(.notFound, "cannot open \(path)", cause: SystemCallError("open", path)) }
        defer { close(input) }
        var copy: Int32?
        if consuming {
            // Its mode came from an archive or a download: a blob is plain data. Its
            // writeback starts now, so the fsync below finds it done after the unpacking.
            fchmod(input, 0o644)
            _ = sync_file_range(input, 0, 0, UInt32(SYNC_FILE_RANGE_WRITE))
        } else {
            let output = open(layer.blobCopy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard output >= 0 else { throw SystemCallError("open", layer.blobCopy) }
            copy = output
        }
        defer { if let copy { close(copy) } }
        layer.summary = try unpack(input, path: path, copy: copy, into: layer.staging + "/fs", progress: progress)
        fsync(copy ?? input)
        layer.chainID = Self.chainID(parent: parentChainID, diffID: layer.summary.diffID)
        return layer
    }

    /// The light half, under the store lock: the snapshot and the blob move into place.
    func installLayer(_ layer: PreparedLayer) throws -> LayerRecord {
        try makeDirectories(directory + "/blobs/sha256")
        try makeDirectories(directory + "/snapshots")
        try makeDirectories(directory + "/l")
        let snapshot = snapshotDirectory(layer.chainID)
        if !FileManager.default.fileExists(atPath: snapshot) {
            try makeDirectories(layer.staging + "/snapshot")
            try FileManager.default.moveItem(atPath: layer.staging + "/fs", toPath: layer.staging + "/snapshot/fs")
            if rename(layer.staging + "/snapshot", snapshot) != 0 { throw SystemCallError("rename", snapshot) }
            let link = shortLink(layer.chainID)
            unlink(link)
            symlink("../snapshots/\(layer.chainID.dropFirst(7))/fs", link)
        }
        let blob = blobPath(layer.summary.digest)
        if !FileManager.default.fileExists(atPath: blob) {
            // A staged file is linked, not moved: an archive may name the same layer twice.
            if layer.consuming, link(layer.source, blob) != 0 { try FileManager.default.copyItem(atPath: layer.source, toPath: blob) }
            if !layer.consuming, rename(layer.blobCopy, blob) != 0 { throw SystemCallError("rename", blob) }
        }
        let mediaType = switch layer.summary.compression {
        case .gzip: "application/vnd.oci.image.layer.v1.tar+gzip"
        case .zstd: "application/vnd.oci.image.layer.v1.tar+zstd"
        case .none: "application/vnd.oci.image.layer.v1.tar"
        }
        return LayerRecord(digest: layer.summary.digest, mediaType: mediaType,
                           size: layer.summary.size, diffID: layer.summary.diffID, chainID: layer.chainID)
    }

    /// Unpacks the layer at `fd` into `directory` (decompressing on another core); returns
    /// its digests once every byte was read. The stream's reading thread has stopped when it
    /// returns, so `fd` and `copy` may be closed.
    private func unpack(_ fd: Int32, path: String, copy: Int32?, into directory: String,
                        progress: (@Sendable (Int64) -> Void)?) throws -> LayerStream.Summary {
        let stream = try LayerStream(fd: fd, path: path, copy: copy, progress: progress)
        try LayerExtractor.extract(TarReader(source: stream, name: path), into: directory, archiveName: path)
        return try stream.finish()
    }

    /// A layer's chain ID: its diff ID on top of the layers below (OCI image spec).
    static func chainID(parent: String?, diffID: String) -> String {
        parent.map { SHA256Hasher.digest(Array("\($0) \(diffID)".utf8)) } ?? diffID
    }

    /// Writes config and manifest blobs and the record, moving `names` to this image.
    func writeImage(configuration: ImageConfiguration, layers: [LayerRecord], names: [String]) throws -> ImageRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configBytes = Array(try encoder.encode(configuration))
        let configDigest = SHA256Hasher.digest(configBytes)
        try AtomicFile.write(configBytes, to: blobPath(configDigest))
        let manifest: [String: Any] = [
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": configDigest, "size": configBytes.count],
            "layers": layers.map { ["mediaType": $0.mediaType, "digest": $0.digest, "size": $0.size] as [String: Any] },
        ]
        let manifestBytes = Array(try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]))
        let manifestDigest = SHA256Hasher.digest(manifestBytes)
        try AtomicFile.write(manifestBytes, to: blobPath(manifestDigest))
        return try saveRecord(id: configDigest, names: names) {
            ImageRecord(id: configDigest, names: [], manifestDigest: manifestDigest, layers: layers, configuration: configuration,
                        created: Date(), size: layers.reduce(0) { $0 + $1.size })
        }
    }

    /// Adds a name to an image (`docker tag`).
    public func tag(_ source: String, as target: String) throws(EngineError) {
        let image = try resolve(source)
        let name = try ImageReference(parsing: target).description
        do {
            _ = try locked { () throws -> ImageRecord in
                try writeImage(configuration: image.configuration, layers: image.layers, names: [name])
            }
        } catch let error as EngineError { throw error } catch { throw EngineError(.system, "tagging \(source): \(error)") }
    }

    /// Removes a name, and the image when no name is left (`docker rmi`). An image that a
    /// container uses is kept unless `force`.
    public func remove(_ reference: String, force: Bool = false, containersUsing: Set<String> = []) throws(EngineError) -> [String] {
        let image = try resolve(reference)
        let normalized = (try? ImageReference(parsing: reference))?.description
        do {
            return try locked { () throws -> [String] in
                var record = image
                var removed: [String] = []
                if let normalized, record.names.contains(normalized), record.names.count > 1 {
                    record.names.removeAll { $0 == normalized }
                    try saveRecord(record)
                    return ["Untagged: \(ImageReferenceFormatting.familiar(normalized))"]
                }
                if containersUsing.contains(record.id), !force {
                    throw EngineError(.inUse, "image \(reference) is used by a container; remove the container first, or use --force")
                }
                removed += record.names.map { "Untagged: \(ImageReferenceFormatting.familiar($0))" }
                try deleteRecord(record.id)
                removed.append("Deleted: \(record.id)")
                try garbageCollect()
                return removed
            }
        } catch let error as EngineError { throw error } catch { throw EngineError(.system, "removing \(reference): \(error)") }
    }

    /// Deletes blobs and snapshots no image and no build-cache entry refers to any more.
    func garbageCollect() throws {
        let images = try list()
        var blobs = Set<String>()
        var snapshots = Set<String>()
        for image in images {
            blobs.insert(image.id)
            blobs.insert(image.manifestDigest)
            for layer in image.layers {
                blobs.insert(layer.digest)
                snapshots.insert(layer.chainID)
            }
        }
        for layer in cachedLayers() {
            blobs.insert(layer.digest)
            snapshots.insert(layer.chainID)
        }
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory + "/blobs/sha256")) ?? [] where !blobs.contains("sha256:" + file) {
            unlink(directory + "/blobs/sha256/" + file)
        }
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory + "/snapshots")) ?? [] where !snapshots.contains("sha256:" + file) {
            unlink(shortLink("sha256:" + file))
            try? FileManager.default.removeItem(atPath: directory + "/snapshots/" + file)
        }
    }
}

enum ImageReferenceFormatting {
    static func familiar(_ name: String) -> String {
        (try? ImageReference(parsing: name))?.familiar ?? name
    }
}

/// A layer unpacked into its own staging directory, not yet in the store; the directory
/// goes with it (installed or not).
final class PreparedLayer: @unchecked Sendable {
    let staging: String
    let source: String
    let consuming: Bool
    var summary = LayerStream.Summary(digest: "", diffID: "", size: 0, compression: .none)
    var chainID = ""
    var blobCopy: String { staging + "/blob" }

    init(staging: String, source: String, consuming: Bool) {
        self.staging = staging
        self.source = source
        self.consuming = consuming
    }

    deinit { try? FileManager.default.removeItem(atPath: staging) }
}
