import ComposeModel
import Engine
import Foundation

public struct RunOptions: Sendable {
    public var command: [String]?
    public var entrypoint: [String]?
    public var environment: [String: String] = [:]
    public var user: String?
    public var workingDir: String?
    public var name: String?
    public var noDeps = false
    /// Publish the service's ports (docker compose's --service-ports); off by default.
    public var servicePorts = false
    /// `-p`: more ports to publish, in short syntax.
    public var publish: [String] = []
    /// `-v`: more mounts, in short syntax.
    public var volumes: [String] = []
    public var tty = false
    public var interactive = false
    public init() {}
}

extension Orchestrator {
    /// `run`: a one-off container of `service` (its dependencies started first unless
    /// `noDeps`), labelled oneoff so `up` and `ps` leave it alone. Not started yet.
    public func createOneOff(_ project: Project, service name: String, _ options: RunOptions,
                             progress: ProgressReporter = .silent) async throws(OrchestratorError) -> ContainerRecord {
        guard var service = project.service(named: name) else { throw OrchestratorError("no such service: \(name)") }
        let dependencies = service.dependsOn.map(\.service)
        var up = UpOptions()
        up.services = dependencies
        if !options.noDeps && !dependencies.isEmpty {
            try await self.up(project, up, progress: progress)
        } else {
            _ = try await withProjectLock(project.name) { () throws(OrchestratorError) in
                try ensureNetworks(project, progress: progress)
            }
        }
        // The one-off's own settings replace the service's.
        if var node = service.node.object {
            if let command = options.command { node["command"] = .array(command.map { .string($0) }) }
            if let entrypoint = options.entrypoint { node["entrypoint"] = .array(entrypoint.map { .string($0) }) }
            if !options.servicePorts { node["ports"] = nil }
            node["container_name"] = nil
            if var environment = node["environment"]?.object {
                for (key, value) in options.environment { environment[key] = .string(value) }
                node["environment"] = .object(environment)
            } else if !options.environment.isEmpty {
                node["environment"] = .object(ConfigObject(options.environment.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
            }
            if let user = options.user { node["user"] = .string(user) }
            if let workingDir = options.workingDir { node["working_dir"] = .string(workingDir) }
            if options.tty { node["tty"] = .bool(true) }
            if options.interactive { node["stdin_open"] = .bool(true) }
            node["restart"] = nil
            service = Service(name: service.name, node: .object(node))
        }
        do {
            service = try service.adding(ports: options.publish, volumes: options.volumes, directory: project.workingDirectory,
                                         home: project.environment["HOME"], declaredVolumes: Set(project.volumes.map(\.key)))
        } catch {
            throw OrchestratorError("\(error)")
        }
        let networkRecords = try ensureNetworks(project, progress: .silent)
        let volumeDirectories = try ensureVolumes(project, progress: .silent)
        let existing = try await observe(project: project.name)
        return try await createContainer(service, number: 1, project: project, networkRecords: networkRecords,
                                         volumeDirectories: volumeDirectories, existing: existing, oneOff: true,
                                         name: options.name ?? ComposeNaming.oneOff(project: project.name, service: name))
    }

    /// Removes one container with its networking (for `run --rm` and `rm`).
    public func removeContainer(named reference: String) async throws(OrchestratorError) {
        let info: ContainerInfo
        do { info = try await containers.inspect(reference) } catch { throw OrchestratorError("\(error)") }
        try await removeContainer(info, timeout: 0, progress: .silent)
    }

    /// The running container `index` of `service` (for `exec`, `port`).
    public func container(of project: String, service: String, index: Int = 1) async throws(OrchestratorError) -> ContainerInfo {
        let candidates = try await observe(project: project).filter {
            $0.labels[ComposeLabel.service] == service && $0.labels[ComposeLabel.oneoff] != "True"
        }
        guard let match = candidates.first(where: { Int($0.labels[ComposeLabel.containerNumber] ?? "") == index }) else {
            throw OrchestratorError("service \"\(service)\" is not running" + (candidates.isEmpty ? "" : " with index \(index)"))
        }
        return match
    }

    /// Every project on this engine, from the compose labels of its containers.
    public func projects() async throws(OrchestratorError) -> [(name: String, running: Int, total: Int, configFiles: String)] {
        let all: [ContainerInfo]
        do { all = try await containers.list(all: true) } catch { throw OrchestratorError("\(error)") }
        var result: [String: (Int, Int, String)] = [:]
        for info in all {
            guard let project = info.labels[ComposeLabel.project] else { continue }
            var entry = result[project] ?? (0, 0, info.labels[ComposeLabel.configFiles] ?? "")
            entry.1 += 1
            if info.isRunning { entry.0 += 1 }
            result[project] = entry
        }
        return result.sorted { $0.key < $1.key }.map { ($0.key, $0.value.0, $0.value.1, $0.value.2) }
    }
}
