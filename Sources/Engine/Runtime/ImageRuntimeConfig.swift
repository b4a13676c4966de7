/// The parts of an image's config a container starts from (OCI `config`), and the rootfs
/// it runs on. The image store produces it; tests may build one from a directory.
public struct ContainerImage: Sendable, Equatable {
    public struct Config: Codable, Sendable, Equatable {
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var env: [String]?
        public var workingDir: String?
        public var user: String?
        public var stopSignal: String?
        public var labels: [String: String]?
        public var healthcheck: ContainerSpec.HealthcheckSpec?
        public init(entrypoint: [String]? = nil, cmd: [String]? = nil, env: [String]? = nil, workingDir: String? = nil,
                    user: String? = nil, stopSignal: String? = nil) {
            self.entrypoint = entrypoint; self.cmd = cmd; self.env = env; self.workingDir = workingDir
            self.user = user; self.stopSignal = stopSignal
        }
    }

    /// How the container's / is made: a plain directory (bound), or overlay layers
    /// mounted inside the container's mount namespace (no host mount to leak).
    public enum Rootfs: Codable, Sendable, Equatable {
        case directory(String)
        /// Lower layers top-first; upper and work directories belong to the container.
        case overlay(lower: [String], upper: String, work: String)
    }

    public var reference: String
    public var id: String
    public var config: Config
    public var rootfs: Rootfs

    public init(reference: String, id: String, config: Config, rootfs: Rootfs) {
        self.reference = reference; self.id = id; self.config = config; self.rootfs = rootfs
    }
}
