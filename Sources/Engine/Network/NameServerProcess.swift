import CFileSystem
import Glibc
import SystemSupport

/// Starts and stops a network's DNS server (`swiftcompose-netd`), a process of its own
/// so it outlives the CLI. Its pid file and log live in `<run>/networks/<id>/`.
enum NameServerProcess {
    /// The netd binary: `$SWIFTCOMPOSE_NETD`, else the one beside the running executable.
    static func executable() -> String { companionExecutable("swiftcompose-netd", override: "SWIFTCOMPOSE_NETD") }

    static func start(for record: NetworkRecord, state: StateRoot) throws(EngineError) {
        let directory = state.runPath("networks", record.id)
        let pidFile = directory + "/netd.pid"
        let program = executable()
        guard access(program, X_OK) == 0 else {
            throw EngineError(.notFound, "the network DNS server \(program) is missing; reinstall swiftcompose "
                + "or point SWIFTCOMPOSE_NETD at swiftcompose-netd")
        }
        unlink(pidFile)
        let arguments = [program, "--network", record.name, "--address", record.gateway,
                         "--table", directory + "/endpoints", "--pid-file", pidFile]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/netd.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)  // none of the caller's descriptors
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A session of its own, so no signal aimed at the CLI's terminal reaches it; and a clean
        // signal state, as the spawning thread may block signals (Dispatch and Swift
        // concurrency threads do) and the mask would be inherited, SIGTERM included.
        var empty = sigset_t()
        var all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | 0x80)  // 0x80: POSIX_SPAWN_SETSID
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw EngineError(.system, "cannot start the DNS server of network \(record.name)",
                              cause: SystemCallError("posix_spawn", program, errno: spawned))
        }
        // Ready once it has bound its sockets and written its pid file.
        for _ in 0..<500 {
            if access(pidFile, F_OK) == 0 { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { break }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, nil, 0)
        let log = (try? AtomicFile.read(directory + "/netd.log")).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        throw EngineError(.system, "the DNS server of network \(record.name) did not start: \(log)")
    }

    static func isRunning(for record: NetworkRecord, state: StateRoot) -> Bool {
        runningPid(for: record, state: state) != nil
    }

    private static func runningPid(for record: NetworkRecord, state: StateRoot) -> pid_t? {
        let path = state.runPath("networks", record.id, "netd.pid")
        guard let bytes = (try? AtomicFile.read(path)).flatMap({ $0 }),
              let pid = pid_t(String(decoding: bytes, as: UTF8.self).split(separator: "\n").first ?? ""),
              isNameServer(pid) else { return nil }
        return pid
    }

    /// Stops the server if it runs; waits until it is gone.
    static func stop(for record: NetworkRecord, state: StateRoot) {
        let directory = state.runPath("networks", record.id)
        defer {
            unlink(directory + "/netd.pid")
            unlink(directory + "/netd.log")
        }
        guard let pid = runningPid(for: record, state: state) else { return }
        kill(pid, SIGTERM)
        for _ in 0..<200 {
            // Reaps it when it is our child (tests, a long-lived engine); otherwise init does.
            _ = waitpid(pid, nil, WNOHANG)
            if kill(pid, 0) != 0 { return }
            if isZombie(pid) {
                _ = waitpid(pid, nil, WNOHANG)    // it may have died since the reap above
                return
            }
            usleep(5_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, nil, 0)
    }

    /// A server that exited but whose parent (not us: it outlived the CLI that started
    /// it) has not reaped it yet is gone for our purposes.
    private static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? AtomicFile.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")),
              close + 2 < stat.count else { return false }
        return stat[close + 2] == UInt8(ascii: "Z")
    }

    /// Guards against a recycled pid: only a netd process is signalled.
    private static func isNameServer(_ pid: pid_t) -> Bool {
        guard let bytes = (try? AtomicFile.read("/proc/\(pid)/cmdline")).flatMap({ $0 }) else { return false }
        let program = bytes.split(separator: 0).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return program.hasSuffix("swiftcompose-netd")
    }
}
