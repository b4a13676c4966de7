/// One service of a loaded project: typed views over its normalized attributes.
public struct Service: Sendable {
    public var name: String
    /// The normalized attributes, as `config` prints them.
    public var node: ConfigNode

    public init(name: String, node: ConfigNode) {
        self.name = name
        self.node = node
    }

    private func string(_ key: String) -> String? { node[key]?.string.flatMap { $0.isEmpty ? nil : $0 } }
    private func flag(_ key: String) -> Bool { node[key]?.bool ?? false }

    public var image: String? { string("image") }
    public var containerName: String? { string("container_name") }
    public var hostname: String? { string("hostname") }
    public var domainname: String? { string("domainname") }
    public var user: String? { string("user") }
    public var workingDir: String? { string("working_dir") }
    public var restart: String? { string("restart") }
    public var networkMode: String? { string("network_mode") }
    public var pid: String? { string("pid") }
    public var ipc: String? { string("ipc") }
    public var stopSignal: String? { string("stop_signal") }
    public var pullPolicy: String? { string("pull_policy") }
    public var platform: String? { string("platform") }
    public var macAddress: String? { string("mac_address") }
    public var cpuset: String? { string("cpuset") }
    public var tty: Bool { flag("tty") }
    public var stdinOpen: Bool { flag("stdin_open") }
    public var privileged: Bool { flag("privileged") }
    public var readOnly: Bool { flag("read_only") }
    /// nil when unset (the image or engine default applies).
    public var initProcess: Bool? { node["init"]?.bool }
    public var attach: Bool { node["attach"]?.bool ?? true }

    /// nil when unset, [] when explicitly cleared.
    public var command: [String]? { node["command"]?.stringList }
    public var entrypoint: [String]? { node["entrypoint"]?.stringList }

    /// Environment with env_file folded in; a nil value means "declared but unset".
    public var environment: [(key: String, value: String?)] {
        (node["environment"]?.object?.sortedEntries ?? []).map { ($0.key, $0.value.string) }
    }

