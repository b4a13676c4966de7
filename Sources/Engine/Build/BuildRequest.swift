/// What to build: `docker build` flags and the compose `build:` attributes.
public struct BuildRequest: Sendable {
    /// The build context: a directory on this host.
    public var context: String
    /// The Dockerfile: relative to the context or absolute; default `<context>/Dockerfile`.
    public var dockerfile: String?
    /// A Dockerfile given as text (compose `dockerfile_inline`); wins over `dockerfile`.
    public var dockerfileInline: String?
    public var tags: [String] = []
    public var buildArgs: [String: String] = [:]
    public var target: String?
    public var labels: [String: String] = [:]
    public var noCache = false
    /// Pull base images even when the store has them (`--pull`).
    public var pull = false
    /// RUN's network: nil/"default"/"host" share the host's network, "none" has none.
    public var network: String?
    public var extraHosts: [String] = []
    public var shmSize: Int64?

    public init(context: String) {
        self.context = context
    }
}

/// What a build reports while it runs, for the CLI to render.
public enum BuildEvent: Sendable, Equatable {
    /// Step `id` starts: `[stage index/total] INSTRUCTION …`.
    case step(id: Int, label: String, text: String)
    /// The step's result came from the cache.
    case cached(id: Int)
    /// Output of a RUN step.
    case output(id: Int, text: String)
    case finished(id: Int, seconds: Double)
    case warning(String)
}
