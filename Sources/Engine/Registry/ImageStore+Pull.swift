import Foundation
import Glibc
import SystemSupport

/// A line of pull/push progress: the layer (short digest) or image, and what happened —
/// with the bytes done of a total while a layer is being worked on (a terminal draws a bar;
/// plain output skips these in-between events).
public struct TransferEvent: Sendable, Equatable {
    public var item: String
    public var status: String
    public var done: Int64?
    public var total: Int64?

    public init(item: String, status: String, done: Int64? = nil, total: Int64? = nil) {
        self.item = item
        self.status = status
        self.done = done
        self.total = total
    }
}

extension ImageStore {
    /// Pulls `name` from its registry: the manifest (from an index, the one for `platform`),
    /// the config, and the layers the store does not have yet — downloaded in parallel,
    /// verified, and unpacked bottom first.
    public func pull(_ name: String, platform: String = "linux/amd64",
                     progress: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws(EngineError) -> ImageRecord {
        let reference = try ImageReference(parsing: name)
        let client = RegistryClient(reference)
        var (manifestBytes, document) = try await fetchManifest(client, reference.digest ?? reference.tag ?? "latest", expected: reference.digest)
        if document.isIndex {
            let parts = platform.split(separator: "/").map(String.init)
            guard parts.count >= 2 else { throw EngineError(.invalidArgument, "invalid platform \(platform); write OS/ARCH, e.g. linux/amd64") }
            guard let chosen = document.manifests?.first(where: { descriptor in
                descriptor.platform?.os == parts[0] && descriptor.platform?.architecture == parts[1]
                    && (parts.count < 3 || descriptor.platform?.variant == parts[2])
            }) else {
                let offered = (document.manifests ?? []).compactMap { $0.platform.map { "\($0.os)/\($0.architecture)" } }
                throw EngineError(.notFound, "\(reference.familiar) has no image for \(platform); it has \(offered.joined(separator: ", "))")
            }
            (manifestBytes, document) = try await fetchManifest(client, chosen.digest, expected: chosen.digest)
        }
        guard let configDescriptor = document.config, let layerDescriptors = document.layers else {
            throw EngineError(.unsupported, "\(reference.familiar): the registry sent a manifest we cannot read (schema 1?)")
        }
        let (configBytes, _) = try await client.send("GET", "\(client.repositoryPath)/blobs/\(configDescriptor.digest)")
        guard SHA256Hasher.digest(Array(configBytes)) == configDescriptor.digest else {
            throw EngineError(.corrupt, "\(reference.familiar): the image configuration does not match its digest; nothing was kept")
        }
        let configuration: ImageConfiguration
        do { configuration = try JSONDecoder().decode(ImageConfiguration.self, from: configBytes) } catch {
            throw EngineError(.corrupt, "\(reference.familiar): the image configuration is not valid: \(error)")
        }
        let diffIDs = configuration.rootfs.diff_ids
        guard diffIDs.count == layerDescriptors.count else {
            throw EngineError(.corrupt, "\(reference.familiar): \(layerDescriptors.count) layers in the manifest but \(diffIDs.count) in the configuration")
        }
        let chain = Self.chainIDs(diffIDs)

        // Download what is missing, at most three at a time; each layer is unpacked as soon
        // as it is in (a layer's chain ID needs only the diff IDs below it, all known), while
        // the others download.
        let missing = layerDescriptors.indices.filter { !(hasBlob(layerDescriptors[$0].digest) && hasSnapshot(chain[$0])) }
        for index in layerDescriptors.indices where !missing.contains(index) {
            progress(TransferEvent(item: Self.short(layerDescriptors[index].digest), status: "Already exists"))
        }
        let staging = try stagingDirectory()
        defer { try? FileManager.default.removeItem(atPath: staging) }
        var prepared: [Int: PreparedLayer] = [:]
        let store = self
        do {
            try await withThrowingTaskGroup(of: (Int, PreparedLayer).self) { group in
                var pending = missing[...]
                func start() {
                    guard let index = pending.popFirst() else { return }
                    let descriptor = layerDescriptors[index]
                    let item = Self.short(descriptor.digest)
                    group.addTask {
                        progress(TransferEvent(item: item, status: "Downloading \(Self.size(descriptor.size))"))
                        let path = try await client.download(descriptor.digest, into: staging)
                        progress(TransferEvent(item: item, status: "Extracting \(Self.size(descriptor.size))"))
                        let extracted = { @Sendable (done: Int64) in
                            progress(TransferEvent(item: item, status: "Extracting", done: done, total: descriptor.size))
                        }
                        let layer = try await BlockingCall.run { () throws(EngineError) -> PreparedLayer in
                            do {
                                return try store.prepareLayer(from: path, parentChainID: index == 0 ? nil : chain[index - 1], consuming: true,
                                                              progress: extracted)
                            } catch let error as EngineError { throw error } catch {
                                throw EngineError(.system, "cannot unpack layer \(descriptor.digest)", cause: error)
                            }
                        }
                        try Self.verify(layer, digest: descriptor.digest, diffID: diffIDs[index])
                        progress(TransferEvent(item: item, status: "Pull complete"))
                        return (index, layer)
                    }
                }
                for _ in 0..<3 { start() }
                while let (index, layer) = try await group.next() {
                    prepared[index] = layer
                    start()
                }
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.network, "pulling \(reference.familiar): \(error)")
        }

        var layers: [LayerRecord] = []
        do {
            try locked { () throws in
                for (index, descriptor) in layerDescriptors.enumerated() {
                    if let layer = prepared[index] {
                        var record = try installLayer(layer)
                        record.mediaType = descriptor.mediaType
                        layers.append(record)
                    } else {
                        layers.append(LayerRecord(digest: descriptor.digest, mediaType: descriptor.mediaType, size: descriptor.size,
                                                  diffID: diffIDs[index], chainID: chain[index]))
                    }
                }
            }
        } catch let error as EngineError { throw error } catch {
            throw EngineError(.system, "cannot store the layers of \(reference.familiar)", cause: error)
        }
        let image = try writeImage(rawConfig: Array(configBytes), rawManifest: manifestBytes, layers: layers, names: [reference.description])
        progress(TransferEvent(item: reference.familiar, status: "Pulled (digest: \(SHA256Hasher.digest(manifestBytes)))"))
        return image
    }

    private func fetchManifest(_ client: RegistryClient, _ reference: String, expected: String?) async throws(EngineError) -> ([UInt8], ManifestDocument) {
        let (data, response) = try await client.send("GET", "\(client.repositoryPath)/manifests/\(reference)",
                                                     headers: ["Accept": MediaType.accepted.joined(separator: ", ")])
        guard response.statusCode == 200 else {
            throw EngineError(.notFound, "\(client.reference.familiar) not found in \(client.reference.domain) (HTTP \(response.statusCode))"
                + "; check the name and tag, or push it first")
        }
        let bytes = Array(data)
        if let expected, SHA256Hasher.digest(bytes) != expected {
            throw EngineError(.corrupt, "the manifest \(expected) from \(client.reference.domain) does not match its digest; nothing was kept")
        }
        do {
            return (bytes, try JSONDecoder().decode(ManifestDocument.self, from: data))
        } catch {
            throw EngineError(.corrupt, "\(client.reference.familiar): the registry's manifest is not valid JSON: \(error)")
        }
    }

    static func short(_ digest: String) -> String { String(digest.dropFirst(7).prefix(12)) }

    static func size(_ bytes: Int64) -> String {
        bytes >= 1 << 20 ? String(format: "%.1fMB", Double(bytes) / 1_048_576) : String(format: "%.1fkB", Double(bytes) / 1024)
    }
}
