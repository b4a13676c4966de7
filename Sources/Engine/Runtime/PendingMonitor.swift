import CFileSystem
import Glibc
import Monitor
import SystemSupport

/// A container's monitor (`swiftcompose-monitor`, found beside the running binary or at
/// `$SWIFTCOMPOSE_MONITOR`), started before it has anything to run. It loads — the exec,
/// the runtime's start, its fork away from this process — on another core while the caller
/// creates and prepares the container (`container run` starts one first thing), and then
/// waits for its launch config. `launch` hands it over and reads the one-line handshake.
/// A monitor never launched (the caller failed on the way) ends when this object goes.
public final class PendingMonitor: @unchecked Sendable {
    enum Handshake: Equatable {
        case started(pid: Int32)
        case failed(code: Int32, message: String)
    }

    /// Config in, handshake out (the monitor's --launch-fd).
    private let launchSocket: Int32
    /// The first process, which forks the monitor away and exits.
    private let pid: pid_t
    /// This side of the attach connection (the monitor's --attach-fd), until taken.
    private var attachEnd: Int32?
    private var launched = false
    private var reaped = false

    static func executable() -> String { companionExecutable("swiftcompose-monitor", override: "SWIFTCOMPOSE_MONITOR") }

    /// Starts a monitor; `attached`: with a connection that hears the container from its first byte.
    public init(attached: Bool) throws(EngineError) {
        let program = PendingMonitor.executable()
        guard access(program, X_OK) == 0 else {
            throw EngineError(.notFound, "the container monitor \(program) is missing; reinstall swiftcompose or point "
                + "SWIFTCOMPOSE_MONITOR at swiftcompose-monitor")
        }
        var launchPair: [Int32] = [-1, -1], attachPair: [Int32] = [-1, -1]
        guard PendingMonitor.connectedPair(&launchPair) else {
            throw EngineError(.system, "cannot start the monitor", cause: SystemCallError("socketpair"))
        }
        if attached, !PendingMonitor.connectedPair(&attachPair) {
            let error = SystemCallError("socketpair")
            launchPair.forEach { close($0) }
            throw EngineError(.system, "cannot start the monitor", cause: error)
        }
        // The monitor's ends go to its fds 3 and 4: keep them clear of 0–4 here first, so
        // no dup2 of the spawn overwrites another's source.
        let launchChild = fcntl(launchPair[1], F_DUPFD_CLOEXEC, 10)
        let attachChild = attached ? fcntl(attachPair[1], F_DUPFD_CLOEXEC, 10) : -1
        close(launchPair[1])
        if attached { close(attachPair[1]) }
        defer {
            close(launchChild)
            if attachChild >= 0 { close(attachChild) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, launchChild, 3)
        if attached { posix_spawn_file_actions_adddup2(&actions, attachChild, 4) }
        // Nothing else of the caller's goes with the monitor: a descriptor it inherited (the
        // read end of `swiftcompose up -d | cat`, a test runner's pipe) would stay open for
        // the container's lifetime and hang whoever waits for its end.
        posix_spawn_file_actions_addclosefrom_np(&actions, attached ? 5 : 4)
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
        let arguments = [program, "--launch-fd", "3"] + (attached ? ["--attach-fd", "4"] : [])
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            close(launchPair[0])
            if attached { close(attachPair[0]) }
            throw EngineError(.system, "cannot start the container monitor", cause: SystemCallError("posix_spawn", program, errno: spawned))
        }
        self.pid = pid
        launchSocket = launchPair[0]
        attachEnd = attached ? attachPair[0] : nil
    }

    deinit {
        // Not launched: the end of the stream tells the monitor there is nothing to run.
        close(launchSocket)
        if let attachEnd { close(attachEnd) }
        reapFirstProcess()
    }

    /// This side of the attach connection, for the caller to own from now on.
    func takeAttachEnd() -> Int32? {
        defer { attachEnd = nil }
        return attachEnd
    }

    /// Hands the monitor its config; returns once the container runs or could not start.
    func launch(_ config: [UInt8]) throws(EngineError) -> Handshake {
        guard !launched else { throw EngineError(.conflict, "this monitor was launched already") }
        launched = true
        guard ControlIO.writeAll(launchSocket, config), shutdown(launchSocket, Int32(SHUT_WR)) == 0 else {
            throw EngineError(.system, "the container monitor exited before it got its configuration")
        }
        let status = reapFirstProcess()
        // One line, then the monitor closes its end.
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while !line.contains(10) {
            let count = chunk.withUnsafeMutableBytes { read(launchSocket, $0.baseAddress, $0.count) }
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

    /// The first process forks the monitor away at once and exits.
    @discardableResult
    private func reapFirstProcess() -> Int32 {
        var status: Int32 = 0
        if reaped { return status }
        reaped = true
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    private static func connectedPair(_ ends: inout [Int32]) -> Bool {
        socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0
    }
}
