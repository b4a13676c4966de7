import NetworkServices

/// What a container is asked to be: the union of `docker run` flags and compose service
/// attributes, before image defaults are applied. Plain values: the orchestrator fills it
/// from a compose service, the CLI from flags; the volume and network layers fill in the
/// fields they own (resolved volume paths, the network namespace, endpoints).
public struct ContainerSpec: Codable, Sendable, Equatable {
    public var image: String
    public var name: String?
    /// nil: the image's ENTRYPOINT; [] clears it (`--entrypoint ""`).
    public var entrypoint: [String]?
    /// nil: the image's CMD (dropped when the entrypoint is overridden, as Docker does).
    public var command: [String]?
    public var environment: [String: String] = [:]
    public var user: String?                     // name|uid[:group|gid]
    public var groupAdd: [String] = []
    public var workingDir: String?
    public var hostname: String?
    public var domainname: String?
    public var tty = false
    public var openStdin = false
    public var mounts: [MountSpec] = []
    public var readOnly = false
    public var privileged = false
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var securityOpt: [String] = []        // no-new-privileges[:true], seccomp=unconfined|FILE
    public var devices: [DeviceSpec] = []
    public var sysctls: [String: String] = [:]
    public var ulimits: [String: Ulimit] = [:]
    public var resources = Resources()
    public var initProcess = false
    public var stopSignal: String?
    public var stopGracePeriod: Int?             // seconds
    public var labels: [String: String] = [:]
    public var pidMode: String?                  // nil/"private", "host"
    public var ipcMode: String?                  // nil/"private"/"shareable", "host", "container:<id>"
    /// "none"/nil (own namespace, loopback only), "host", or a netns path from the network layer.
    public var networkMode: String?
    public var networkNamespacePath: String?
    public var extraHosts: [String] = []         // "name:ip" (also "name=ip")
    public var dns: [String] = []
    public var dnsSearch: [String] = []
    public var dnsOptions: [String] = []
    /// Addresses of this container on its networks, for /etc/hosts (set by the network layer).
    public var addresses: [String] = []
    public var aliases: [String] = []
    /// IPv4 ones are the network layer's kernel rules; IPv6 ones the monitor's port proxy.
    public var publishedPorts: [PortSpec] = []
    public var restartPolicy = RestartPolicy()
    public var healthcheck: HealthcheckSpec?
    public var logging = LoggingSpec()
    public var autoRemove = false

    public init(image: String, command: [String]? = nil) {
        self.image = image
        self.command = command
    }

    public struct MountSpec: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case bind, volume, tmpfs }
        public var kind: Kind
        /// Host path for bind; the resolved host path of a named volume (volume layer); unused for tmpfs.
        public var source: String
        public var target: String
        public var readOnly = false
        /// Mount options (`nosuid`, `nodev`, `noexec`, …); for tmpfs also `size=`, `mode=`.
        public var options: [String] = []
        public var tmpfsSize: Int64?
        public var tmpfsMode: UInt32?
        public var volumeName: String?
        public init(kind: Kind, source: String, target: String, readOnly: Bool = false, options: [String] = []) {
            self.kind = kind; self.source = source; self.target = target; self.readOnly = readOnly; self.options = options
        }
    }

    public struct DeviceSpec: Codable, Sendable, Equatable {
        public var hostPath: String
        public var containerPath: String
        public var permissions = "rwm"
        public init(hostPath: String, containerPath: String? = nil, permissions: String = "rwm") {
            self.hostPath = hostPath; self.containerPath = containerPath ?? hostPath; self.permissions = permissions
        }
    }

    public struct Ulimit: Codable, Sendable, Equatable {
        public var soft: Int64
        public var hard: Int64
        public init(soft: Int64, hard: Int64) { self.soft = soft; self.hard = hard }
    }

    public struct Resources: Codable, Sendable, Equatable {
        public var memory: Int64?                 // bytes
        public var memoryReservation: Int64?
        public var memorySwap: Int64?             // memory+swap; -1 unlimited
        public var nanoCPUs: Int64?               // --cpus × 1e9
        public var cpuShares: Int64?
        public var cpusetCPUs: String?
        public var cpusetMems: String?
        public var pidsLimit: Int64?
        public var shmSize: Int64?                // bytes; default 64 MiB
        public var oomScoreAdj: Int?
        public init() {}
    }

    public struct PortSpec: Codable, Sendable, Equatable {
        public var hostIP: String?
        public var hostPort: UInt16?
        public var containerPort: UInt16
        public var proto = "tcp"
        public init(hostIP: String? = nil, hostPort: UInt16? = nil, containerPort: UInt16, proto: String = "tcp") {
            self.hostIP = hostIP; self.hostPort = hostPort; self.containerPort = containerPort; self.proto = proto
        }

        /// "0.0.0.0:8080" or "[::]:8080", as `port` prints it and `ps` shows it.
        public var hostEndpoint: String {
            let address = hostIP ?? "0.0.0.0"
            return (IPAddress(address)?.hostText ?? address) + ":\(hostPort ?? 0)"
        }
    }

    public struct RestartPolicy: Codable, Sendable, Equatable {
        public var name = "no"                    // no, always, unless-stopped, on-failure
        public var maximumRetryCount = 0
        public init(name: String = "no", maximumRetryCount: Int = 0) { self.name = name; self.maximumRetryCount = maximumRetryCount }
    }

    public struct HealthcheckSpec: Codable, Sendable, Equatable {
        /// ["CMD", …], ["CMD-SHELL", "…"] or ["NONE"]; nil fields take the image's values.
        public var test: [String]?
        public var interval: Int64?               // nanoseconds
        public var timeout: Int64?
        public var startPeriod: Int64?
        public var startInterval: Int64?
        public var retries: Int?
        public init(test: [String]? = nil) { self.test = test }
    }

    public struct LoggingSpec: Codable, Sendable, Equatable {
        public var driver = "json-file"           // json-file or none
        public var options: [String: String] = [:]  // max-size, max-file
        public init() {}
    }
}
