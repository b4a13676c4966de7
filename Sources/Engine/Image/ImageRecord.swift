import Foundation

/// The OCI image configuration (what `docker inspect` shows as Config, plus rootfs and history).
public struct ImageConfiguration: Codable, Sendable, Equatable {
    public struct Config: Codable, Sendable, Equatable {
        public var User: String?
        public var ExposedPorts: [String: EmptyObject]?
        public var Env: [String]?
        public var Entrypoint: [String]?
        public var Cmd: [String]?
        public var Volumes: [String: EmptyObject]?
        public var WorkingDir: String?
        public var Labels: [String: String]?
        public var StopSignal: String?
        public var Healthcheck: Healthcheck?
        /// Triggers a build runs when it starts FROM this image (`ONBUILD`).
        public var OnBuild: [String]?
        /// The shell of RUN/CMD/ENTRYPOINT shell forms (`SHELL`); nil is /bin/sh -c.
        public var Shell: [String]?

        public init() {}
    }

    public struct Healthcheck: Codable, Sendable, Equatable {
        public init() {}
        public var Test: [String]?
        public var Interval: Int64?
        public var Timeout: Int64?
        public var StartPeriod: Int64?
        public var StartInterval: Int64?
        public var Retries: Int?
    }

    public struct EmptyObject: Codable, Sendable, Equatable { public init() {} }

    public struct RootFS: Codable, Sendable, Equatable {
        public var type = "layers"
        public var diff_ids: [String]
    }

    public struct History: Codable, Sendable, Equatable {
        public var created: String?
        public var created_by: String?
        public var comment: String?
        public var empty_layer: Bool?
    }

    public var architecture = "amd64"
    public var os = "linux"
    public var created: String?
    public var config: Config
    public var rootfs: RootFS
    public var history: [History]?
}

/// One layer of an image as the store keeps it.
public struct LayerRecord: Codable, Sendable, Equatable {
    /// Digest of the blob as stored (compressed or not).
    public var digest: String
    public var mediaType: String
    public var size: Int64
    /// Digest of the uncompressed tar.
    public var diffID: String
    /// Digest naming the snapshot: the layer on top of all those below it.
    public var chainID: String
}

/// An image in the store: its id (the config digest), names, layers and configuration.
public struct ImageRecord: Codable, Sendable, Equatable {
    public var id: String
    public var names: [String]
    public var manifestDigest: String
    public var layers: [LayerRecord]
    public var configuration: ImageConfiguration
    public var created: Date
    public var size: Int64

    public var shortID: String { String(id.dropFirst("sha256:".count).prefix(12)) }
}
