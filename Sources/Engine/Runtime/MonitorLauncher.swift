import CFileSystem
import CRuntime
import Glibc
import Monitor
import SystemSupport

/// Starts a container's monitor (`swiftcompose-monitor`, found beside the running binary
/// or at `$SWIFTCOMPOSE_MONITOR`) and reads its one-line handshake.
enum MonitorLauncher {
    static func executable() -> String {
        if let override = getenv("SWIFTCOMPOSE_MONITOR"), override.pointee != 0 { return String(cString: override) }
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let own = count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let directory = own.lastIndex(of: "/").map { String(own[..<$0]) } ?? "."
        return directory + "/swiftcompose-monitor"
    }

    enum Handshake: Equatable {
        case started(pid: Int32)
        case failed(code: Int32, message: String)
    }

    /// Spawns the monitor for the launch config at `configPath`. `attach`: one end of a
    /// connected socket the monitor serves as an attached client from before the start.
    static func launch(configPath: String, attach: Int32? = nil) throws(EngineError) -> Handshake {
        let program = executable()
        guard access(program, X_OK) == 0 else {
            throw EngineError(.notFound, "the container monitor \(program) is missing; reinstall swiftcompose or point "
                + "SWIFTCOMPOSE_MONITOR at swiftcompose-monitor")
        }
        var pipe: [Int32] = [-1, -1]
        guard cr_pipe(&pipe) == 0 else { throw EngineError(.system, "cannot start the monitor", cause: SystemCallError("pipe")) }
        // Keep both ends, and the attached socket, clear of 0–4: the child's fd 3 must be the
        // write end and its fd 4 the socket, whatever was free here.
        for index in 0..<2 {
            let moved = fcntl(pipe[index], F_DUPFD_CLOEXEC, 10)
            close(pipe[index])
            pipe[index] = moved
        }
        let attached = attach.map { fcntl($0, F_DUPFD_CLOEXEC, 10) }
        defer { if let attached { close(attached) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 3)
        if let attached { posix_spawn_file_actions_adddup2(&actions, attached, 4) }
        // Nothing else of the caller's goes with the monitor: a descriptor it inherited (the
        // read end of `swiftcompose up -d | cat`, a test runner's pipe) would stay open for
        // the container's lifetime and hang whoever waits for its end.
        posix_spawn_file_actions_addclosefrom_np(&actions, attached == nil ? 4 : 5)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal handling and mask, whatever the caller (a test runner, the CLI) set.
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) | 0x80 /* SETSID */)
        var arguments = [program, "--config", configPath, "--handshake-fd", "3"]
        if attached != nil { arguments += ["--attach-fd", "4"] }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
        close(pipe[1])
        defer { close(pipe[0]) }
        guard spawned == 0 else {
            throw EngineError(.system, "cannot start the container monitor", cause: SystemCallError("posix_spawn", program, errno: spawned))
        }
        // The monitor forks itself away at once; reap the first process.
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // One line, then the monitor closes its end.
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while !line.contains(10) {
            let count = chunk.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            line += chunk[0..<count]
        }
        let text = String(decoding: line.prefix { $0 != 10 }, as: UTF8.self)
        if text.hasPrefix("started "), let pid = Int32(text.dropFirst(8)) { return .started(pid: pid) }
        if text.hasPrefix("failed ") {
            let rest = text.dropFirst(7)
            let space = rest.firstIndex(of: " ") ?? rest.endIndex
            return .failed(code: Int32(rest[..<space]) ?? 125, message: String(rest[space...].dropFirst()))
        }
        throw EngineError(.system, "the container monitor exited without starting the container (status \(status))")
    }
}
