import CRuntime
import Engine
import Foundation

/// Passes the signals this process receives on to the process it is attached to (Docker's
/// `--sig-proxy`): Ctrl-C stops the container's process, not just the CLI. The handler
/// only writes the signal's number to a pipe (all a signal handler may do); a thread of its
/// own sends it on.
final class SignalProxy {
    static let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
    /// Read by the signal handler, which can capture nothing.
    nonisolated(unsafe) private static var pipeWriteEnd: Int32 = -1
    private let ends: [Int32]

    init(forwardingTo session: AttachSession) {
        var ends: [Int32] = [-1, -1]
        _ = cr_pipe(&ends)
        self.ends = ends
        SignalProxy.pipeWriteEnd = ends[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { number in
            var byte = UInt8(truncatingIfNeeded: number)
            _ = write(SignalProxy.pipeWriteEnd, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for number in SignalProxy.forwarded { sigaction(number, &action, nil) }
        let readEnd = ends[0]
        Thread.detachNewThread {
            var byte: UInt8 = 0
            // A 0 byte (from `stop`) or a closed pipe ends the thread.
            while read(readEnd, &byte, 1) == 1, byte != 0 { session.send(signal: Int32(byte)) }
            close(readEnd)
        }
    }

    /// Back to the default dispositions; the forwarding thread ends.
    func stop() {
        for number in SignalProxy.forwarded { signal(number, SIG_DFL) }
        var stopByte: UInt8 = 0
        _ = write(ends[1], &stopByte, 1)
        close(ends[1])
    }
}
