import Glibc
import SystemSupport

/// One cgroup per container (`swiftcompose/<id>` in each hierarchy): created with its
/// limits before start, frozen for pause, read for stats, removed with the container.
public struct CgroupManager: Sendable {
    public let hierarchy: CgroupHierarchy
    public let id: String
    static let parent = "swiftcompose"

    public init(hierarchy: CgroupHierarchy, id: String) {
        self.hierarchy = hierarchy
        self.id = id
    }

    /// Every directory of this container's cgroup (one per v1 mount, or one on v2).
    public var directories: [String] {
        switch hierarchy.version {
        case .v2: return ["\(hierarchy.root)/\(CgroupManager.parent)/\(id)"]
        case .v1: return hierarchy.v1Mounts.map { "\($0.path)/\(CgroupManager.parent)/\(id)" }
        }
    }

    func directory(for controller: String) -> String? {
        switch hierarchy.version {
        case .v2: return directories.first
        case .v1: return hierarchy.mount(for: controller).map { "\($0.path)/\(CgroupManager.parent)/\(id)" }
        }
    }

    /// The files a freshly cloned, single-threaded container process writes "0" into to join
    /// its cgroup. On v1 that is `tasks`: moving only the calling thread spares the kernel's
    /// global threadgroup lock, whose first writer after a quiet spell waits a whole RCU grace
    /// period (5–20 ms measured here, the largest single cost of a start), while `cgroup.procs`
    /// always takes it. v2 has no such file outside threaded subtrees.
    public var joinFiles: [String] {
        directories.map { $0 + (hierarchy.version == .v1 ? "/tasks" : "/cgroup.procs") }
    }

    /// Where the kernel counts OOM kills of this cgroup (line `oom_kill N`).
    public var oomCounter: String? {
        switch hierarchy.version {
        case .v2: return directories.first.map { $0 + "/memory.events" }
        case .v1: return directory(for: "memory").map { $0 + "/memory.oom_control" }
        }
    }

    private func write(_ value: String, _ file: String, controller: String) throws(EngineError) {
        try write([value], file, controller: controller)
    }

