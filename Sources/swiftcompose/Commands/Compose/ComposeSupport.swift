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

    /// Progress lines as docker compose prints them: ` ✔ Container shop-web-1  Started`.
    func progressReporter() -> ProgressReporter {
        let mode = progress == "auto" ? (isatty(2) != 0 ? "tty" : "plain") : progress
        if mode == "quiet" { return .silent }
        let colour = ansi == "always" || (ansi == "auto" && isatty(2) != 0)
        let lock = NSLock()
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
            lock.lock()
            FileHandle.standardError.write(Data((line + "\n").utf8))
            lock.unlock()
        }
    }
}

extension OrchestratorError {
    var failure: CommandFailure { CommandFailure(message, exitCode: exitCode) }
}
