import CFileSystem
import CRuntime
import FoundationEssentials
import Glibc
import Monitor
import SystemSupport

/// The engine's containers: create, start, stop, kill, remove, list, inspect, wait, …
/// Each running container is supervised by its own monitor process, so nothing here has
/// to stay alive for a container to keep running.
public struct ContainerService: Sendable {
    public let state: StateRoot
    let store: ContainerStore
    let hierarchy: CgroupHierarchy

    public init(state: StateRoot) {
        self.state = state
        store = ContainerStore(state: state)
        hierarchy = CgroupHierarchy.detect()
    }

    func cgroups(_ id: String) -> CgroupManager { CgroupManager(hierarchy: hierarchy, id: id) }

    // MARK: create

    /// Records a new container from `spec` on `image`'s rootfs. Nothing runs yet.
    public func create(_ spec: ContainerSpec, image: ContainerImage) async throws(EngineError) -> ContainerRecord {
        let id = ContainerStore.newID()
        _ = try LaunchConfigBuilder.arguments(spec: spec, image: image.config)
        if let name = spec.name, !ContainerNames.isValid(name) {
            throw EngineError(.invalidArgument, "invalid container name \"\(name)\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        return try store.locked { () throws(EngineError) -> ContainerRecord in
            try store.indexNames()
            let name: String
            if let wanted = spec.name {
                if let clash = store.holder(ofName: wanted) {
                    throw EngineError(.conflict, "the container name \"/\(wanted)\" is already in use by container \"\(clash.id)\"; "
                        + "remove (or rename) that container to be able to reuse that name")
                }
                name = wanted
            } else {
                name = ContainerNames.generate { store.holder(ofName: $0) != nil }
            }
            try claimWritableLayer(image.rootfs, for: id)
            try store.claim(name: name, for: id)
            let record = ContainerRecord(
                id: id, name: name, created: Timestamp.now(), spec: spec, imageReference: image.reference,
                imageID: image.id, imageConfig: image.config, rootfs: image.rootfs,
                hostname: spec.hostname ?? String(id.prefix(12)))
            do throws(EngineError) {
                try store.write(record)
            } catch {
                store.release(name: name, of: id)
                throw error
            }
            return record
        }
    }

    /// A writable layer serves one container: its directory records the owner (an extended
    /// attribute, set only if absent: no file to create), so a second container on the same
    /// layer is refused (ImageStore.containerImage gives each a fresh one).
    private func claimWritableLayer(_ rootfs: ContainerImage.Rootfs, for id: String) throws(EngineError) {
        guard case .overlay(_, let upper, _) = rootfs, let slash = upper.lastIndex(of: "/") else { return }
        let layer = String(upper[..<slash])
        let claimed = Array(id.utf8).withUnsafeBytes {
            setxattr(layer, ContainerService.layerOwner, $0.baseAddress, $0.count, Int32(XATTR_CREATE))
        }
        guard claimed != 0, errno == EEXIST else { return }   // claimed, or a layer we cannot mark (not ours)
        var owner = [UInt8](repeating: 0, count: 128)
        let length = owner.withUnsafeMutableBytes { getxattr(layer, ContainerService.layerOwner, $0.baseAddress, $0.count) }
        throw EngineError(.conflict, "the writable layer \(upper) already belongs to container "
            + "\(length > 0 ? String(decoding: owner[..<length], as: UTF8.self) : "?"); "
            + "each container needs its own (ImageStore.containerImage gives a fresh one)")
    }

    static let layerOwner = "user.swiftcompose.container"

    // MARK: start

    /// Starts a created or stopped container in the background (`docker start`, `run -d`).
    public func start(_ reference: String) async throws(EngineError) {
        try await start(try store.resolve(reference))
    }

    /// `start` of a record at hand (`create` just returned it), on `monitor` if one was
    /// started ahead (see `PendingMonitor`).
    public func start(_ record: ContainerRecord, monitor ahead: PendingMonitor? = nil) async throws(EngineError) {
        let monitor = if let ahead { ahead } else { try PendingMonitor(attached: false) }
        if case .failed(let code, let message) = try prepareStart(record, monitor: monitor) {
            throw StartFailure(code: code, message: message).error
        }
    }

    /// Starts a container with this caller attached to its streams from the first byte
    /// (`docker run` without -d, `start -a`). A start that fails arrives as the session's
    /// `.failed` event, like anything else the container does.
    public func startAttached(_ reference: String) async throws(EngineError) -> AttachSession {
        try await startAttached(try store.resolve(reference))
    }

    /// `startAttached` for a record at hand, on `monitor` if one was started ahead (attached).
    public func startAttached(_ record: ContainerRecord, monitor ahead: PendingMonitor? = nil) async throws(EngineError) -> AttachSession {
        // The monitor holds the other end from its start: it runs the container at once,
        // without waiting for this process to connect and ask.
        let monitor = if let ahead { ahead } else { try PendingMonitor(attached: true) }
        guard let end = monitor.takeAttachEnd() else {
            throw EngineError(.invalidArgument, "an attached start needs a monitor started with an attach connection")
        }
        let session = AttachSession(fd: end)
        _ = try prepareStart(record, monitor: monitor)
        return session
    }

    private func prepareStart(_ record: ContainerRecord, monitor: PendingMonitor) throws(EngineError) -> PendingMonitor.Handshake {
        let paths = store.paths(record.id)
        let current = try info(record)
        if current.isRunning || current.status == .restarting {
            throw EngineError(.conflict, "container \(record.name) is already running")
        }
        let manager = cgroups(record.id)
        let config = try LaunchConfigBuilder(record: record, paths: paths, cgroups: manager).build()
        try manager.create(record.spec.resources, devices: config.devices)
        do {
            try makeDirectories(state.runPath("c"))
            // What a previous run left (exit code, error) is cleared before the monitor reads it;
            // a container that never ran has nothing to clear (and one file fewer to create).
            if access(ContainerRunState.path(in: paths.directory), F_OK) == 0 {
                var fresh = ContainerRunState()
                fresh.restartCount = current.run.restartCount
                try fresh.write(directory: paths.directory)
            }
        } catch {
            throw EngineError(.system, "cannot prepare container \(record.name)", cause: error)
        }
        return try monitor.launch(Array(config.json.serialized.utf8))
    }

    // MARK: stop, kill, wait

    /// Stops with the stop signal, then SIGKILL after `timeout` seconds (default: the spec's grace).
    public func stop(_ reference: String, timeout: Int? = nil, signal: String? = nil) async throws(EngineError) {
        let record = try store.resolve(reference)
        let current = try info(record)
        guard current.isRunning || current.status == .restarting else { return }
        if current.status == .paused { try cgroups(record.id).freeze(false) }
        let stopSignal = try SignalNames.number(signal ?? record.spec.stopSignal ?? record.imageConfig.stopSignal ?? "SIGTERM")
        let seconds = timeout ?? record.spec.stopGracePeriod ?? 10
        let client = MonitorClient(socket: store.paths(record.id).controlSocket)
        _ = try await BlockingCall.run { () throws(EngineError) -> Int? in client.awaitExit("stop \(stopSignal) \(seconds)") }
    }

    public func kill(_ reference: String, signal: String = "SIGKILL") async throws(EngineError) {
        let record = try store.resolve(reference)
        let number = try SignalNames.number(signal)
        guard try info(record).isRunning else {
            throw EngineError(.conflict, "cannot kill container \(record.name): it is not running")
        }
        guard let (type, message) = MonitorClient(socket: store.paths(record.id).controlSocket).request("kill \(number)") else {
            throw EngineError(.system, "the monitor of container \(record.name) is not answering")
        }
        if type == .error { throw EngineError(.conflict, message) }
    }

    /// Blocks until the container is not running; returns its exit code.
    public func wait(_ reference: String) async throws(EngineError) -> Int {
        let record = try store.resolve(reference)
        let paths = store.paths(record.id)
        let client = MonitorClient(socket: paths.controlSocket)
        return try await BlockingCall.run { () throws(EngineError) -> Int in
            while true {
                let run = ContainerRunState.read(directory: paths.directory)
                if run.status != .running && run.status != .restarting { return run.exitCode }
                if let code = client.awaitExit("wait") { return code }
                // No monitor: the state file is final (or the monitor died; report what it recorded).
                let after = ContainerRunState.read(directory: paths.directory)
                if !MonitorLiveness.isAlive(after.monitorPid) { return after.exitCode }
                usleep(10_000)
            }
        }
    }

    // MARK: remove

    /// Removes a container: its monitor, processes, cgroups, files and socket.
    public func remove(_ reference: String, force: Bool = false) async throws(EngineError) {
        let record = try store.resolve(reference)
        let current = try info(record)
        if current.isRunning || current.status == .restarting {
            guard force else {
                throw EngineError(.conflict, "cannot remove container \(record.name): container is running; "
                    + "stop the container before removing it or force remove (-f)")
            }
            if current.status == .paused { try? cgroups(record.id).freeze(false) }
            let client = MonitorClient(socket: store.paths(record.id).controlSocket)
            _ = try await BlockingCall.run { () throws(EngineError) -> Int? in client.awaitExit("stop 9 0") }
        }
        let paths = store.paths(record.id)
        // A monitor whose container has stopped is finishing up (or removing it, --rm): let it,
        // for up to a second, outside the store lock so that removals run side by side.
        let monitor = ContainerRunState.read(directory: paths.directory).monitorPid
        try await BlockingCall.run { () throws(EngineError) in MonitorLiveness.awaitExit(monitor, milliseconds: 1000) }
        try store.locked { () throws(EngineError) in
            let run = ContainerRunState.read(directory: paths.directory)
            if MonitorLiveness.isAlive(run.monitorPid) { Glibc.kill(run.monitorPid, SIGKILL) }
            cgroups(record.id).remove()
            unlink(paths.controlSocket)
            store.release(name: record.name, of: record.id)
            _ = cr_remove_tree(paths.directory)
        }
        // The container's writable layer, when it ran on an image of the store.
        ImageStore(state: state).releaseContainerLayer(record.rootfs)
    }

    // MARK: list, inspect

    /// Every container (running only unless `all`), read in one scan.
    public func list(all: Bool = true) async throws(EngineError) -> [ContainerInfo] {
        var result: [ContainerInfo] = []
        for record in store.all() {
            let item = try info(record)
            if all || item.isRunning || item.status == .restarting { result.append(item) }
        }
        return result.sorted { $0.record.created > $1.record.created }
    }

    public func inspect(_ reference: String) async throws(EngineError) -> ContainerInfo {
        try info(try store.resolve(reference))
    }

    func info(_ record: ContainerRecord) throws(EngineError) -> ContainerInfo {
        let run = ContainerRunState.read(directory: store.paths(record.id).directory)
        var status: ContainerInfo.Status
        var lost = false
        switch run.status {
        case .created: status = .created
        case .exited: status = .exited
        case .dead: status = .dead
        case .running, .restarting:
            if !MonitorLiveness.isAlive(run.monitorPid) {
                status = .dead
                lost = true
            } else if run.status == .restarting {
                status = .restarting
            } else {
                status = cgroups(record.id).isFrozen ? .paused : .running
            }
        }
        return ContainerInfo(record: record, run: run, status: status, monitorLost: lost)
    }
}

/// A start failure with Docker's exit code (125 setup, 126 cannot invoke, 127 not found).
public struct StartFailure: Sendable {
    public let code: Int32
    public let message: String

