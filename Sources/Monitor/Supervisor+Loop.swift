import CRuntime
import Glibc
import NetworkServices
import SystemSupport

extension Supervisor {
    func pollOnce() {
        var fds: [pollfd] = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
                             pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
        for fd in outputs.keys { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        if let probe { fds.append(pollfd(fd: probe.output, events: Int16(POLLIN), revents: 0)) }
        for fd in clients.keys { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        if let portProxy { fds.append(pollfd(fd: portProxy.descriptor, events: Int16(POLLIN), revents: 0)) }
        let now = Timestamp.monotonic()
        // Open UDP flows need a regular call, so the idle ones are dropped.
        let sweep = (portProxy?.activeUDPFlows ?? 0) > 0 ? now + Int64(PortProxy.sweepInterval) * 1_000_000_000 : nil
        let deadlines = [killDeadline, restartAt, nextProbe, probe?.deadline, trimAt, sweep].compactMap { $0 }
        let timeout = deadlines.min().map { Int32(clamping: max(0, ($0 - now + 999_999) / 1_000_000)) } ?? -1
        let ready = poll(&fds, nfds_t(fds.count), timeout)
        if ready < 0 && errno != EINTR { finished = true; return }
        if ready > 0 { trimAt = Timestamp.monotonic() + Supervisor.trimAfterQuiet }
        let generation = descriptorGeneration
        for entry in fds where entry.revents != 0 {
            // A descriptor closed meanwhile may have been reused: poll again for the rest.
            if descriptorGeneration != generation { break }
            if entry.fd == signalFD { reapChildren() }
            else if entry.fd == listener { acceptClient() }
            else if outputs[entry.fd] != nil { readOutput(entry.fd) }
            else if entry.fd == probe?.output { readProbeOutput() }
            else if clients[entry.fd] != nil { readClient(entry.fd) }
            else if entry.fd == portProxy?.descriptor { portProxy?.serviceEvents() }
        }
        if sweep != nil, ready == 0 { portProxy?.serviceEvents() }
        runTimers()
    }

    private func runTimers() {
        let now = Timestamp.monotonic()
        if let at = trimAt, now >= at {
            // Quiet for a while: give back the code pages the last burst touched.
            trimAt = nil
            cr_trim_executable_pages()
        }
        if let deadline = killDeadline, now >= deadline, mainPid > 0 {
            kill(mainPid, SIGKILL)
            killDeadline = nil
        }
        if let at = restartAt, now >= at {
            if state.stoppedByUser { finishRun() } else { startContainer() }
        }
        if let at = nextProbe, now >= at, mainPid > 0, probe == nil {
            nextProbe = nil
            startProbe()
        }
        if let running = probe, now >= running.deadline {
            kill(running.pid, SIGKILL)
            probe?.deadline = Int64.max
            probe?.collected = Array("Health check exceeded timeout".utf8)
        }
    }

    /// Reads what a process wrote; at end of stream the source is closed.
    func readOutput(_ fd: Int32) {
        guard let source = outputs[fd] else { return }
        var buffer = [UInt8](repeating: 0, count: 32768)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && (errno == EINTR || errno == EAGAIN) { return }
        if count <= 0 {
            release(fd)
            outputs[fd] = nil
            if source.owner == 0, fd == mainTerminal { mainTerminal = -1 }
            return
        }
        let data = Array(buffer[0..<count])
        if source.owner == 0 {
            data.withUnsafeBytes { log?.append($0, stream: source.stream == .stderr ? "stderr" : "stdout") }
            for (clientFD, client) in clients where client.attached {
                if !ControlIO.send(clientFD, source.stream, data) { dropClient(clientFD) }
            }
        } else if let session = execs[source.owner] {
            if !ControlIO.send(session.client, source.stream, data) { dropClient(session.client) }
        }
    }

    /// Drains a process's remaining output without blocking (its writers have exited).
    func drainOutputs(of owner: pid_t) {
        for (fd, source) in outputs where source.owner == owner {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            while outputs[fd] != nil {
                var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&probe, 1, 0) <= 0 { break }
                readOutput(fd)
            }
        }
    }

    func reapChildren() {
        cr_drain_signal_fd(signalFD)
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { break }
            let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            if pid == mainPid { mainExited(code: code) }
            else if pid == probe?.pid { probeExited(code: code) }
            else if let session = execs[pid] { execExited(pid: pid, session: session, code: code) }
        }
    }

