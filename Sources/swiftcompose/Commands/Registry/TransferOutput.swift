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
            return { event in lines.show(event) }
        }
        let lock = NSLock()
        return { event in
            lock.withLock { FileHandle.standardError.write(Data("\(event.item): \(event.status)\n".utf8)) }
        }
    }

    /// One line per item; an update moves the cursor up to the item's line, clears and
    /// rewrites it, and moves back below the last line.
    private final class TerminalLines: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []

        func show(_ event: TransferEvent) {
            let text = "\(event.item): \(event.status)"
            lock.withLock {
                if let index = items.firstIndex(of: event.item) {
                    let up = items.count - index
                    FileHandle.standardError.write(Data("\u{1B}[\(up)A\r\u{1B}[2K\(text)\u{1B}[\(up)B\r".utf8))
                } else {
                    items.append(event.item)
                    FileHandle.standardError.write(Data("\(text)\n".utf8))
                }
            }
        }
    }
}
