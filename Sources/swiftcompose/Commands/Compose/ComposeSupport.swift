import ComposeModel
import Engine
import Foundation
import Orchestrator
import SystemSupport

extension GlobalOptions {
    var orchestrator: Orchestrator { Orchestrator(state: StateRoot.fromEnvironment(root: root)) }

    /// The project name without needing the file (for `down`, `ps` of a stack whose file is gone).
    func projectNameOnly() -> String? {
        projectName ?? ProcessInfo.processInfo.environment["COMPOSE_PROJECT_NAME"]
    }

    /// Progress as docker compose prints it: ` ✔ Container shop-web-1  Started  0.4s`. On a
    /// terminal (`--progress tty`, or auto on one) each resource keeps one line, rewritten in
    /// place with its state and the time since its first event; plain lines otherwise.
    func progressReporter() -> ProgressReporter {
        let mode = progress == "auto" ? (isatty(2) != 0 ? "tty" : "plain") : progress
        if mode == "quiet" { return .silent }
        let colour = colours(2)
        let board = ProgressBoard(inPlace: mode == "tty")
        return ProgressReporter { resource, state in
            let line: String
            switch (mode, state) {
            case ("json", _):
                let (status, text): (String, String) = switch state {
                case .working(let t): ("working", t)
                case .done(let t): ("done", t)
                case .failed(let t): ("error", t)
                }
                line = #"{"id":"\#(resource)","status":"\#(status)","text":"\#(text)"}"#
            case (_, .working(let text)):
                line = " \(colour ? "\u{1B}[33m⠿\u{1B}[0m" : "-") \(resource)  \(text)"
            case (_, .done(let text)):
                line = " \(colour ? "\u{1B}[32m✔\u{1B}[0m" : "✔") \(resource)  \(text)"
            case (_, .failed(let text)):
                line = " \(colour ? "\u{1B}[31m✘\u{1B}[0m" : "✘") \(resource)  \(text)"
            }
            board.show(resource.description, line)
        }
    }
}

/// Where progress lines go: in place with elapsed times on a terminal, appended otherwise.
final class ProgressBoard: @unchecked Sendable {
    private let lines: TerminalLines?
    private let lock = NSLock()
    private var started: [String: Date] = [:]

    init(inPlace: Bool) { lines = inPlace ? TerminalLines() : nil }

    func show(_ key: String, _ line: String) {
        guard let lines else {
            lock.withLock { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            return
        }
        let elapsed: TimeInterval = lock.withLock {
            let start = started[key] ?? Date()
            started[key] = start
            return Date().timeIntervalSince(start)
        }
        lines.show(key, line + String(format: "  %.1fs", elapsed))
    }
}

extension OrchestratorError {
    var failure: CommandFailure { CommandFailure(message, exitCode: exitCode) }
}