    public var labels: [String: String] { node["labels"]?.stringMap ?? [:] }
    public var sysctls: [String: String] { node["sysctls"]?.stringMap ?? [:] }
    public var capAdd: [String] { node["cap_add"]?.stringList ?? [] }
    public var capDrop: [String] { node["cap_drop"]?.stringList ?? [] }
    public var securityOpt: [String] { node["security_opt"]?.stringList ?? [] }
    public var groupAdd: [String] { node["group_add"]?.stringList ?? [] }
    public var dns: [String] { node["dns"]?.stringList ?? [] }
    public var dnsSearch: [String] { node["dns_search"]?.stringList ?? [] }
    public var dnsOptions: [String] { node["dns_opt"]?.stringList ?? [] }
    public var tmpfs: [String] { node["tmpfs"]?.stringList ?? [] }
    public var links: [String] { node["links"]?.stringList ?? [] }
    public var volumesFrom: [String] { node["volumes_from"]?.stringList ?? [] }
    public var expose: [String] { node["expose"]?.stringList ?? [] }
    public var profiles: [String] { node["profiles"]?.stringList ?? [] }
    /// `host=ip` pairs.
    public var extraHosts: [(host: String, address: String)] {
        (node["extra_hosts"]?.stringList ?? []).map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    /// Replicas: `deploy.replicas`, else `scale`, else 1.
    public var replicas: Int { node["deploy"]?["replicas"]?.int ?? node["scale"]?.int ?? 1 }

    public var stopGracePeriodNanoseconds: Int64? { node["stop_grace_period"]?.string.flatMap(Units.nanoseconds) }

    /// Memory limit in bytes: `deploy.resources.limits.memory`, else `mem_limit`.
    public var memoryLimit: Int? { node["deploy"]?["resources"]?["limits"]?["memory"]?.int ?? node["mem_limit"]?.int }
    public var memoryReservation: Int? { node["deploy"]?["resources"]?["reservations"]?["memory"]?.int ?? node["mem_reservation"]?.int }
    public var memorySwapLimit: Int? { node["memswap_limit"]?.int }
    public var cpus: Double? {
        if case .double(let d) = node["deploy"]?["resources"]?["limits"]?["cpus"]?.kind { return d }
        if case .double(let d) = node["cpus"]?.kind { return d }
        return nil
    }
    public var cpuShares: Int? { node["cpu_shares"]?.int }
    public var pidsLimit: Int? { node["deploy"]?["resources"]?["limits"]?["pids"]?.int ?? node["pids_limit"]?.int }
    public var shmSize: Int? { node["shm_size"]?.int }
    public var oomScoreAdj: Int? { node["oom_score_adj"]?.int }

    public var ulimits: [(name: String, soft: Int, hard: Int)] {
        (node["ulimits"]?.object?.sortedEntries ?? []).map { entry in
            if let single = entry.value.int { return (entry.key, single, single) }
            return (entry.key, entry.value["soft"]?.int ?? 0, entry.value["hard"]?.int ?? 0)
        }
    }

    public var ports: [PortConfig] { (node["ports"]?.array ?? []).map { PortConfig(node: $0) } }
    public var volumes: [VolumeMount] { (node["volumes"]?.array ?? []).map(VolumeMount.init) }
    public var secrets: [FileMount] { (node["secrets"]?.array ?? []).map(FileMount.init) }
    public var configs: [FileMount] { (node["configs"]?.array ?? []).map(FileMount.init) }
    public var devices: [(source: String, target: String, permissions: String)] {
        (node["devices"]?.array ?? []).map { ($0["source"]?.string ?? "", $0["target"]?.string ?? "", $0["permissions"]?.string ?? "rwm") }
    }

    /// Networks the service joins, sorted by name (`nil` settings: defaults).
    public var networks: [(name: String, settings: ServiceNetwork)] {
        (node["networks"]?.object?.sortedEntries ?? []).map { ($0.key, ServiceNetwork($0.value)) }
    }

    public var dependsOn: [(service: String, dependency: Dependency)] {
        (node["depends_on"]?.object?.sortedEntries ?? []).map { ($0.key, Dependency($0.value)) }
    }

    public var healthcheck: Healthcheck? { node["healthcheck"].map(Healthcheck.init) }

    public var build: BuildConfig? { node["build"].map(BuildConfig.init) }

    public var logging: (driver: String?, options: [String: String])? {
        node["logging"].map { ($0["driver"]?.string, $0["options"]?.stringMap ?? [:]) }
    }
}

public struct PortConfig: Sendable, Equatable {
    public var target: Int
    /// A port ("8080"), a range ("8000-8010"), or nil for a random host port.
    public var published: String?
    public var hostIP: String?
    public var `protocol`: String
    public var mode: String

    init(node: ConfigNode) {
        target = node["target"]?.int ?? 0
        published = node["published"]?.scalarText.flatMap { $0.isEmpty ? nil : $0 }
        hostIP = node["host_ip"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        `protocol` = node["protocol"]?.string ?? "tcp"
        mode = node["mode"]?.string ?? "ingress"
    }
}

public struct VolumeMount: Sendable, Equatable {
    public enum Kind: String, Sendable { case bind, volume, tmpfs, npipe, cluster, image }
    public var type: Kind
    /// Host path (bind, absolute), volume key (named), nil for anonymous volumes and tmpfs.
    public var source: String?
    public var target: String
    public var readOnly: Bool
    public var createHostPath: Bool
    public var propagation: String?
    public var noCopy: Bool
    public var subpath: String?
    public var tmpfsSize: Int?
    public var tmpfsMode: Int?

