import Engine
import Foundation

/// Pull and push progress on standard error, as docker prints it: `<layer>: <status>`.
/// On a terminal each layer keeps one line that is rewritten in place as its status
/// changes, with a bar while it is being worked on; otherwise (logs, CI) every change of
/// status is a line of its own and the bars are left out.
enum TransferOutput {
    static func printer(quiet: Bool = false) -> @Sendable (TransferEvent) -> Void {
        guard !quiet else { return { _ in } }
        if isatty(2) != 0 {
            let lines = TerminalLines()
            return { event in lines.show(event.item, line(event)) }
        }
        let lock = NSLock()
        return { event in
            guard event.done == nil else { return }
            lock.withLock { FileHandle.standardError.write(Data("\(event.item): \(event.status)\n".utf8)) }
        }
    }

    /// `abc123: Extracting [=======>           ]  12.3MB/45.6MB`
    static func line(_ event: TransferEvent) -> String {
        guard let done = event.done, let total = event.total, total > 0 else { return "\(event.item): \(event.status)" }
        let width = 30
        let filled = min(width, Int(Double(width) * Double(done) / Double(total)))
        let bar = String(repeating: "=", count: max(0, filled - 1)) + (filled > 0 ? ">" : "") + String(repeating: " ", count: width - filled)
        return "\(event.item): \(event.status) [\(bar)] \(megabytes(done))/\(megabytes(total))"
    }

    private static func megabytes(_ bytes: Int64) -> String { String(format: "%.1fMB", Double(bytes) / 1_048_576) }
}
