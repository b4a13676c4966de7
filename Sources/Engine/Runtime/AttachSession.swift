import Glibc
import Monitor
import Synchronization

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
    /// Whether the monitor reported the process's exit. For a --rm container that means it
    /// is removed already: the monitor removes it before it tells.
    public private(set) var heardExit = false
    /// Frames go out from more than one thread (stdin, resizes, proxied signals): one at a time.
    private let sending = Mutex(())

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
        case .exit:
            heardExit = true
            return .exited(code: Int32(text) ?? 0)
        case .error:
            let space = text.firstIndex(of: " ") ?? text.endIndex
            return .failed(code: Int32(text[..<space]) ?? 125, message: String(text[space...].dropFirst()))
        default: return next()
        }
    }

    public func send(stdin bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        send(.stdin, bytes)
    }

    /// End of input: the process sees EOF on its stdin.
    public func closeStdin() { send(.stdin, []) }

    public func resize(rows: UInt16, columns: UInt16) { send(.resize, Array("\(rows) \(columns)".utf8)) }

    /// Passes a signal the caller received on to the process (Docker's --sig-proxy).
    public func send(signal: Int32) { send(.signal, Array(String(signal).utf8)) }

    /// Leaves the process running and ends the session: `next()` returns nil from now on.
    public func detach() { shutdown(fd, Int32(SHUT_RDWR)) }

    private func send(_ type: ControlFrame, _ payload: [UInt8]) {
        sending.withLock { _ in _ = ControlIO.send(fd, type, payload) }
    }
}