    private func mainExited(code: Int32) {
        drainOutputs(of: 0)
        for (fd, source) in outputs where source.owner == 0 { release(fd); outputs[fd] = nil }
        log?.flush()
        if mainStdin >= 0, mainStdin != mainTerminal { close(mainStdin) }
        mainStdin = -1
        mainTerminal = -1
        mainPid = 0
        killDeadline = nil
        nextProbe = nil
        if let running = probe { kill(running.pid, SIGKILL) }
        let ranFor = Timestamp.monotonic() - startedMonotonic
        state.exitCode = Int(code)
        state.oomKilled = readOOMCount() > oomCountAtStart
        state.finishedAt = Timestamp.now()
        state.pid = 0
        // The state is on disk before anyone waiting hears of the exit.
        if let delay = restart.next(exitCode: Int(code), restartCount: state.restartCount,
                                    stoppedByUser: state.stoppedByUser, ranFor: ranFor) {
            state.status = .restarting
            state.restartCount += 1
            restartAt = Timestamp.monotonic() + delay
            saveState()
        } else {
            finishRun()
            // --rm: they hear of the exit once the container is gone (see `shutDown`).
            if config.autoRemove { return }
        }
        for (fd, client) in clients where client.waiting || client.attached {
            ControlIO.send(fd, .exit, String(code))
            dropClient(fd)
        }
        releaseMountNamespace()
    }

    /// The container stays stopped: record it and let the loop end.
    func finishRun() {
        restartAt = nil
        state.status = .exited
        if state.finishedAt == 0 { state.finishedAt = Timestamp.now() }
        saveState(toDisk: !config.autoRemove)
        finished = true
    }

    /// Leaves no socket behind; answers whoever connected meanwhile from the final state.
    /// With --rm the container is removed first: a `run --rm` returns as soon as it hears
    /// the exit, with nothing left to wait for.
    func shutDown() {
        portProxy?.stop()
        unlink(config.controlSocket)
        while true {
            let fd = cr_accept(listener, 1)
            if fd < 0 { break }
            ControlIO.send(fd, .exit, String(state.exitCode))
            close(fd)
        }
        close(listener)
        let removed = config.autoRemove ? removeContainer() : []
        for fd in clients.keys {
            ControlIO.send(fd, .exit, String(state.exitCode))
            dropClient(fd)
        }
        // Before its writable layer is deleted: the overlay goes with the namespace.
        releaseMountNamespace()
        // The rest goes once nobody waits for it: every unlink and rmdir is a journal
        // operation, milliseconds apiece on a busy disk, and a v1 cgroup's rmdir waits on
        // the kernel's cgroup locks (nothing lists cgroups, and the next container's are its own).
        if config.autoRemove { config.cgroupDirectories.forEach(removeCgroup) }
        for path in removed { cr_remove_tree(path) }
    }

    /// A cgroup refuses removal (EBUSY) while the kernel still counts an exiting process in
    /// it: tried again for up to a second, so none is left behind.
    private func removeCgroup(_ directory: String) {
        for _ in 0..<100 {
            if rmdir(directory) == 0 || errno != EBUSY { return }
            usleep(10_000)
        }
    }

    /// `--rm`: the container's directory, name and writable layer are renamed out of sight
    /// (one operation each: the store ignores names that are not ids, the image store never
    /// lists its writable layers). Returns what is left to delete.
    private func removeContainer() -> [String] {
        (config.autoRemovePaths + [config.directory]).map { path in
            guard let slash = path.lastIndex(of: "/") else { return path }
            let aside = String(path[...slash]) + ".removing-" + path[path.index(after: slash)...]
            // Deleted where it is when it cannot be moved (a leftover of a killed monitor in the way).
            return rename(path, aside) == 0 ? aside : path
        }
    }
}
