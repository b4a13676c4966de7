/// The healthcheck's state machine (Docker's rules), as pure logic: results move the
/// status between starting, healthy and unhealthy and decide when the next probe runs.
public struct HealthTracker: Sendable {
    public let check: LaunchConfig.Healthcheck
    public private(set) var status = "starting"
    public private(set) var failingStreak = 0
    public private(set) var log: [ContainerRunState.HealthResult] = []
    private var started: Int64 = 0     // monotonic time the container started

    /// Docker keeps the last five results.
    public static let keptResults = 5

    public init(check: LaunchConfig.Healthcheck) { self.check = check }

    public mutating func containerStarted(at now: Int64) {
        started = now
        status = "starting"
        failingStreak = 0
    }

    private func inStartPeriod(_ now: Int64) -> Bool { now - started < check.startPeriod }

    /// When to probe next, measured from `now` (just started or a probe just finished).
    public func nextProbe(after now: Int64) -> Int64 {
        if status == "starting", inStartPeriod(now), check.startInterval > 0 { return now + check.startInterval }
        return now + check.interval
    }

    public mutating func record(_ result: ContainerRunState.HealthResult, at now: Int64) {
        log.append(result)
        if log.count > HealthTracker.keptResults { log.removeFirst(log.count - HealthTracker.keptResults) }
        if result.exitCode == 0 {
            status = "healthy"
            failingStreak = 0
            return
        }
        // Failures during the start period do not count (unless it was already healthy).
        if status == "starting", inStartPeriod(now) { return }
        failingStreak += 1
        if failingStreak >= max(1, check.retries) { status = "unhealthy" }
    }
}
