import CRuntime
import Glibc
import SystemSupport

/// A connection to the control socket: first a request line, then frames.
struct Client {
    var buffer: [UInt8] = []
    var requested = false
    var waiting = false
    var attached = false
    var watching = false
    var execPid: pid_t = 0
}

enum ControlListener {
    static func listen(_ path: String) throws(SystemCallError) -> Int32 {
        let fd = try Syscall.retrying("socket", path) {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        }
        unlink(path)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw SystemCallError("bind", path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if bound != 0 || Glibc.listen(fd, 64) != 0 {
            let error = SystemCallError("bind", path)
            close(fd)
            throw error
        }
        chmod(path, 0o600)
        return fd
    }
}

enum Terminal {
    static func resize(_ fd: Int32, rows: UInt16, columns: UInt16) {
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(fd, UInt(TIOCSWINSZ), &size)
    }
}

extension Supervisor {
    func acceptClient() {
        while true {
            let fd = cr_accept(listener, 0)
            if fd < 0 { return }
            clients[fd] = Client()
        }
    }

    func dropClient(_ fd: Int32) {
        guard let client = clients.removeValue(forKey: fd) else { return }
        if client.execPid > 0, let session = execs[client.execPid] {
            if session.stdin >= 0, session.stdin != session.terminal { close(session.stdin) }
        }
        release(fd)
    }

    func readClient(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { return }
        guard count > 0, var client = clients[fd] else {
            // A gone attach client leaves the container running; a gone exec client too.
            dropClient(fd)
            return
        }
        client.buffer += chunk[0..<count]
        if !client.requested {
            guard let newline = client.buffer.firstIndex(of: 10) else { clients[fd] = client; return }
            let line = String(decoding: client.buffer[..<newline], as: UTF8.self)
            client.buffer.removeSubrange(...newline)
            client.requested = true
            clients[fd] = client
            handleRequest(fd, line)
            guard clients[fd] != nil else { return }
            client = clients[fd]!
        }
        while client.buffer.count >= 5 {
            let length = Int(client.buffer[1]) << 24 | Int(client.buffer[2]) << 16 | Int(client.buffer[3]) << 8 | Int(client.buffer[4])
            guard client.buffer.count >= 5 + length else { break }
            let type = ControlFrame(rawValue: client.buffer[0])
            let payload = Array(client.buffer[5..<5 + length])
            client.buffer.removeSubrange(0..<5 + length)
            clients[fd] = client
            handleFrame(fd, type, payload, client: client)
            guard clients[fd] != nil else { return }
        }
        clients[fd] = client
    }

    private func handleFrame(_ fd: Int32, _ type: ControlFrame?, _ payload: [UInt8], client: Client) {
        let session = client.execPid > 0 ? execs[client.execPid] : nil
        let stdin = session?.stdin ?? (client.attached ? mainStdin : -1)
        let terminal = session?.terminal ?? (client.attached ? mainTerminal : -1)
        switch type {
        case .stdin:
            guard stdin >= 0 else { return }
            if payload.isEmpty {
                if stdin == terminal {
                    _ = ControlIO.writeAll(stdin, [4])  // end of input on a terminal: ^D
                } else {
                    close(stdin)
                    if client.execPid > 0 { execs[client.execPid]?.stdin = -1 } else { mainStdin = -1 }
                }
            } else {
                _ = ControlIO.writeAll(stdin, payload)
            }
        case .resize:
            let fields = String(decoding: payload, as: UTF8.self).split(separator: " ")
            if terminal >= 0, fields.count == 2, let rows = UInt16(fields[0]), let columns = UInt16(fields[1]) {
                Terminal.resize(terminal, rows: rows, columns: columns)
            }
        case .signal:
            let target = client.execPid > 0 ? client.execPid : (client.attached ? mainPid : 0)
            if target > 0, let number = Int32(String(decoding: payload, as: UTF8.self)), (1...64).contains(number) {
                kill(target, number)
            }
        default: break
        }
    }

    private func handleRequest(_ fd: Int32, _ line: String) {
        let words = line.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = words.count > 1 ? words[1] : ""
        switch words.first ?? "" {
        case "wait":
            if state.status == .running { clients[fd]?.waiting = true }
            else { ControlIO.send(fd, .exit, String(state.exitCode)); dropClient(fd) }
        case "kill":
            let sig = Int32(argument) ?? SIGKILL
            guard mainPid > 0 else {
                ControlIO.send(fd, .error, "container \(config.id) is not running")
                dropClient(fd)
                return
            }
            state.stoppedByUser = true
            saveState()
            kill(mainPid, sig)
            ControlIO.send(fd, .ok, [])
            dropClient(fd)
        case "stop":
            let fields = argument.split(separator: " ")
            let sig = fields.first.flatMap { Int32($0) } ?? config.stopSignal
            let seconds = fields.count > 1 ? Int(fields[1]) ?? config.stopTimeout : config.stopTimeout
            state.stoppedByUser = true
            saveState()
            guard mainPid > 0 else {
                if restartAt != nil { finishRun() }
                ControlIO.send(fd, .exit, String(state.exitCode))
                dropClient(fd)
                return
            }
            clients[fd]?.waiting = true
            kill(mainPid, seconds == 0 ? SIGKILL : sig)
            let deadline = Timestamp.monotonic() + Int64(max(0, seconds)) * 1_000_000_000
            killDeadline = min(killDeadline ?? deadline, deadline)
        case "attach":
            clients[fd]?.attached = true
            if mainPid > 0 { ControlIO.send(fd, .started, String(mainPid)) }
            else if restartAt == nil {
                ControlIO.send(fd, .exit, String(state.exitCode))
                dropClient(fd)
            }
        case "watch":
            clients[fd]?.watching = true
            if !ControlIO.send(fd, .state, state.json.serialized) { dropClient(fd) }
        case "execute":
            startExec(fd, argument)
        default:
            ControlIO.send(fd, .error, "125 unknown request \(line)")
            dropClient(fd)
        }
    }
}
