import Glibc
import Monitor

/// A connection to a running process's streams (the container's main process after
/// `startAttached`, or an exec'd one): output and lifecycle events in, stdin out.
/// Blocking; callers read it on a thread of their own.
public final class AttachSession: @unchecked Sendable {
    public enum Event: Sendable, Equatable {
        case output(stderr: Bool, bytes: [UInt8])
        case started(pid: Int32)
        /// The process could not start: Docker's exit code and one line for people.
        case failed(code: Int32, message: String)
        case exited(code: Int32)
    }

    let fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { Glibc.close(fd) }

    /// The next event; nil once the monitor closed the connection.
    public func next() -> Event? {
        guard let (type, payload) = ControlIO.receive(fd) else { return nil }
        let text = String(decoding: payload, as: UTF8.self)
        switch type {
        case .stdout: return .output(stderr: false, bytes: payload)
        case .stderr: return .output(stderr: true, bytes: payload)
        case .started: return .started(pid: Int32(text) ?? 0)
        case .exit: return .exited(code: Int32(text) ?? 0)
        case .error:
            let space = text.firstIndex(of: " ") ?? text.endIndex
            return .failed(code: Int32(text[..<space]) ?? 125, message: String(text[space...].dropFirst()))
        default: return next()
        }
    }

    public func send(stdin bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        ControlIO.send(fd, .stdin, bytes)
    }

    /// End of input: the process sees EOF on its stdin.
    public func closeStdin() { ControlIO.send(fd, .stdin, []) }

    public func resize(rows: UInt16, columns: UInt16) { ControlIO.send(fd, .resize, "\(rows) \(columns)") }
}
