import Glibc

/// The monitor's control socket: a client sends one request line, then the two sides
/// speak in frames (type byte, 4-byte big-endian length, payload).
///
/// Requests: `wait`, `kill <signal>`, `stop <signal> <seconds>`, `attach [start]`, `watch`,
/// `exec <json of LaunchConfig.Process>`. `wait` and `stop` answer with an `exit` frame;
/// `watch` gets a `state` frame now and on every change (status, health) until the monitor ends;
/// `kill` with `ok`/`error`; `attach`/`exec` stream output frames until `exit`.
public enum ControlFrame: UInt8, Sendable {
    case stdin = 0          // client → monitor; empty payload closes the process's stdin
    case stdout = 1
    case stderr = 2
    case exit = 3           // payload: exit code in decimal
    case error = 4          // payload: "<exit code> <message>" — the process could not start
    case started = 5        // payload: pid
    case resize = 6         // client → monitor: "<rows> <cols>"
    case ok = 7
    case state = 8          // payload: the state.json document, sent to `watch` clients on every change
    case signal = 9         // client → monitor: a signal number, for the process the client is attached to
}

public enum ControlIO {
    /// Writes a whole frame (blocking); false when the peer is gone.
    @discardableResult
    public static func send(_ fd: Int32, _ type: ControlFrame, _ payload: [UInt8]) -> Bool {
        var frame: [UInt8] = [type.rawValue]
        let length = UInt32(payload.count)
        frame += [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        frame += payload
        return writeAll(fd, frame)
    }

    public static func send(_ fd: Int32, _ type: ControlFrame, _ text: String) -> Bool {
        send(fd, type, Array(text.utf8))
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == ENOTSOCK {
                        let plain = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                        if plain > 0 { offset += plain; continue }
                        if plain < 0 && errno == EINTR { continue }
                    }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    /// Reads exactly `count` bytes (blocking); nil at end of stream.
    public static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var result = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = result.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, count - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            got += n
        }
        return result
    }

    /// Reads the next frame (blocking); nil at end of stream.
    public static func receive(_ fd: Int32) -> (ControlFrame, [UInt8])? {
        guard let header = readExactly(fd, 5), let type = ControlFrame(rawValue: header[0]) else { return nil }
        let length = Int(header[1]) << 24 | Int(header[2]) << 16 | Int(header[3]) << 8 | Int(header[4])
        guard length <= 16 << 20, let payload = length == 0 ? [] : readExactly(fd, length) else { return nil }
        return (type, payload)
    }

    /// Connects to a monitor's socket; -1 with errno when nobody listens.
    public static func connect(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { close(fd); errno = ENAMETOOLONG; return -1 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            let saved = errno
            close(fd)
            errno = saved
            return -1
        }
        return fd
    }
}
