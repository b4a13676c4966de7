import Engine
import Foundation
import Synchronization

/// Copies an attach session to this terminal (and this terminal's input to it) until the
/// process exits; returns its exit status. With `proxySignals`, the signals this process
/// gets go to the container's process (Docker's --sig-proxy). With a terminal and input,
/// `detachKeys` leave the container running and return 0 (Docker's --detach-keys).
struct AttachedTerminal {
    let session: AttachSession
    let tty: Bool
    let interactive: Bool
    var proxySignals = false
    var detachKeys: DetachKeys? = nil

    /// Set by the input thread once the detach keys were typed.
    private final class Detached: Sendable {
        let flag = Atomic<Bool>(false)
    }

    func pump() -> Int32 {
        var saved = termios()
        let raw = tty && isatty(0) == 1 && tcgetattr(0, &saved) == 0
        if raw {
            var settings = saved
            cfmakeraw(&settings)
            tcsetattr(0, TCSANOW, &settings)
            var size = winsize()
            if ioctl(1, UInt(TIOCGWINSZ), &size) == 0 { session.resize(rows: size.ws_row, columns: size.ws_col) }
        }
        defer { if raw { var restore = saved; tcsetattr(0, TCSANOW, &restore) } }
        let detached = Detached()
        if interactive {
            let session = self.session
            // Detach keys only mean something on a terminal, as with Docker.
            let keys = tty ? detachKeys : nil
            Thread.detachNewThread {
                var scanner = keys.map(DetachKeys.Scanner.init)
                var buffer = [UInt8](repeating: 0, count: 16384)
                while true {
                    let count = read(0, &buffer, buffer.count)
                    if count <= 0 { session.closeStdin(); return }
                    var input = Array(buffer[0..<count])
                    if var watching = scanner {
                        let (forward, detach) = watching.scan(input)
                        scanner = watching
                        input = forward
                        if detach {
                            session.send(stdin: input)
                            detached.flag.store(true, ordering: .relaxed)
                            session.detach()
                            return
                        }
                    }
                    session.send(stdin: input)
                }
            }
        }
        let proxy = proxySignals ? SignalProxy(forwardingTo: session) : nil
        defer { proxy?.stop() }
        var code: Int32 = 125
        while let event = session.next() {
            switch event {
            case .output(let stderr, let bytes):
                _ = bytes.withUnsafeBytes { write(stderr ? 2 : 1, $0.baseAddress, $0.count) }
            case .failed(let failure, let message):
                FileHandle.standardError.write(Data("swiftcompose: \(message)\n".utf8))
                code = failure
            case .exited(let status): code = status
            case .started: break
            }
        }
        return detached.flag.load(ordering: .relaxed) ? 0 : code
    }
}
