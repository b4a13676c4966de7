import CRuntime
import Glibc
import SystemSupport

/// Turns a `LaunchConfig` into the C runtime's structures and calls it. C strings and
/// arrays live in an arena freed after the call (the child has its own copy by then).
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit { allocations.forEach { free($0) } }

    func string(_ value: String) -> UnsafePointer<CChar> {
        let pointer = strdup(value)!
        allocations.append(UnsafeMutableRawPointer(pointer))
        return UnsafePointer(pointer)
    }

    func optional(_ value: String?) -> UnsafePointer<CChar>? { value.map(string) }

    func array<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(1, values.count))
        if !values.isEmpty { pointer.initialize(from: values, count: values.count) }
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// A NULL-terminated `char *[]`.
    func argv(_ values: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        array(values.map { UnsafeMutablePointer(mutating: string($0)) } + [nil])
    }

    func strings(_ values: [String]) -> UnsafeMutablePointer<UnsafePointer<CChar>?> {
        array(values.map { Optional(string($0)) })
    }

    func bytes(_ values: [UInt8]) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(array(values))
    }
}

/// The result of starting a process: its pid, or Docker's exit code and one line.
enum LaunchResult {
    case started(pid_t)
    case failed(code: Int32, message: String)
}

struct StandardStreams {
    var input: Int32 = -1
    var output: Int32 = -1
    var error: Int32 = -1
    /// With a tty: the socket the child sends its terminal's master over (see `Console`).
    var console: Int32 = -1
}

/// A terminal made inside the container (its own /dev/pts, so `tty` names it there):
/// the child opens it and hands the master back over a socketpair.
struct Console {
    let receiver: Int32
    let sender: Int32

    init?() {
        var pair: [Int32] = [-1, -1]
        guard cr_console_pair(&pair) == 0 else { return nil }
        receiver = pair[0]
        sender = pair[1]
    }

    /// The master, once the child has sent it; closes both ends.
    func master() -> Int32 {
        close(sender)
        defer { close(receiver) }
        return cr_receive_fd(receiver)
    }

    func discard() {
        close(sender)
        close(receiver)
    }
}

enum ProcessLauncher {
    static let namespaceFlags: [String: Int32] = [
        "mount": Int32(CR_NEWNS), "uts": Int32(CR_NEWUTS), "ipc": Int32(CR_NEWIPC), "pid": Int32(CR_NEWPID),
        "net": Int32(CR_NEWNET), "cgroup": Int32(CR_NEWCGROUP),
    ]

    static func makeProcess(_ process: LaunchConfig.Process, streams: StandardStreams, arena: CArena) -> cr_process? {
        var filter: UnsafeMutableRawPointer?
        var filterLength = 0
        if let path = process.seccompProgram {
            guard let program = (try? AtomicFile.read(path)) ?? nil, program.count % 8 == 0 else { return nil }
            filter = arena.bytes(program)
            filterLength = program.count / 8
        }
        var result = cr_process()
        result.argv = UnsafePointer(arena.argv(process.arguments))
        result.envp = UnsafePointer(arena.argv(process.environment))
        result.cwd = arena.string(process.workingDirectory)
        result.uid = process.uid
        result.gid = process.gid
        result.groups = UnsafePointer(arena.array(process.groups))
        result.group_count = Int32(process.groups.count)
        result.capabilities = process.capabilities
        result.no_new_privileges = process.noNewPrivileges ? 1 : 0
        result.seccomp_filter = UnsafeRawPointer(filter)
        result.seccomp_filter_len = filterLength
        result.stdin_fd = streams.input
        result.stdout_fd = streams.output
        result.stderr_fd = streams.error
        result.tty = process.tty ? 1 : 0
        result.console_socket = streams.console
        result.`init` = process.initProcess ? 1 : 0
        return result
    }

    /// Opens the files the child writes itself into to join its cgroup (CgroupManager.joinFiles).
    static func openCgroups(_ paths: [String]) -> [Int32] {
        paths.map { open($0, O_WRONLY | O_CLOEXEC) }.filter { $0 >= 0 }
    }

