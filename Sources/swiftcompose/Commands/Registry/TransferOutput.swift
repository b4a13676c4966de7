import Engine
import Foundation

/// Pull and push progress as docker prints it: `<layer>: Pull complete`, one line per
/// event, on standard error.
enum TransferOutput {
    static func printer(quiet: Bool = false) -> @Sendable (TransferEvent) -> Void {
        guard !quiet else { return { _ in } }
        let lock = NSLock()
        return { event in
            lock.withLock { FileHandle.standardError.write(Data("\(event.item): \(event.status)\n".utf8)) }
        }
    }
}
