import Engine
import Foundation

/// Renders a build's events as BuildKit's plain progress does (`#3 [build 2/5] RUN …`,
/// `#3 CACHED`, `#3 DONE 0.4s`, RUN output prefixed by its step), on standard error;
/// coloured only on a terminal.
enum BuildOutput {
    static func printer(prefix: String = "", colour: Bool = isatty(2) != 0) -> @Sendable (BuildEvent) -> Void {
        let lock = NSLock()
        let pending = PendingText()
        return { event in
            var lines: [String] = []
            switch event {
            case .step(let id, let label, let text):
                lines.append("#\(id) [\(label)] \(text)")
            case .cached(let id):
                lines.append("#\(id) " + (colour ? "\u{1B}[34mCACHED\u{1B}[0m" : "CACHED"))
            case .output(let id, let text):
                lines += pending.complete(id, text).map { "#\(id) " + (colour ? "\u{1B}[2m\($0)\u{1B}[0m" : $0) }
            case .finished(let id, let seconds):
                lines += pending.flush(id).map { "#\(id) \($0)" }
                lines.append("#\(id) " + (colour ? "\u{1B}[32mDONE\u{1B}[0m" : "DONE") + String(format: " %.1fs", seconds))
            case .warning(let text):
                lines.append((colour ? "\u{1B}[33mWARNING\u{1B}[0m" : "WARNING") + ": " + text)
            }
            guard !lines.isEmpty else { return }
            lock.withLock {
                FileHandle.standardError.write(Data(lines.map { prefix + $0 + "\n" }.joined().utf8))
            }
        }
    }

    /// RUN output arrives in chunks: print whole lines, keep the rest until its newline.
    private final class PendingText: @unchecked Sendable {
        private let lock = NSLock()
        private var partial: [Int: String] = [:]

        func complete(_ id: Int, _ text: String) -> [String] {
            lock.withLock {
                var lines = (partial[id, default: ""] + text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                partial[id] = lines.removeLast()
                return lines
            }
        }

        func flush(_ id: Int) -> [String] {
            lock.withLock {
                defer { partial[id] = nil }
                return partial[id].map { $0.isEmpty ? [] : [$0] } ?? []
            }
        }
    }
}