    static func spawn(_ config: LaunchConfig, streams: StandardStreams) -> LaunchResult {
        let arena = CArena()
        guard let process = makeProcess(config.process, streams: streams, arena: arena) else {
            return .failed(code: 125, message: "cannot read the seccomp program \(config.process.seccompProgram ?? "")")
        }
        let cgroupFds = openCgroups(config.cgroupProcs)
        defer { cgroupFds.forEach { close($0) } }
        var container = cr_container()
        container.rootfs = arena.string(config.rootfs)
        container.rootfs_fstype = arena.optional(config.rootfsType)
        container.rootfs_data = arena.optional(config.rootfsData)
        container.namespaces = config.namespaces.reduce(0) { $0 | (namespaceFlags[$1] ?? 0) }
        container.join_namespaces = UnsafePointer(arena.strings(config.joinNamespaces))
        container.join_namespace_count = Int32(config.joinNamespaces.count)
        container.join_pid_namespace = arena.optional(config.joinPidNamespace)
        container.cgroup_procs_fds = UnsafePointer(arena.array(cgroupFds))
        container.cgroup_procs_fd_count = Int32(cgroupFds.count)
        container.hostname = arena.optional(config.hostname)
        container.domainname = arena.optional(config.domainname)
        container.mounts = UnsafePointer(arena.array(config.mounts.map { mount in
            cr_mount(source: arena.string(mount.source), target: arena.string(mount.target),
                     fstype: arena.optional(mount.type), data: arena.optional(mount.data),
                     flags: mount.flags, target_is_file: mount.targetIsFile ? 1 : 0,
                     content: arena.optional(mount.content), content_length: mount.content?.utf8.count ?? 0)
        }))
        container.mount_count = Int32(config.mounts.count)
        container.devices = UnsafePointer(arena.array(config.devices.map { device in
            cr_device(path: arena.string(device.path), mode: device.mode, major: device.major, minor: device.minor,
                      uid: device.uid, gid: device.gid)
        }))
        container.device_count = Int32(config.devices.count)
        container.symlinks = UnsafePointer(arena.strings(config.symlinks.flatMap { $0 }))
        container.symlink_count = Int32(config.symlinks.count)
        container.masked_paths = UnsafePointer(arena.strings(config.maskedPaths))
        container.masked_path_count = Int32(config.maskedPaths.count)
        container.readonly_paths = UnsafePointer(arena.strings(config.readonlyPaths))
        container.readonly_path_count = Int32(config.readonlyPaths.count)
        container.readonly_rootfs = config.readonlyRootfs ? 1 : 0
        let sysctlKeys = config.sysctls.keys.sorted()
        container.sysctls = UnsafePointer(arena.strings(sysctlKeys.flatMap { [$0, config.sysctls[$0]!] }))
        container.sysctl_count = Int32(sysctlKeys.count)
        container.rlimits = UnsafePointer(arena.array(config.rlimits.map {
            cr_rlimit(resource: $0.resource, soft: $0.soft, hard: $0.hard)
        }))
        container.rlimit_count = Int32(config.rlimits.count)
        container.oom_score_adj = Int32(config.oomScoreAdj ?? 0)
        container.set_oom_score_adj = config.oomScoreAdj == nil ? 0 : 1
        var processCopy = process
        var pid: pid_t = 0
        var message = [CChar](repeating: 0, count: 1100)
        let code = cr_spawn(&container, &processCopy, &pid, &message, message.count)
        if code != 0 { return .failed(code: code, message: String(cString: message)) }
        return .started(pid)
    }

    static func exec(into target: pid_t, cgroupProcs: [String], process: LaunchConfig.Process,
                     streams: StandardStreams) -> LaunchResult {
        let arena = CArena()
        guard var cProcess = makeProcess(process, streams: streams, arena: arena) else {
            return .failed(code: 125, message: "cannot read the seccomp program \(process.seccompProgram ?? "")")
        }
        let cgroupFds = openCgroups(cgroupProcs)
        defer { cgroupFds.forEach { close($0) } }
        var pid: pid_t = 0
        var message = [CChar](repeating: 0, count: 1100)
        let code = cr_exec(target, cgroupFds, Int32(cgroupFds.count), &cProcess, &pid, &message, message.count)
        if code != 0 { return .failed(code: code, message: String(cString: message)) }
        return .started(pid)
    }
}
