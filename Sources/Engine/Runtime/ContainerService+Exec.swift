import Glibc
import Monitor
import SystemSupport

/// A process to start in a running container (`docker exec`).
public struct ExecOptions: Sendable {
    public var command: [String]
    public var environment: [String: String] = [:]
    public var user: String?
    public var workingDir: String?
    public var tty = false
    public var interactive = false
    public var privileged = false

    public init(command: [String]) { self.command = command }
}

extension ContainerService {
    /// Starts `options.command` in the running container; its streams come back through
    /// the session (a pty when `tty`). The container's capabilities and seccomp apply.
    public func exec(_ reference: String, options: ExecOptions) async throws(EngineError) -> AttachSession {
        let record = try store.resolve(reference)
        let current = try info(record)
        guard current.status == .running else {
            throw EngineError(.conflict, "container \(record.name) is not running" + (current.status == .paused ? " (it is paused; unpause it first)" : ""))
        }
        guard !options.command.isEmpty else { throw EngineError(.invalidArgument, "no command given to exec") }
        let paths = store.paths(record.id)
        var request = ExecRequest(arguments: options.command)
        request.tty = options.tty
        request.openStdin = options.interactive
        request.workingDirectory = options.workingDir
        if let user = options.user {
            // The running container's own files, seen through its root.
            let root = RootfsReader(.directory("/proc/\(current.run.pid)/root"))
            let resolved = try ResolvedUser.resolve(user, groupAdd: record.spec.groupAdd, passwd: root.read("/etc/passwd"),
                                                    group: root.read("/etc/group"))
            request.user = (resolved.uid, resolved.gid, resolved.groups)
        }
        if options.privileged { request.privilegedCapabilities = Capabilities.bounding() }
        request.environment = options.environment.keys.sorted().map { "\($0)=\(options.environment[$0]!)" }
        guard let fd = MonitorClient(socket: paths.controlSocket).open("execute " + request.json.serialized) else {
            throw EngineError(.system, "the monitor of container \(record.name) is not answering")
        }
        return AttachSession(fd: fd)
    }
}

extension ContainerService {
    /// Attaches to a running container's main process from now on (`docker attach`).
    public func attach(_ reference: String) async throws(EngineError) -> AttachSession {
        let record = try store.resolve(reference)
        guard try info(record).isRunning else { throw EngineError(.conflict, "container \(record.name) is not running") }
        guard let fd = MonitorClient(socket: store.paths(record.id).controlSocket).open("attach") else {
            throw EngineError(.system, "the monitor of container \(record.name) is not answering")
        }
        return AttachSession(fd: fd)
    }
}

extension ContainerService {
    /// The container's run state now and at every change (status, exit, health) until its
    /// monitor ends — what an orchestrator awaits (`healthy`, exited) without polling.
    public func watch(_ reference: String) async throws(EngineError) -> AsyncStream<ContainerRunState> {
        let record = try store.resolve(reference)
        let paths = store.paths(record.id)
        let client = MonitorClient(socket: paths.controlSocket)
        guard let fd = client.open("watch") else {
            // No monitor: the recorded state is final.
            return AsyncStream { continuation in
                continuation.yield(ContainerRunState.read(directory: paths.directory))
                continuation.finish()
            }
        }
        return AsyncStream { continuation in
            // Stopping the stream wakes the reader blocked on the socket.
            continuation.onTermination = { _ in shutdown(fd, Int32(SHUT_RDWR)) }
            BlockingCall.detach {
                defer { close(fd) }
                while let (type, payload) = ControlIO.receive(fd) {
                    guard type == .state, let json = try? JSONValue.parse(payload) else { continue }
                    if case .terminated = continuation.yield(ContainerRunState(json: json)) { return }
                }
                // The monitor ended: its last word is on disk.
                continuation.yield(ContainerRunState.read(directory: paths.directory))
                continuation.finish()
            }
        }
    }
}