    public var error: EngineError {
        EngineError(code == 127 ? .notFound : code == 126 ? .invalidArgument : .system, message,
                    cause: ExitStatus(code: code))
    }
}

/// The exit status an error maps to (attached as an EngineError's cause).
public struct ExitStatus: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public var description: String { "exit status \(code)" }
}

enum MonitorLiveness {
    /// True when `pid` is a live swiftcompose-monitor (not a recycled pid, not a zombie):
    /// one read of /proc/<pid>/stat, whose command name is the executable's first 15 bytes.
    /// `ps` and `up` ask this for every container.
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, let bytes = (try? AtomicFile.read("/proc/\(pid)/stat")) ?? nil else { return false }
        let status = String(decoding: bytes, as: UTF8.self)
        guard let open = status.firstIndex(of: "("), let close = status.lastIndex(of: ")"),
              let state = status[close...].dropFirst(2).first else { return false }
        return status[status.index(after: open)..<close] == "swiftcompose-monitor".prefix(15) && state != "Z"
    }

    /// Returns when the monitor `pid` has exited, or after `milliseconds`: woken by the
    /// kernel through a pidfd, not by polling.
    static func awaitExit(_ pid: Int32, milliseconds: Int32) {
        guard isAlive(pid) else { return }
        let fd = cr_pidfd_open(pid)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // The pid might have been recycled between the check and pidfd_open: check again.
        guard isAlive(pid) else { return }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&entry, 1, milliseconds) < 0 && errno == EINTR {}
    }
}
