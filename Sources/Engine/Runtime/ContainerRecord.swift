import SystemSupport

/// A container as the engine recorded it at create (`config.json`, written only by the
/// engine under the containers lock; the monitor writes `state.json` beside it).
public struct ContainerRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var created: Int64                    // nanoseconds since the epoch
    public var spec: ContainerSpec
    public var imageReference: String
    public var imageID: String
    public var imageConfig: ContainerImage.Config
    public var rootfs: ContainerImage.Rootfs
    public var hostname: String

    public var shortID: String { String(id.prefix(12)) }
}

/// Where a container's files live: `<root>/containers/<id>/…`, its socket under the run dir.
public struct ContainerPaths: Sendable {
    public let state: StateRoot
    public let id: String

    public init(state: StateRoot, id: String) {
        self.state = state
        self.id = id
    }

    public var directory: String { state.path("containers", id) }
    public var record: String { directory + "/config.json" }
    public var log: String { directory + "/\(id)-json.log" }
    /// Short enough for sun_path (108 bytes) under any reasonable run directory.
    public var controlSocket: String { state.runPath("c", String(id.prefix(32)) + ".sock") }

    public static func containersDirectory(_ state: StateRoot) -> String { state.path("containers") }
    public static func lockFile(_ state: StateRoot) -> String { state.path("containers", ".lock") }
}
