/// Docker's restart policies and back-off, as pure logic: after an exit, whether to run
/// the container again and after how long.
public struct RestartDecision: Sendable, Equatable {
    public var policy: String          // no, always, unless-stopped, on-failure
    public var maxRetries: Int         // on-failure:N; 0 means unlimited
    /// The current back-off; Docker starts at 100 ms, doubles it per restart up to a
    /// minute, and starts over when a run lasted at least 10 seconds.
    public private(set) var delay: Int64 = 0

    public static let initialDelay: Int64 = 100_000_000
    public static let maximumDelay: Int64 = 60_000_000_000
    public static let resetAfter: Int64 = 10_000_000_000

    public init(policy: String, maxRetries: Int) {
        self.policy = policy
        self.maxRetries = maxRetries
    }

    /// The delay before the next start in nanoseconds, or nil to leave it stopped.
    public mutating func next(exitCode: Int, restartCount: Int, stoppedByUser: Bool, ranFor: Int64) -> Int64? {
        guard !stoppedByUser else { return nil }
        switch policy {
        case "always", "unless-stopped": break
        case "on-failure":
            guard exitCode != 0, maxRetries == 0 || restartCount < maxRetries else { return nil }
        default: return nil
        }
        if ranFor >= RestartDecision.resetAfter || delay == 0 {
            delay = RestartDecision.initialDelay
        } else {
            delay = min(delay * 2, RestartDecision.maximumDelay)
        }
        return delay
    }
}
