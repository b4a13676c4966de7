import Glibc
import SystemSupport

/// What the monitor records about a container's run in `state.json` (the monitor is its
/// only writer; the engine reads it). Written atomically on every change.
public struct ContainerRunState: Sendable, Equatable {
    public enum Status: String, Sendable {
        case created, running, restarting, exited, dead
    }

    public struct HealthResult: Sendable, Equatable {
        public var start: Int64
        public var end: Int64
        public var exitCode: Int
        public var output: String
        public init(start: Int64, end: Int64, exitCode: Int, output: String) {
            self.start = start; self.end = end; self.exitCode = exitCode; self.output = output
        }
    }

    public var status: Status = .created
    public var pid: Int32 = 0
    public var monitorPid: Int32 = 0
    public var exitCode = 0
    public var oomKilled = false
    public var error = ""
    public var startedAt: Int64 = 0
    public var finishedAt: Int64 = 0
    public var restartCount = 0
    /// Set by a stop request: restart policies other than `always` keep it stopped.
    public var stoppedByUser = false
    public var health: String?          // starting, healthy, unhealthy; nil without a healthcheck
    public var failingStreak = 0
    public var healthLog: [HealthResult] = []

    public init() {}

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("status", .string(status.rawValue)), ("pid", JSONValue(Int(pid))), ("monitorPid", JSONValue(Int(monitorPid))),
            ("exitCode", JSONValue(exitCode)), ("oomKilled", .bool(oomKilled)), ("error", .string(error)),
            ("startedAt", .string(Timestamp.rfc3339(startedAt))), ("finishedAt", .string(Timestamp.rfc3339(finishedAt))),
            ("restartCount", JSONValue(restartCount)), ("stoppedByUser", .bool(stoppedByUser)),
        ]
        if let health {
            members.append(("health", .object([
                ("status", .string(health)), ("failingStreak", JSONValue(failingStreak)),
                ("log", .array(healthLog.map {
                    .object([("start", .string(Timestamp.rfc3339($0.start))), ("end", .string(Timestamp.rfc3339($0.end))),
                             ("exitCode", JSONValue($0.exitCode)), ("output", .string($0.output))])
                })),
            ])))
        }
        return .object(members)
    }

    public init(json: JSONValue) {
        status = json["status"]?.stringValue.flatMap(Status.init(rawValue:)) ?? .created
        pid = Int32(json["pid"]?.intValue ?? 0)
        monitorPid = Int32(json["monitorPid"]?.intValue ?? 0)
        exitCode = json["exitCode"]?.intValue ?? 0
        oomKilled = json["oomKilled"]?.boolValue ?? false
        error = json["error"]?.stringValue ?? ""
        startedAt = json["startedAt"]?.stringValue.flatMap(Timestamp.parse) ?? 0
        finishedAt = json["finishedAt"]?.stringValue.flatMap(Timestamp.parse) ?? 0
        restartCount = json["restartCount"]?.intValue ?? 0
        stoppedByUser = json["stoppedByUser"]?.boolValue ?? false
        if let health = json["health"] {
            self.health = health["status"]?.stringValue
            failingStreak = health["failingStreak"]?.intValue ?? 0
            healthLog = (health["log"]?.arrayValue ?? []).map {
                HealthResult(start: $0["start"]?.stringValue.flatMap(Timestamp.parse) ?? 0,
                             end: $0["end"]?.stringValue.flatMap(Timestamp.parse) ?? 0,
                             exitCode: $0["exitCode"]?.intValue ?? 0, output: $0["output"]?.stringValue ?? "")
            }
        }
    }

    public static func path(in directory: String) -> String { directory + "/state.json" }

    /// The recorded state; a fresh `created` state when none was written yet.
    public static func read(directory: String) -> ContainerRunState {
        guard let bytes = (try? AtomicFile.read(path(in: directory))) ?? nil,
              let json = try? JSONValue.parse(bytes) else { return ContainerRunState() }
        return ContainerRunState(json: json)
    }

    /// Atomic, without fsync: it must survive a killed process (it does: the page cache
    /// outlives it), not a power cut — after a reboot no container is running anyway.
    public func write(directory: String) throws(SystemCallError) {
        try AtomicFile.write(json.serialized, to: ContainerRunState.path(in: directory), durable: false)
    }
}