    init(_ node: ConfigNode) {
        type = node["type"]?.string.flatMap(Kind.init(rawValue:)) ?? .volume
        source = node["source"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        target = node["target"]?.string ?? ""
        readOnly = node["read_only"]?.bool ?? false
        createHostPath = node["bind"]?["create_host_path"]?.bool ?? false
        propagation = node["bind"]?["propagation"]?.string
        noCopy = node["volume"]?["nocopy"]?.bool ?? false
        subpath = node["volume"]?["subpath"]?.string
        tmpfsSize = node["tmpfs"]?["size"]?.int
        tmpfsMode = node["tmpfs"]?["mode"]?.int
    }
}

public struct FileMount: Sendable, Equatable {
    public var source: String
    public var target: String?
    public var uid: String?
    public var gid: String?
    public var mode: Int?

    init(_ node: ConfigNode) {
        source = node["source"]?.string ?? ""
        target = node["target"]?.string
        uid = node["uid"]?.string
        gid = node["gid"]?.string
        mode = node["mode"]?.int
    }
}

public struct ServiceNetwork: Sendable, Equatable {
    public var aliases: [String]
    public var ipv4Address: String?
    public var ipv6Address: String?
    public var macAddress: String?
    public var priority: Int

    init(_ node: ConfigNode) {
        aliases = node["aliases"]?.stringList ?? []
        ipv4Address = node["ipv4_address"]?.string
        ipv6Address = node["ipv6_address"]?.string
        macAddress = node["mac_address"]?.string
        priority = node["priority"]?.int ?? 0
    }
}

public struct Dependency: Sendable, Equatable {
    public enum Condition: String, Sendable {
        case started = "service_started"
        case healthy = "service_healthy"
        case completedSuccessfully = "service_completed_successfully"
    }
    public var condition: Condition
    public var restart: Bool
    public var required: Bool

    init(_ node: ConfigNode) {
        condition = node["condition"]?.string.flatMap(Condition.init(rawValue:)) ?? .started
        restart = node["restart"]?.bool ?? false
        required = node["required"]?.bool ?? true
    }
}

public struct Healthcheck: Sendable, Equatable {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`; nil to inherit the image's test.
    public var test: [String]?
    public var intervalNanoseconds: Int64?
    public var timeoutNanoseconds: Int64?
    public var startPeriodNanoseconds: Int64?
    public var startIntervalNanoseconds: Int64?
    public var retries: Int?
    public var disable: Bool

    init(_ node: ConfigNode) {
        test = node["test"]?.stringList
        intervalNanoseconds = node["interval"]?.string.flatMap(Units.nanoseconds)
        timeoutNanoseconds = node["timeout"]?.string.flatMap(Units.nanoseconds)
        startPeriodNanoseconds = node["start_period"]?.string.flatMap(Units.nanoseconds)
        startIntervalNanoseconds = node["start_interval"]?.string.flatMap(Units.nanoseconds)
        retries = node["retries"]?.int
        disable = node["disable"]?.bool ?? false || test == ["NONE"]
    }
}

public struct BuildConfig: Sendable, Equatable {
    public var context: String
    public var dockerfile: String?
    public var dockerfileInline: String?
    public var args: [String: String]
    public var target: String?
    public var labels: [String: String]
    public var noCache: Bool
    public var pull: Bool
    public var tags: [String]
    public var network: String?
    public var shmSize: Int?
    public var extraHosts: [String]

    init(_ node: ConfigNode) {
        context = node["context"]?.string ?? "."
        dockerfile = node["dockerfile"]?.string
        dockerfileInline = node["dockerfile_inline"]?.string
        args = node["args"]?.stringMap ?? [:]
        target = node["target"]?.string
        labels = node["labels"]?.stringMap ?? [:]
        noCache = node["no_cache"]?.bool ?? false
        pull = node["pull"]?.bool ?? false
        tags = node["tags"]?.stringList ?? []
        network = node["network"]?.string
        shmSize = node["shm_size"]?.int
        extraHosts = node["extra_hosts"]?.stringList ?? []
    }
}
