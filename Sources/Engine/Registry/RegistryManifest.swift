/// The documents of the OCI distribution API: descriptors, image manifests (OCI and
/// Docker schema 2) and indexes (OCI image index, Docker manifest list).
enum MediaType {
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    static let ociConfig = "application/vnd.oci.image.config.v1+json"

    /// What a pull accepts, best first.
    static let accepted = [ociIndex, dockerManifestList, ociManifest, dockerManifest]
    static let indexes: Set = [ociIndex, dockerManifestList]
}

struct Descriptor: Codable, Sendable, Equatable {
    var mediaType: String
    var digest: String
    var size: Int64
    var platform: Platform?
    var annotations: [String: String]?

    struct Platform: Codable, Sendable, Equatable {
        var architecture: String
        var os: String
        var variant: String?
    }
}

/// A manifest or an index: which one is told by `mediaType` (or by which list is present).
struct ManifestDocument: Codable, Sendable {
    var schemaVersion: Int?
    var mediaType: String?
    var config: Descriptor?
    var layers: [Descriptor]?
    var manifests: [Descriptor]?

    var isIndex: Bool { manifests != nil || MediaType.indexes.contains(mediaType ?? "") }
}
