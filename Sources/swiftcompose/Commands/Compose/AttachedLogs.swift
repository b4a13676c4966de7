import ComposeModel
import Dispatch
import Engine
import Foundation
import Orchestrator

/// The attached half of `up` (and `logs -f`): every container's output, each line prefixed
/// `web-1  | ` — in a colour per service on a terminal — until the containers stop. The first
/// Ctrl-C stops the stack gracefully, the second kills it.
struct AttachedLogs {
    let orchestrator: Orchestrator
    let project: Project
    let services: [String]
    var follow = true
    var tail: Int?
    var timestamps = false
    var prefix = true
    var stopOnInterrupt = true
    /// `--abort-on-container-exit`: the first container to exit stops the others.
    var abortOnExit = false
    /// `--abort-on-container-failure`: the first container to exit non-zero stops the others.
    var abortOnFailure = false
    /// `--exit-code-from SERVICE`: exit with that service's container's code (implies abort).
    var exitCodeFrom: String?
    /// Colour the prefixes (a terminal, unless --no-color or --ansi never).
    var colour = isatty(1) != 0
    var since: Int64?
    var until: Int64?
    /// `up --attach`: only these services' output (nil: every service's).
    var attach: [String]?
    /// `up --no-attach`: not these services' output.
    var noAttach: [String] = []

    static let palette = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"]

    /// Streams the logs until the containers stop; returns docker compose's exit code.
    @discardableResult
    func run() async throws -> Int32 {
        let all = try await orchestrator.ps(projectName: project.name, all: true, services: services)
        let containers = all.filter { shows(service: $0.labels[ComposeLabel.service] ?? "") }
        if containers.isEmpty { return 0 }
        let firstExit = FirstExit()
        let abort = abortOnExit || abortOnFailure || exitCodeFrom != nil
        let names = containers.map { $0.name.hasPrefix(project.name + "-") ? String($0.name.dropFirst(project.name.count + 1)) : $0.name }
        let width = names.map(\.count).max() ?? 0
        let serviceColours = Dictionary(uniqueKeysWithValues: project.serviceNames.enumerated().map { ($1, Self.palette[$0 % Self.palette.count]) })
        let heads = containers.enumerated().map { index, container in
            let label = names[index].padding(toLength: width, withPad: " ", startingAt: 0)
            let code = serviceColours[container.labels[ComposeLabel.service] ?? ""] ?? "0"
            return !prefix ? "" : (colour ? "\u{1B}[\(code)m\(label)  |\u{1B}[0m " : "\(label)  | ")
        }
        let output = LineWriter()
        let options = LogOptions(follow: follow, tail: tail, since: since, until: until)
        guard follow else {
            // Everything is already written: print it in time order across containers.
            var lines: [(time: Int64, text: String)] = []
            for (index, container) in containers.enumerated() {
                guard let stream = try? await orchestrator.containers.logs(container.id, options: options) else { continue }
                for await entry in stream { lines.append((entry.time, line(heads[index], entry))) }
            }
            for line in lines.enumerated().sorted(by: { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }) {
                output.write(line.element.text)
            }
            return 0
        }
        let presses = Counter()
        let interrupts = stopOnInterrupt ? installInterruptHandler(counting: presses) : nil
        await withTaskGroup(of: Void.self) { group in
            for (index, container) in containers.enumerated() {
                group.addTask {
                    guard let stream = try? await orchestrator.containers.logs(container.id, options: options) else { return }
                    for await entry in stream { output.write(line(heads[index], entry)) }
                    guard abort else { return }
                    // The stream ended: this container exited.
                    let code = (try? await orchestrator.containers.wait(container.id)) ?? 0
                    let service = container.labels[ComposeLabel.service] ?? ""
                    if abortOnFailure && !abortOnExit && exitCodeFrom == nil && code == 0 { return }
                    if firstExit.record(service: service, code: Int32(truncatingIfNeeded: code)) {
                        FileHandle.standardError.write(Data("\(names[index]) exited with code \(code)\nAborting on container exit...\n".utf8))
                        try? await orchestrator.apply(.stop, project: project, services: services, timeout: nil)
                    }
                }
            }
        }
        interrupts?.cancel()
        // Stopped by Ctrl-C: docker compose's exit code for an interrupted `up`.
        if presses.current > 0 { return 130 }
        if let exitCodeFrom {
            guard let target = all.first(where: { $0.labels[ComposeLabel.service] == exitCodeFrom }) else {
                throw CommandFailure("no container of service \(exitCodeFrom) to take the exit code from")
            }
            return Int32(truncatingIfNeeded: (try? await orchestrator.containers.wait(target.id)) ?? 0)
        }
        return abort ? firstExit.code : 0
    }

    /// Whether `service`'s output is shown: `--attach` names them, `--no-attach` and
    /// `attach: false` in the file leave them out.
    private func shows(service: String) -> Bool {
        if let attach { return attach.contains(service) }
        if noAttach.contains(service) { return false }
        return project.service(named: service)?.attach ?? true
    }

    private func line(_ head: String, _ entry: LogEntry) -> String {
        let time = timestamps ? Self.timestamp(entry.time) + " " : ""
        return head + time + entry.text + (entry.text.hasSuffix("\n") ? "" : "\n")
    }

    static func timestamp(_ nanoseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(nanoseconds) / 1e9))
    }

    /// SIGINT once: stop the project's containers (their log streams then end); twice: kill them.
    private func installInterruptHandler(counting count: Counter) -> DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let orchestrator = orchestrator, project = project, services = services
        source.setEventHandler {
            let presses = count.increment()
            FileHandle.standardError.write(Data((presses == 1 ? "Gracefully stopping... (press Ctrl+C again to force)\n" : "Killing...\n").utf8))
            Task {
                try? await orchestrator.apply(presses == 1 ? .stop : .kill("SIGKILL"), project: project, services: services)
            }
        }
        source.resume()
        return source
    }
}

/// Writes whole lines from many tasks without interleaving them.
final class LineWriter: @unchecked Sendable {
    private let lock = NSLock()
    func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}

/// The first container to exit, when `up` aborts on it.
final class FirstExit: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: (service: String, code: Int32)?

    /// True for the first call only.
    func record(service: String, code: Int32) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard recorded == nil else { return false }
        recorded = (service, code)
        return true
    }

    var code: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return recorded?.code ?? 0
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }

    var current: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
