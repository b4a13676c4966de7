import CRuntime
import Glibc
import NetworkServices
import SystemSupport

/// The per-container monitor: parent of the container's process, keeper of its log and
/// exit status, executor of its restart policy and healthcheck, and server of its control
/// socket, and the proxy of its IPv6 published ports. Single-threaded: one poll loop over
/// the container's output, the socket's clients, a signalfd for SIGCHLD, the port proxy's
/// descriptor, and timers.
public final class Supervisor {
    let config: LaunchConfig
    var state: ContainerRunState
    let log: JSONLogWriter?
    var restart: RestartDecision
    var health: HealthTracker?

    var listener: Int32 = -1
    var signalFD: Int32 = -1
    /// Serves `config.proxiedPorts` for as long as the monitor runs, restarts included.
    var portProxy: PortProxy?
    var clients: [Int32: Client] = [:]
    /// Output sources: fd → (owner, stream name). Owner 0 is the container's main process.
    var outputs: [Int32: (owner: pid_t, stream: ControlFrame)] = [:]

    var mainPid: pid_t = 0
    /// The running container's mount namespace, held open so that its teardown (two RCU
    /// grace periods: the namespace's mounts, then the overlay) happens when this monitor
    /// lets go, after it told of the exit, instead of inside the exit it waits for.
    var mountNamespace: Int32 = -1
    var mainStdin: Int32 = -1
    var mainTerminal: Int32 = -1
    var startedMonotonic: Int64 = 0
    var oomCountAtStart = 0
    var killDeadline: Int64?
    var restartAt: Int64?
    var nextProbe: Int64?
    var probe: Probe?
    /// Exec'd processes: pid → the client that asked (its terminal, if any).
    var execs: [pid_t: ExecSession] = [:]
    var finished = false
    /// When to drop code pages touched by the last burst of work (see `cr_trim_executable_pages`).
    var trimAt: Int64?
    /// Bumped whenever a polled descriptor is closed: its number may be reused at once, so
    /// the rest of that poll's results can no longer be trusted.
    var descriptorGeneration = 0
    static let trimAfterQuiet: Int64 = 10_000_000_000
    static let trimAfterStart: Int64 = 200_000_000

    struct Probe {
        var pid: pid_t
        var output: Int32
        var collected: [UInt8] = []
        var start: Int64
        var deadline: Int64
    }

    struct ExecSession {
        var client: Int32
        var stdin: Int32
        var terminal: Int32
    }

    public init(config: LaunchConfig) {
        self.config = config
        state = ContainerRunState.read(directory: config.directory)
        log = config.logPath.map { JSONLogWriter(path: $0, maxSize: config.logMaxSize, maxFiles: config.logMaxFiles) }
        restart = RestartDecision(policy: config.restartPolicy, maxRetries: config.restartMaxRetries)
        health = config.healthcheck.map(HealthTracker.init(check:))
    }

