import Foundation
import Glibc
import SystemSupport

/// What pull and push need of the store: blobs by digest and images written from the
/// registry's own configuration and manifest bytes (so the image ID is the registry's
/// config digest, and a pushed image comes back with the same ID).
extension ImageStore {
    func hasBlob(_ digest: String) -> Bool {
        FileManager.default.fileExists(atPath: blobPath(digest))
    }

    func hasSnapshot(_ chainID: String) -> Bool {
        FileManager.default.fileExists(atPath: snapshotDirectory(chainID))
    }

    func blob(_ digest: String) throws(EngineError) -> [UInt8] {
        guard let bytes = (try? AtomicFile.read(blobPath(digest))) ?? nil else {
            throw EngineError(.notFound, "blob \(digest) is missing from the store")
        }
        return bytes
    }

    /// The chain IDs of a stack of diff IDs, bottom first.
    static func chainIDs(_ diffIDs: [String]) -> [String] {
        var result: [String] = []
        for diffID in diffIDs {
            result.append(chainID(parent: result.last, diffID: diffID))
        }
        return result
    }

    /// Refuses a downloaded layer unless it is exactly the blob (`digest`) and the content
    /// (`diffID`) the image names; nothing of a refused one reaches the store.
    static func verify(_ layer: PreparedLayer, digest: String, diffID: String) throws(EngineError) {
        guard layer.summary.digest == digest else {
            throw EngineError(.corrupt, "layer \(digest) arrived with the digest \(layer.summary.digest); it was refused and nothing of it kept")
        }
        guard layer.summary.diffID == diffID else {
            throw EngineError(.corrupt, "layer \(digest) unpacks to \(layer.summary.diffID), not the \(diffID) its image names; it was refused")
        }
    }

    /// Writes an image from its configuration bytes as they came (a registry's, an
    /// archive's), so its ID is their digest, with the manifest that came along or, for
    /// `docker save` archives that have none, one made from the layers.
    func writeImage(rawConfig config: [UInt8], rawManifest: [UInt8]?, layers: [LayerRecord], names: [String]) throws(EngineError) -> ImageRecord {
        let label = names.first ?? "the image"
        let configuration: ImageConfiguration
        do { configuration = try JSONDecoder().decode(ImageConfiguration.self, from: Data(config)) } catch {
            throw EngineError(.corrupt, "the image configuration of \(label) is not valid: \(error)")
        }
        do {
            return try locked { () throws -> ImageRecord in
                let id = SHA256Hasher.digest(config)
                let manifest = try rawManifest ?? Array(JSONSerialization.data(withJSONObject: [
                    "schemaVersion": 2, "mediaType": MediaType.ociManifest,
                    "config": ["mediaType": MediaType.ociConfig, "digest": id, "size": config.count],
                    "layers": layers.map { ["mediaType": $0.mediaType, "digest": $0.digest, "size": $0.size] as [String: Any] },
                ] as [String: Any], options: [.sortedKeys]))
                let manifestDigest = SHA256Hasher.digest(manifest)
                try AtomicFile.write(config, to: blobPath(id))
                try AtomicFile.write(manifest, to: blobPath(manifestDigest))
                return try saveRecord(id: id, names: names, make: {
                    ImageRecord(id: id, names: [], manifestDigest: manifestDigest, layers: layers, configuration: configuration,
                                created: Date(), size: layers.reduce(0) { $0 + $1.size })
                }, update: { $0.manifestDigest = manifestDigest })
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.system, "cannot write \(label)", cause: error)
        }
    }

    /// A staging directory for downloads, removed by the caller.
    func stagingDirectory() throws(EngineError) -> String {
        let path = directory + "/staging-pull-" + UUID().uuidString.lowercased()
        do { try makeDirectories(path) } catch { throw EngineError(.system, "cannot create \(path)", cause: error) }
        return path
    }
}
