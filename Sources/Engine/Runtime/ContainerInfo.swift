import Monitor

/// A container as `ls` and `inspect` show it: the record plus its live state.
public struct ContainerInfo: Sendable {
    public enum Status: String, Sendable, Codable {
        case created, running, paused, restarting, exited, dead
    }

    public var record: ContainerRecord
    public var run: ContainerRunState
    public var status: Status
    /// Set when the record says running but its monitor is gone (killed, host trouble).
    public var monitorLost: Bool

    public var id: String { record.id }
    public var name: String { record.name }
    public var labels: [String: String] { record.spec.labels }
    public var isRunning: Bool { status == .running || status == .paused }

    /// Docker's `ls` status column: "Up 5 seconds", "Exited (0) 3 minutes ago", …
    public func statusText(now: Int64) -> String {
        func ago(_ since: Int64) -> String { HumanDuration.describe(nanoseconds: max(0, now - since)) }
        switch status {
        case .created: return "Created"
        case .running:
            let health = run.health.map { $0 == "starting" ? " (health: starting)" : " (\($0))" } ?? ""
            return "Up \(ago(run.startedAt))\(health)"
        case .paused: return "Up \(ago(run.startedAt)) (Paused)"
        case .restarting: return "Restarting (\(run.exitCode)) \(ago(run.finishedAt)) ago"
        case .exited: return "Exited (\(run.exitCode)) \(ago(run.finishedAt)) ago"
        case .dead: return monitorLost ? "Dead (monitor lost)" : "Dead"
        }
    }
}

/// Docker's human durations ("Less than a second", "5 seconds", "About a minute", "3 hours").
public enum HumanDuration {
    public static func describe(nanoseconds: Int64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = seconds / 60
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = (minutes + 30) / 60
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(hours / 24 / 365) years"
    }
}
