import Foundation
import Glibc
import SystemSupport

/// What the builder needs of the store: layers made from directories, images written
/// from layers and a configuration, and the build cache (instruction key → layer).
extension ImageStore {
    /// Overlay lower directories for a stack of layers, top first.
    func lowerDirectories(_ layers: [LayerRecord]) -> [String] {
        layers.reversed().map { shortLink($0.chainID) }
    }

    /// An empty directory overlayfs can use as the lower layer of `scratch`.
    func emptyLayerDirectory() throws -> String {
        let empty = directory + "/empty"
        try makeDirectories(empty)
        return empty
    }

    /// Archives `tree` (a build container's upper directory, or a staged COPY) and stores
    /// it as the layer on top of `parent`.
    func storeLayer(fromDirectory tree: String, parent: LayerRecord?, skip: @escaping (String) -> Bool = { _ in false })
        throws(EngineError) -> LayerRecord {
        let tarball = directory + "/staging-layer-\(UUID().uuidString).tar"
        defer { unlink(tarball) }
        do {
            try makeDirectories(directory)
            let fd = open(tarball, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SystemCallError("open", tarball) }
            defer { close(fd) }
            let writer = TarWriter(fd: fd, name: tarball)
            try DirectoryArchiver(root: tree, skip: skip).write(to: writer)
            _ = try writer.finish()
            return try locked { () throws -> LayerRecord in try storeLayer(from: tarball, parentChainID: parent?.chainID, consuming: true) }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.system, "cannot store the layer made from \(tree)", cause: error)
        }
    }

    /// Writes an image of `layers` and `configuration` named `names` (the end of a build).
    func writeImage(layers: [LayerRecord], configuration: ImageConfiguration, names: [String]) throws(EngineError) -> ImageRecord {
        var configuration = configuration
        configuration.rootfs = .init(diff_ids: layers.map(\.diffID))
        do {
            return try locked { () throws -> ImageRecord in try writeImage(configuration: configuration, layers: layers, names: names) }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.system, "cannot write the image", cause: error)
        }
    }

    // MARK: build cache

    private var cacheDirectory: String { directory + "/build-cache" }

    /// The layer an earlier build made for this key, if its snapshot is still there.
    func cachedLayer(_ key: String) -> LayerRecord? {
        guard let data = FileManager.default.contents(atPath: cacheDirectory + "/" + key + ".json"),
              let layer = try? JSONDecoder().decode(LayerRecord.self, from: data),
              FileManager.default.fileExists(atPath: snapshotDirectory(layer.chainID)),
              FileManager.default.fileExists(atPath: blobPath(layer.digest)) else { return nil }
        return layer
    }

    func rememberLayer(_ layer: LayerRecord, for key: String) {
        guard let data = try? JSONEncoder().encode(layer) else { return }
        try? makeDirectories(cacheDirectory)
        try? AtomicFile.write(Array(data), to: cacheDirectory + "/" + key + ".json")
    }

    /// The image an earlier build produced from the same layers and configuration, so
    /// that an unchanged rebuild gives the same image (and `up --build` recreates nothing).
    func cachedImage(_ key: String) -> ImageRecord? {
        guard let data = FileManager.default.contents(atPath: cacheDirectory + "/image-" + key) else { return nil }
        return try? resolve(String(decoding: data, as: UTF8.self))
    }

    func rememberImage(_ image: ImageRecord, for key: String) {
        try? makeDirectories(cacheDirectory)
        try? AtomicFile.write(Array(image.id.utf8), to: cacheDirectory + "/image-" + key)
    }

    /// Layers the build cache keeps alive (garbage collection spares them).
    func cachedLayers() -> [LayerRecord] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory)) ?? []
        return files.filter { $0.hasSuffix(".json") }.compactMap { file in
            FileManager.default.contents(atPath: cacheDirectory + "/" + file).flatMap { try? JSONDecoder().decode(LayerRecord.self, from: $0) }
        }
    }

    /// Forgets the build cache (`builder prune`); its layers go with the next collection.
    public func pruneBuildCache() throws(EngineError) {
        do {
            try locked { () throws in
                try? FileManager.default.removeItem(atPath: cacheDirectory)
                try garbageCollect()
            }
        } catch let error as EngineError { throw error } catch { throw EngineError(.system, "pruning the build cache", cause: error) }
    }
}

extension ImageStore {
    /// `image prune`: removes images without a name (all unused ones with `all`) that no
    /// container uses; returns what was deleted.
    public func prune(all: Bool, containersUsing: Set<String>) throws(EngineError) -> [String] {
        do {
            return try locked { () throws -> [String] in
                var removed: [String] = []
                for image in try list() where !containersUsing.contains(image.id) && (all || image.names.isEmpty) {
                    removed += image.names.map { "Untagged: \(ImageReferenceFormatting.familiar($0))" }
                    try deleteRecord(image.id)
                    removed.append("Deleted: \(image.id)")
                }
                try garbageCollect()
                return removed
            }
        } catch let error as EngineError { throw error } catch { throw EngineError(.system, "pruning images", cause: error) }
    }
}
