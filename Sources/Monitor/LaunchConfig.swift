import NetworkServices
import SystemSupport

/// Everything the monitor needs to start and supervise one container, fully resolved by
/// the engine (paths, ids, capability mask, compiled seccomp program). The engine writes
/// it as `launch.json` in the container's directory; the Foundation-free monitor reads it.
public struct LaunchConfig: Sendable, Equatable {
    public struct Mount: Sendable, Equatable {
        public var source: String
        public var target: String
        public var type: String?      // nil: bind mount
        public var data: String?
        public var flags: UInt        // MS_* flags
        public var targetIsFile: Bool
        /// A file made with this content at each start, in the container's own /dev tmpfs, and
        /// bound on `target` (the /etc files): nothing of it is written to the host's disk.
        public var content: String?
        public init(source: String, target: String, type: String? = nil, data: String? = nil,
                    flags: UInt = 0, targetIsFile: Bool = false, content: String? = nil) {
            self.source = source; self.target = target; self.type = type; self.data = data
            self.flags = flags; self.targetIsFile = targetIsFile; self.content = content
        }
    }

    public struct Device: Sendable, Equatable {
        public var path: String
        public var mode: UInt32       // S_IFCHR/S_IFBLK | permissions
        public var major: UInt32
        public var minor: UInt32
        public var uid: UInt32 = 0
        public var gid: UInt32 = 0
        public init(path: String, mode: UInt32, major: UInt32, minor: UInt32, uid: UInt32 = 0, gid: UInt32 = 0) {
            self.path = path; self.mode = mode; self.major = major; self.minor = minor; self.uid = uid; self.gid = gid
        }
    }

    public struct Rlimit: Sendable, Equatable {
        public var resource: Int32
        public var soft: UInt64
        public var hard: UInt64
        public init(resource: Int32, soft: UInt64, hard: UInt64) { self.resource = resource; self.soft = soft; self.hard = hard }
    }

    /// A process to run: the container's main one, an exec, or a healthcheck.
    public struct Process: Sendable, Equatable {
        public var arguments: [String]
        public var environment: [String]
        public var workingDirectory: String
        public var uid: UInt32 = 0
        public var gid: UInt32 = 0
        public var groups: [UInt32] = []
        public var capabilities: UInt64 = 0
        public var noNewPrivileges = false
        public var seccompProgram: String?   // path of a compiled BPF program; nil: unconfined
        public var tty = false
        public var openStdin = false
        public var initProcess = false
        public init(arguments: [String], environment: [String], workingDirectory: String = "/") {
            self.arguments = arguments; self.environment = environment; self.workingDirectory = workingDirectory
        }
    }

    public struct Healthcheck: Sendable, Equatable {
        public var test: [String]            // argv to exec (CMD-SHELL already became sh -c)
        public var interval: Int64           // nanoseconds
        public var timeout: Int64
        public var startPeriod: Int64
        public var startInterval: Int64
        public var retries: Int
        public init(test: [String], interval: Int64, timeout: Int64, startPeriod: Int64, startInterval: Int64, retries: Int) {
            self.test = test; self.interval = interval; self.timeout = timeout
            self.startPeriod = startPeriod; self.startInterval = startInterval; self.retries = retries
        }
    }

    public var id: String
    public var directory: String              // the container's directory (state, logs)
    public var controlSocket: String
    public var rootfs: String
    public var rootfsType: String?
    public var rootfsData: String?
    public var namespaces: [String] = ["mount", "uts", "ipc", "pid", "net", "cgroup"]
    public var joinNamespaces: [String] = []
    public var joinPidNamespace: String?       // pid: container:<id>
    public var cgroupProcs: [String] = []      // files to join the cgroup through (CgroupManager.joinFiles)
    public var cgroupDirectories: [String] = []  // removed by the monitor with --rm
    public var autoRemovePaths: [String] = []    // also removed with --rm (e.g. the writable layer)
    public var oomCounter: String?             // memory.oom_control (v1) or memory.events (v2)
    public var hostname: String?
    public var domainname: String?
    public var mounts: [Mount] = []
    public var devices: [Device] = []
    public var symlinks: [[String]] = []       // [link, target]
    public var maskedPaths: [String] = []
    public var readonlyPaths: [String] = []
    public var readonlyRootfs = false
    public var sysctls: [String: String] = [:]
    public var rlimits: [Rlimit] = []
    public var oomScoreAdj: Int?
    public var process: Process
    public var logPath: String?                // nil: logging driver "none"
    public var logMaxSize: Int64 = 0           // bytes; 0: unlimited
    public var logMaxFiles: Int = 1
    public var restartPolicy = "no"
    public var restartMaxRetries = 0
    public var healthcheck: Healthcheck?
    public var stopSignal: Int32 = 15
    public var stopTimeout: Int = 10
    public var autoRemove = false
    /// Published ports the monitor serves with the userland proxy while it runs: those on
    /// IPv6 host addresses (IPv4 ones are kernel DNAT rules the network layer owns).
    public var proxiedPorts: [PortBinding] = []

    public init(id: String, directory: String, controlSocket: String, rootfs: String, process: Process) {
        self.id = id; self.directory = directory; self.controlSocket = controlSocket
        self.rootfs = rootfs; self.process = process
    }
}