    /// Runs until the container has stopped for good. `handshake` (if ≥ 0) receives one
    /// line: `started <pid>` or `failed <code> <message>`. `attached` (if ≥ 0) is a client
    /// attached before the container starts: it hears every byte and the exit, or the failure.
    public func run(handshake: Int32, attached: Int32) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        cr_become_subreaper()
        signalFD = cr_child_signal_fd()
        state.monitorPid = getpid()
        state.stoppedByUser = false
        if attached >= 0 {
            var client = Client()
            client.requested = true
            client.attached = true
            clients[attached] = client
        }
        do {
            listener = try ControlListener.listen(config.controlSocket)
        } catch {
            return failBeforeStart(handshake, "cannot listen on \(config.controlSocket): \(error)")
        }
        if !config.proxiedPorts.isEmpty {
            // Bound before the container starts: a taken port fails the start, as with Docker.
            do { portProxy = try PortProxy(bindings: config.proxiedPorts) } catch {
                close(listener)
                unlink(config.controlSocket)
                return failBeforeStart(handshake, error.message)
            }
        }
        switch startContainer() {
        case .started(let pid): report(handshake, "started \(pid)")
        case .failed(let code, let message): report(handshake, "failed \(code) \(message)")
        }
        // Not at once: a container that exits right away (`run --rm … true`) would wait for it.
        trimAt = Timestamp.monotonic() + Supervisor.trimAfterStart
        while !finished { pollOnce() }
        shutDown()
        return 0
    }

    /// A start that failed before the container's process was tried: recorded and told to
    /// the attached client and the handshake alike.
    private func failBeforeStart(_ handshake: Int32, _ message: String) -> Int32 {
        _ = recordStartFailure(code: 125, message: message)
        report(handshake, "failed 125 \(message)")
        return 125
    }

    private func report(_ fd: Int32, _ line: String) {
        guard fd >= 0 else { return }
        _ = ControlIO.writeAll(fd, Array((line + "\n").utf8))
        close(fd)
    }

    /// Lets the last run's mount namespace go (see `mountNamespace`), once the exit is told.
    func releaseMountNamespace() {
        if mountNamespace >= 0 { close(mountNamespace) }
        mountNamespace = -1
    }

    /// Closes a descriptor the poll loop watches (see `descriptorGeneration`).
    func release(_ fd: Int32) {
        close(fd)
        descriptorGeneration += 1
    }

    /// Records the state and pushes it to watchers. `toDisk: false` for a --rm container's
    /// last state, whose directory goes right after: one file fewer to create on the way out.
    func saveState(toDisk: Bool = true) {
        if toDisk { try? state.write(directory: config.directory) }
        let document = state.json.serialized
        for (fd, client) in clients where client.watching {
            if !ControlIO.send(fd, .state, document) { dropClient(fd) }
        }
    }

    /// Starts (or restarts) the container's main process.
    @discardableResult
    func startContainer() -> LaunchResult {
        restartAt = nil
        var streams = StandardStreams()
        var childEnds: [Int32] = []
        var console: Console?
        if config.process.tty {
            guard let pair = Console() else {
                return recordStartFailure(code: 125, message: "cannot allocate a terminal: \(String(cString: strerror(errno)))")
            }
            console = pair
            streams.console = pair.sender
        } else {
            var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
            cr_pipe(&out)
            cr_pipe(&err)
            outputs[out[0]] = (0, .stdout)
            outputs[err[0]] = (0, .stderr)
            streams.output = out[1]
            streams.error = err[1]
            childEnds = [out[1], err[1]]
            if config.process.openStdin {
                var input: [Int32] = [-1, -1]
                cr_pipe(&input)
                streams.input = input[0]
                mainStdin = input[1]
                childEnds.append(input[0])
            } else {
                streams.input = open("/dev/null", O_RDONLY | O_CLOEXEC)
                childEnds.append(streams.input)
            }
        }
        oomCountAtStart = readOOMCount()
        var result = ProcessLauncher.spawn(config, streams: streams)
        childEnds.forEach { close($0) }
        if let console {
            if case .started(let pid) = result {
                let master = console.master()
                if master >= 0 {
                    mainTerminal = master
                    mainStdin = config.process.openStdin ? master : -1
                    outputs[master] = (0, .stdout)
                } else {
                    kill(pid, SIGKILL)
                    result = .failed(code: 125, message: "the container's terminal did not arrive")
                }
            } else {
                console.discard()
            }
        }
        switch result {
        case .started(let pid):
            mainPid = pid
            mountNamespace = open("/proc/\(pid)/ns/mnt", O_RDONLY | O_CLOEXEC)
            startedMonotonic = Timestamp.monotonic()
            state.status = .running
            state.pid = pid
            state.startedAt = Timestamp.now()
            state.finishedAt = 0
            state.exitCode = 0
            state.oomKilled = false
            state.error = ""
            if var tracker = health {
                tracker.containerStarted(at: startedMonotonic)
                health = tracker
                state.health = tracker.status
                state.failingStreak = 0
                nextProbe = tracker.nextProbe(after: startedMonotonic)
            }
            saveState()
            for (fd, client) in clients where client.attached {
                ControlIO.send(fd, .started, String(pid))
            }
        case .failed(let code, let message):
            // Output pipes of a process that never ran: drop them.
            for (fd, source) in outputs where source.owner == 0 { release(fd); outputs[fd] = nil }
            if mainStdin >= 0, mainStdin != mainTerminal { close(mainStdin) }
            mainStdin = -1
            mainTerminal = -1
            return recordStartFailure(code: code, message: message)
        }
        return result
    }

    private func recordStartFailure(code: Int32, message: String) -> LaunchResult {
        state.status = .exited
        state.pid = 0
        state.exitCode = Int(code)
        state.error = message
        state.finishedAt = Timestamp.now()
        saveState()
        for (fd, client) in clients where client.attached || client.waiting {
            if client.attached { ControlIO.send(fd, .error, "\(code) \(message)") }
            ControlIO.send(fd, .exit, String(code))
            dropClient(fd)
        }
        finished = true
        return .failed(code: code, message: message)
    }

    func readOOMCount() -> Int {
        guard let path = config.oomCounter, let bytes = (try? AtomicFile.read(path)) ?? nil else { return 0 }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == "oom_kill" { return Int(fields[1]) ?? 0 }
        }
        return 0
    }
}