    /// Writes each value with a write of its own to one open file: the kernel takes a rule
    /// per write (devices.allow), and one open saves a path walk per value.
    private func write(_ values: [String], _ file: String, controller: String) throws(EngineError) {
        guard let directory = directory(for: controller) else { return }
        let path = directory + "/" + file
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EngineError(.system, "cannot set \(file)", cause: SystemCallError("open", path)) }
        defer { close(fd) }
        for value in values {
            let written = Array(value.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                throw EngineError(.invalidArgument, "the kernel refused \(file) = \(value)", cause: SystemCallError("write", path))
            }
        }
    }

    func read(_ file: String, controller: String) -> String? {
        guard let directory = directory(for: controller),
              let bytes = (try? AtomicFile.read(directory + "/" + file)) ?? nil else { return nil }
        return String(decoding: bytes, as: UTF8.self).trimmed(of: " \n")
    }

    /// Creates the cgroup and applies the limits.
    public func create(_ resources: ContainerSpec.Resources, devices: [LaunchDevice]) throws(EngineError) {
        switch hierarchy.version {
        case .v2: try createV2()
        case .v1: try createV1()
        }
        try applyLimits(resources)
        if hierarchy.version == .v1 { try applyDeviceRules(devices) }
    }

    private func createV2() throws(EngineError) {
        let parent = "\(hierarchy.root)/\(CgroupManager.parent)"
        do { try makeDirectories(parent) } catch { throw EngineError(.system, "cannot create cgroup \(parent)", cause: error) }
        let available = ((try? AtomicFile.read(hierarchy.root + "/cgroup.controllers")) ?? nil)
            .map { String(decoding: $0, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }) } ?? []
        let enable = available.filter { ["cpu", "cpuset", "memory", "pids", "io"].contains(String($0)) }
            .map { "+" + $0 }.joined(separator: " ")
        for directory in [hierarchy.root, parent] {
            writeIgnoringErrors(enable, to: directory + "/cgroup.subtree_control")
        }
        for directory in directories where mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw EngineError(.system, "cannot create the container's cgroup", cause: SystemCallError("mkdir", directory))
        }
    }

    private func createV1() throws(EngineError) {
        // The container's directory first: its parent is missing only on the first start since boot.
        for mount in hierarchy.v1Mounts {
            let directory = "\(mount.path)/\(CgroupManager.parent)/\(id)"
            if mkdir(directory, 0o755) == 0 || errno == EEXIST { continue }
            if errno == ENOENT {
                makeV1Parent(mount)
                if mkdir(directory, 0o755) == 0 || errno == EEXIST { continue }
            }
            throw EngineError(.system, "cannot create the container's cgroup", cause: SystemCallError("mkdir", directory))
        }
        if let cpuset = hierarchy.mount(for: "cpuset") { inheritCpuset(cpuset) }
    }

    /// `swiftcompose` in a v1 hierarchy. A new cpuset cgroup starts with no CPUs and no memory
    /// nodes: the parent copies the root's and sets `cgroup.clone_children`, so the kernel
    /// gives each container's cgroup the parent's at mkdir.
    private func makeV1Parent(_ mount: CgroupHierarchy.V1Mount) {
        let parent = "\(mount.path)/\(CgroupManager.parent)"
        guard mkdir(parent, 0o755) == 0, mount.controllers.contains("cpuset") else { return }
        copyCpuset(from: mount.path, to: parent)
        writeIgnoringErrors("1", to: parent + "/cgroup.clone_children")
    }

    /// A parent made before `cgroup.clone_children` was set (by an older version) leaves the
    /// container's cpuset empty, and joining it would fail: it is filled in from the parent.
    private func inheritCpuset(_ mount: CgroupHierarchy.V1Mount) {
        guard read("cpuset.cpus", controller: "cpuset")?.isEmpty == true else { return }
        copyCpuset(from: "\(mount.path)/\(CgroupManager.parent)", to: "\(mount.path)/\(CgroupManager.parent)/\(id)")
    }

    private func writeIgnoringErrors(_ value: String, to path: String) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd >= 0 { _ = Array(value.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }; close(fd) }
    }

    /// A new v1 cpuset cgroup starts empty; it inherits its parent's CPUs and memory nodes.
    private func copyCpuset(from source: String, to destination: String) {
        for file in ["cpuset.cpus", "cpuset.mems"] {
            guard let value = (try? AtomicFile.read(source + "/" + file)) ?? nil, value.count > 1 else { continue }
            writeIgnoringErrors(String(decoding: value, as: UTF8.self), to: destination + "/" + file)
        }
    }

    public func applyLimits(_ r: ContainerSpec.Resources) throws(EngineError) {
        switch hierarchy.version {
        case .v1:
            if let memory = r.memory {
                try write(String(memory), "memory.limit_in_bytes", controller: "memory")
                // Without --memory-swap Docker allows as much swap as memory.
                let swap = r.memorySwap ?? memory * 2
                if directory(for: "memory").map({ access($0 + "/memory.memsw.limit_in_bytes", F_OK) == 0 }) ?? false {
                    try write(swap < 0 ? "-1" : String(swap), "memory.memsw.limit_in_bytes", controller: "memory")
                }
            }
            if let reservation = r.memoryReservation { try write(String(reservation), "memory.soft_limit_in_bytes", controller: "memory") }
            if let cpus = r.nanoCPUs {
                try write("100000", "cpu.cfs_period_us", controller: "cpu")
                try write(String(cpus / 10_000), "cpu.cfs_quota_us", controller: "cpu")
            }
            if let shares = r.cpuShares { try write(String(shares), "cpu.shares", controller: "cpu") }
            if let cpus = r.cpusetCPUs { try write(cpus, "cpuset.cpus", controller: "cpuset") }
            if let mems = r.cpusetMems { try write(mems, "cpuset.mems", controller: "cpuset") }
            if let pids = r.pidsLimit { try write(pids <= 0 ? "max" : String(pids), "pids.max", controller: "pids") }
        case .v2:
            if let memory = r.memory {
                try write(String(memory), "memory.max", controller: "memory")
                if let swap = r.memorySwap { try write(swap < 0 ? "max" : String(max(0, swap - memory)), "memory.swap.max", controller: "memory") }
            }
            if let reservation = r.memoryReservation { try write(String(reservation), "memory.low", controller: "memory") }
            if let cpus = r.nanoCPUs { try write("\(cpus / 10_000) 100000", "cpu.max", controller: "cpu") }
            if let shares = r.cpuShares { try write(String(1 + ((max(2, shares) - 2) * 9999) / 262142), "cpu.weight", controller: "cpu") }
            if let cpus = r.cpusetCPUs { try write(cpus, "cpuset.cpus", controller: "cpuset") }
            if let mems = r.cpusetMems { try write(mems, "cpuset.mems", controller: "cpuset") }
            if let pids = r.pidsLimit { try write(pids <= 0 ? "max" : String(pids), "pids.max", controller: "pids") }
        }
    }

    /// v1 devices controller: deny all, then allow what Docker allows plus the container's devices.
    private func applyDeviceRules(_ devices: [LaunchDevice]) throws(EngineError) {
        guard directory(for: "devices") != nil else { return }
        try write("a", "devices.deny", controller: "devices")
        var rules = ["c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                     "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"]
        for device in devices {
            let kind = device.mode & UInt32(S_IFMT) == UInt32(S_IFBLK) ? "b" : "c"
            rules.append("\(kind) \(device.major):\(device.minor) rwm")
        }
        try write(rules, "devices.allow", controller: "devices")
    }

    /// Pause/unpause through the freezer; returns once the kernel reports it done.
    public func freeze(_ frozen: Bool) throws(EngineError) {
        switch hierarchy.version {
        case .v1: try write(frozen ? "FROZEN" : "THAWED", "freezer.state", controller: "freezer")
        case .v2: try write(frozen ? "1" : "0", "cgroup.freeze", controller: "memory")
        }
        for _ in 0..<500 {
            let state = hierarchy.version == .v1 ? read("freezer.state", controller: "freezer")
                : (read("cgroup.events", controller: "memory") ?? "").split(separator: "\n").first { $0.hasPrefix("frozen ") }.map(String.init)
            if state == (frozen ? "FROZEN" : "THAWED") || state == (frozen ? "frozen 1" : "frozen 0") { return }
            usleep(2_000)
        }
        throw EngineError(.timeout, "the freezer did not \(frozen ? "freeze" : "thaw") the container's processes within a second")
    }

    /// Frozen or on the way there (v1 reports FREEZING meanwhile).
    public var isFrozen: Bool {
        switch hierarchy.version {
        case .v1: return ["FROZEN", "FREEZING"].contains(read("freezer.state", controller: "freezer") ?? "")
        case .v2: return read("cgroup.freeze", controller: "memory") == "1"
        }
    }

    /// Pids of every process in the container.
    public func processes() -> [Int32] {
        let controller = hierarchy.version == .v1 ? "pids" : "memory"
        return (read("cgroup.procs", controller: controller) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// Kills what is left and removes every directory (retrying while processes exit).
    public func remove() {
        for pid in processes() { kill(pid, SIGKILL) }
        if isFrozen { try? freeze(false) }
        for directory in directories {
            for _ in 0..<100 {
                if rmdir(directory) == 0 || errno == ENOENT { break }
                usleep(10_000)
            }
        }
    }
}

extension CgroupManager {
    public func stats() -> ContainerStats {
        switch hierarchy.version {
        case .v1:
            let limit = read("memory.limit_in_bytes", controller: "memory").flatMap { Int64($0) }
            return ContainerStats(
                memoryUsage: read("memory.usage_in_bytes", controller: "memory").flatMap { Int64($0) } ?? 0,
                memoryLimit: limit.flatMap { $0 >= 0x7FFF_FFFF_FFFF_F000 ? nil : $0 },
                cpuNanoseconds: read("cpuacct.usage", controller: "cpuacct").flatMap { Int64($0) } ?? 0,
                pids: read("pids.current", controller: "pids").flatMap { Int($0) } ?? processes().count)
        case .v2:
            let usage = (read("cpu.stat", controller: "cpu") ?? "").split(separator: "\n")
                .first { $0.hasPrefix("usage_usec ") }.flatMap { Int64($0.dropFirst(11)) } ?? 0
            return ContainerStats(
                memoryUsage: read("memory.current", controller: "memory").flatMap { Int64($0) } ?? 0,
                memoryLimit: read("memory.max", controller: "memory").flatMap { Int64($0) },
                cpuNanoseconds: usage * 1000,
                pids: read("pids.current", controller: "pids").flatMap { Int($0) } ?? processes().count)
        }
    }
}
