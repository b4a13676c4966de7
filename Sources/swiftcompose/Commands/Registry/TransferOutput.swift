import Engine
import Foundation

/// Pull and push progress on standard error, as docker prints it: `<layer>: <status>`.
/// On a terminal each layer keeps one line that is rewritten in place as its status
/// changes; otherwise (logs, CI) every event is a line of its own.
enum TransferOutput {
    static func printer(quiet: Bool = false) -> @Sendable (TransferEvent) -> Void {
        guard !quiet else { return { _ in } }
        if isatty(2) != 0 {
            let lines = TerminalLines()
            return { event in lines.show(event.item, "\(event.item): \(event.status)") }
        }
        let lock = NSLock()
        return { event in
            lock.withLock { FileHandle.standardError.write(Data("\(event.item): \(event.status)\n".utf8)) }
        }
    }
}
