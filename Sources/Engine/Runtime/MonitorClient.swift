import Glibc
import Monitor
import SystemSupport

/// Blocking requests to a container's monitor over its control socket.
struct MonitorClient {
    let socket: String

    /// Connects and sends the request line; nil when no monitor listens.
    func open(_ request: String) -> Int32? {
        let fd = ControlIO.connect(socket)
        guard fd >= 0 else { return nil }
        guard ControlIO.writeAll(fd, Array((request + "\n").utf8)) else { close(fd); return nil }
        return fd
    }

    /// Sends a request answered by one frame (kill); nil when no monitor listens.
    func request(_ line: String) -> (ControlFrame, String)? {
        guard let fd = open(line) else { return nil }
        defer { close(fd) }
        guard let (type, payload) = ControlIO.receive(fd) else { return nil }
        return (type, String(decoding: payload, as: UTF8.self))
    }

    /// Waits for an `exit` frame (wait, stop); nil when the monitor went away without one.
    func awaitExit(_ line: String) -> Int? {
        guard let fd = open(line) else { return nil }
        defer { close(fd) }
        while let (type, payload) = ControlIO.receive(fd) {
            if type == .exit { return Int(String(decoding: payload, as: UTF8.self)) }
        }
        return nil
    }
}
