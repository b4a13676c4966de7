import CRuntime
import Glibc
import SystemSupport

extension Supervisor {
    /// `execute <request json>`: a process in the running container (see `ExecRequest`),
    /// streamed to this client.
    func startExec(_ fd: Int32, _ argument: String) {
        guard mainPid > 0 else {
            ControlIO.send(fd, .error, "125 container \(config.id) is not running")
            dropClient(fd)
            return
        }
        guard let json = try? JSONValue.parse(argument) else {
            ControlIO.send(fd, .error, "125 the exec request is not valid JSON")
            dropClient(fd)
            return
        }
        let process = ExecRequest(json: json).process(over: config.process)
        var streams = StandardStreams()
        var childEnds: [Int32] = []
        var session = ExecSession(client: fd, stdin: -1, terminal: -1)
        var sources: [(Int32, ControlFrame)] = []
        var console: Console?
        if process.tty {
            guard let pair = Console() else {
                ControlIO.send(fd, .error, "125 cannot allocate a terminal")
                dropClient(fd)
                return
            }
            console = pair
            streams.console = pair.sender
        } else {
            var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1], input: [Int32] = [-1, -1]
            cr_pipe(&out)
            cr_pipe(&err)
            if process.openStdin {
                cr_pipe(&input)
                session.stdin = input[1]
            } else {
                input[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)
            }
            streams = StandardStreams(input: input[0], output: out[1], error: err[1])
            childEnds = [input[0], out[1], err[1]]
            sources = [(out[0], .stdout), (err[0], .stderr)]
        }
        var result = ProcessLauncher.exec(into: mainPid, cgroupProcs: config.cgroupProcs, process: process, streams: streams)
        childEnds.forEach { close($0) }
        if let console {
            if case .started(let pid) = result {
                let master = console.master()
                if master >= 0 {
                    session.terminal = master
                    session.stdin = master
                    sources = [(master, .stdout)]
                } else {
                    kill(pid, SIGKILL)
                    result = .failed(code: 125, message: "the process's terminal did not arrive")
                }
            } else {
                console.discard()
            }
        }
        switch result {
        case .started(let pid):
            for (source, stream) in sources { outputs[source] = (pid, stream) }
            execs[pid] = session
            clients[fd]?.execPid = pid
            ControlIO.send(fd, .started, String(pid))
        case .failed(let code, let message):
            sources.forEach { close($0.0) }
            if session.stdin >= 0, session.stdin != session.terminal { close(session.stdin) }
            ControlIO.send(fd, .error, "\(code) \(message)")
            dropClient(fd)
        }
    }

    func execExited(pid: pid_t, session: ExecSession, code: Int32) {
        drainOutputs(of: pid)  // while the session is known: the output goes to its client
        execs[pid] = nil
        for (fd, source) in outputs where source.owner == pid { release(fd); outputs[fd] = nil }
        if session.stdin >= 0, session.stdin != session.terminal { close(session.stdin) }
        if clients[session.client] != nil {
            ControlIO.send(session.client, .exit, String(code))
            dropClient(session.client)
        }
    }

    /// Runs the healthcheck's test inside the container, output collected up to 4 KiB.
    func startProbe() {
        guard let tracker = health else { return }
        var process = config.process
        process.arguments = tracker.check.test
        process.tty = false
        process.openStdin = false
        process.initProcess = false
        var output: [Int32] = [-1, -1]
        cr_pipe(&output)
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let start = Timestamp.monotonic()
        let result = ProcessLauncher.exec(into: mainPid, cgroupProcs: config.cgroupProcs, process: process,
                                          streams: StandardStreams(input: input, output: output[1], error: output[1]))
        close(input)
        close(output[1])
        switch result {
        case .started(let pid):
            probe = Probe(pid: pid, output: output[0], start: Timestamp.now(), deadline: start + tracker.check.timeout)
        case .failed(let code, let message):
            close(output[0])
            recordProbe(ContainerRunState.HealthResult(start: Timestamp.now(), end: Timestamp.now(),
                                                       exitCode: Int(code), output: message))
        }
    }

    func readProbeOutput() {
        guard let running = probe else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(running.output, $0.baseAddress, $0.count) }
        if count > 0, running.deadline != Int64.max {
            probe?.collected += buffer[0..<min(count, max(0, 4096 - running.collected.count))]
        } else if count == 0 || (count < 0 && errno != EINTR) {
            // End of output: keep the probe until it is reaped, but stop polling its pipe.
            release(running.output)
            probe?.output = -1
        }
    }

    func probeExited(code: Int32) {
        guard let running = probe else { return }
        if running.output >= 0 {
            while probe?.output ?? -1 >= 0 {
                var entry = pollfd(fd: running.output, events: Int16(POLLIN), revents: 0)
                if poll(&entry, 1, 0) <= 0 { release(running.output); break }
                readProbeOutput()
            }
        }
        let timedOut = running.deadline == Int64.max
        let result = ContainerRunState.HealthResult(start: running.start, end: Timestamp.now(),
                                                    exitCode: timedOut ? -1 : Int(code),
                                                    output: String(decoding: probe?.collected ?? [], as: UTF8.self))
        probe = nil
        recordProbe(result)
    }

    private func recordProbe(_ result: ContainerRunState.HealthResult) {
        guard var tracker = health else { return }
        let now = Timestamp.monotonic()
        tracker.record(result, at: now)
        health = tracker
        state.health = tracker.status
        state.failingStreak = tracker.failingStreak
        state.healthLog = tracker.log
        saveState()
        if mainPid > 0 { nextProbe = tracker.nextProbe(after: now) }
    }
}
