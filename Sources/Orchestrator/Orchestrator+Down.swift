import ComposeModel
import Engine
import Foundation

public struct DownOptions: Sendable {
    public var removeVolumes = false
    public var removeOrphans = false
    public var timeout: Int?
    /// `--rmi`: remove the services' images too — all of them, or only the local ones
    /// (built for services without `image:`).
    public var removeImages: ImageRemoval?
    public init() {}
}

public enum ImageRemoval: String, Sendable, CaseIterable {
    case all, local
}

extension Orchestrator {
    /// `down`: stops and removes the project's containers (dependents first), then its
    /// networks, and with `-v` its named and anonymous volumes (never external ones).
    /// Works from whatever a previous command left, including a half-finished `up`.
    public func down(projectName: String, project: Project?, _ options: DownOptions,
                     progress: ProgressReporter = .silent) async throws(OrchestratorError) {
        try await withProjectLock(projectName) { () throws(OrchestratorError) in
            let existing = try await observe(project: projectName)
            var targets = Self.downTargets(existing, project: project, options)
            // Dependents before what they depend on: a service's depth is the length of the
            // longest chain of services depending on it; the deepest go first, each depth
            // in parallel.
            let depth = Self.dependentDepths(project?.dependencyGraph.dependencies ?? [:])
            while !targets.isEmpty {
                let level = { (info: ContainerInfo) in depth[info.labels[ComposeLabel.service] ?? ""] ?? Int.max }
                let deepest = targets.map(level).max() ?? 0
                let wave = targets.filter { level($0) == deepest }
                targets.removeAll { info in wave.contains { $0.id == info.id } }
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for info in wave {
                            group.addTask { try await self.removeContainer(info, timeout: options.timeout, progress: progress) }
                        }
                        try await group.waitForAll()
                    }
                } catch let error as OrchestratorError { throw error } catch { throw OrchestratorError("\(error)") }
            }
            let networkRecords = (try? networks.list()) ?? []
            // A command killed between removing a container and undoing its networking
            // leaves endpoints without a container: finish that job first.
            let remaining = Set(((try? await containers.list(all: true)) ?? []).map(\.name))
            for record in networkRecords where record.labels[ComposeLabel.project] == projectName {
                for (containerID, endpoint) in record.endpoints where !remaining.contains(endpoint.containerName) {
                    cleanUpNetworking(containerID)
                }
            }
            // Killed between pinning a namespace and recording the container (or after
            // removing the container): a sandbox named like this project's containers.
            for sandbox in networks.sandboxes() where sandbox.hasPrefix(projectName + "-") && !remaining.contains(sandbox) {
                cleanUpNetworking(sandbox)
            }
            for record in networkRecords where record.labels[ComposeLabel.project] == projectName {
                progress.event(.network(record.name), .working("Removing"))
                do { try networks.remove(record.id) } catch {
                    progress.event(.network(record.name), .failed("Error"))
                    throw OrchestratorError("cannot remove network \(record.name): \(error)")
                }
                progress.event(.network(record.name), .done("Removed"))
            }
            if options.removeVolumes {
                let external = Set(project?.volumes.filter(\.external).map(\.name) ?? [])
                for volume in volumes.list() where volume.labels[ComposeLabel.project] == projectName && !external.contains(volume.name) {
                    progress.event(.volume(volume.name), .working("Removing"))
                    do { try volumes.remove(volume.name) } catch { throw OrchestratorError("cannot remove volume \(volume.name): \(error)") }
                    progress.event(.volume(volume.name), .done("Removed"))
                }
            }
            if let removal = options.removeImages, let project {
                try await removeImages(of: project, removal, progress: progress)
            }
        }
    }

    /// The images of `project`'s services that `down --rmi` removes; images another
    /// container still uses stay, as docker compose leaves them.
    private func removeImages(of project: Project, _ removal: ImageRemoval, progress: ProgressReporter) async throws(OrchestratorError) {
        let inUse = Set(((try? await containers.list(all: true)) ?? []).map(\.record.imageID))
        for name in Self.imagesToRemove(project, removal) {
            guard (try? images.resolve(name)) != nil else { continue }
            progress.event(.image(name), .working("Removing"))
            do {
                _ = try images.remove(name, containersUsing: inUse)
                progress.event(.image(name), .done("Removed"))
            } catch {
                progress.event(.image(name), .failed("In use"))
            }
        }
    }

    /// The containers `down` removes: the services' and one-offs, orphans only when asked
    /// (all of them when the file is gone).
    static func downTargets(_ existing: [ContainerInfo], project: Project?, _ options: DownOptions) -> [ContainerInfo] {
        let known = Set(project?.serviceNames ?? [])
        return existing.filter { info in
            let service = info.labels[ComposeLabel.service] ?? ""
            return project == nil || known.contains(service) || options.removeOrphans || info.labels[ComposeLabel.oneoff] == "True"
        }
    }

    /// The images `down --rmi` removes.
    static func imagesToRemove(_ project: Project, _ removal: ImageRemoval) -> [String] {
        Set(project.services.filter { removal == .all || $0.image == nil }.map { imageName($0, project: project) }).sorted()
    }

    /// For each service, how many services (transitively) wait on it: 0 for services
    /// nothing depends on. Unknown services (orphans) are stopped first.
    static func dependentDepths(_ dependencies: [String: [String]]) -> [String: Int] {
        var depth: [String: Int] = [:]
        func visit(_ service: String, _ seen: Set<String>) -> Int {
            if let known = depth[service] { return known }
            let dependents = dependencies.filter { $0.value.contains(service) }.map(\.key)
            let value = dependents.filter { !seen.contains($0) }.map { visit($0, seen.union([service])) + 1 }.max() ?? 0
            depth[service] = value
            return value
        }
        for service in dependencies.keys { _ = visit(service, []) }
        // Removal goes from the services nothing depends on: invert so they rank highest.
        let maximum = depth.values.max() ?? 0
        return depth.mapValues { maximum - $0 }
    }

    /// The project's containers for `ps`, sorted by service then number.
    public func ps(projectName: String, all: Bool, services: [String] = []) async throws(OrchestratorError) -> [ContainerInfo] {
        try await observe(project: projectName)
            .filter { all || $0.isRunning }
            .filter { services.isEmpty || services.contains($0.labels[ComposeLabel.service] ?? "") }
            .sorted { ($0.labels[ComposeLabel.service] ?? "", Int($0.labels[ComposeLabel.containerNumber] ?? "") ?? 0)
                < ($1.labels[ComposeLabel.service] ?? "", Int($1.labels[ComposeLabel.containerNumber] ?? "") ?? 0) }
    }

    public enum Lifecycle: Sendable { case start, stop, restart, kill(String), pause, unpause }

    /// `start`/`stop`/`restart`/`kill`/`pause`/`unpause` on the project's containers:
    /// start in dependency order, stop in reverse.
    public func apply(_ action: Lifecycle, project: Project, services: [String], timeout: Int? = nil,
                      progress: ProgressReporter = .silent) async throws(OrchestratorError) {
        let order = (try? project.dependencyOrder()) ?? project.serviceNames
        let existing = try await observe(project: project.name).filter { $0.labels[ComposeLabel.oneoff] != "True" }
        let selected = services.isEmpty ? Set(project.serviceNames) : Set(services)
        var sequence = order.filter(selected.contains)
        if case .start = action {} else if case .unpause = action {} else { sequence.reverse() }
        for service in sequence {
            for info in existing where info.labels[ComposeLabel.service] == service {
                do {
                    switch action {
                    case .start:
                        if info.isRunning { continue }
                        try await start(info.id, name: info.name, progress: progress)
                    case .stop:
                        guard info.isRunning else { continue }
                        progress.event(.container(info.name), .working("Stopping"))
                        try await containers.stop(info.id, timeout: timeout)
                        progress.event(.container(info.name), .done("Stopped"))
                    case .restart:
                        progress.event(.container(info.name), .working("Restarting"))
                        if info.isRunning { try await containers.stop(info.id, timeout: timeout) }
                        try await containers.start(info.id)
                        progress.event(.container(info.name), .done("Started"))
                    case .kill(let signal):
                        guard info.isRunning else { continue }
                        progress.event(.container(info.name), .working("Killing"))
                        try await containers.kill(info.id, signal: signal)
                        progress.event(.container(info.name), .done("Killed"))
                    case .pause:
                        try await containers.pause(info.id)
                        progress.event(.container(info.name), .done("Paused"))
                    case .unpause:
                        try await containers.unpause(info.id)
                        progress.event(.container(info.name), .done("Unpaused"))
                    }
                } catch let error as OrchestratorError {
                    throw error
                } catch {
                    progress.event(.container(info.name), .failed("Error"))
                    throw OrchestratorError("\(info.name): \(error)")
                }
            }
        }
    }
}
