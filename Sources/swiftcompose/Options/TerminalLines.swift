import Foundation

/// Lines on standard error that are rewritten in place on a terminal: one per key. An
/// update moves the cursor up to the key's line, clears and rewrites it, and moves back
/// below the last line; a new key adds a line.
final class TerminalLines: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String] = []

    func show(_ key: String, _ text: String) {
        lock.withLock {
            if let index = keys.firstIndex(of: key) {
                let up = keys.count - index
                FileHandle.standardError.write(Data("\u{1B}[\(up)A\r\u{1B}[2K\(text)\u{1B}[\(up)B\r".utf8))
            } else {
                keys.append(key)
                FileHandle.standardError.write(Data("\(text)\n".utf8))
            }
        }
    }
}
