import ComposeModel
import Engine
import Foundation
import Monitor

public struct UpOptions: Sendable {
    public var services: [String] = []
    public var noDeps = false
    public var recreate = RecreatePolicy()
    public var removeOrphans = false
    public var scale: [String: Int] = [:]
    public var noStart = false
    /// Wait for running/healthy (and one-shot services to complete) before returning.
    public var wait = false
    public var waitTimeout: Double?
    public var stopTimeout: Int?
    /// `--build`: build every selected service that has `build:` first (otherwise only
    /// the missing images are built); `--no-build` builds none.
    public var build = BuildPolicy.missing
    /// `--pull always|missing|never`: overrides the services' pull_policy.
    public var pull: String?
    /// `-V`: a recreated container gets new, empty anonymous volumes.
    public var renewAnonymousVolumes = false
    public var buildOutput: (@Sendable (String, BuildEvent) -> Void)?
    public enum BuildPolicy: Sendable { case missing, always, never }
    public init() {}
}

extension Orchestrator {
    /// `up`: converges the engine to the project — whatever state a previous, possibly
    /// interrupted, command left — and starts services in dependency order, each
    /// dependency's condition met before its dependents start.
    public func up(_ project: Project, _ options: UpOptions, progress: ProgressReporter = .silent) async throws(OrchestratorError) {
        try await withProjectLock(project.name) { () throws(OrchestratorError) in
            try await converge(project, options, progress: progress)
        }
    }

    private func converge(_ project: Project, _ options: UpOptions, progress: ProgressReporter) async throws(OrchestratorError) {
        let graph = project.dependencyGraph
        let (order, selected) = try selection(project, options)

        var pullOptions = PullOptions()
        pullOptions.services = Array(selected)
        pullOptions.onlyMissing = true
        pullOptions.policy = options.pull
        try await pull(project, pullOptions, progress: progress)
        if options.build != .never {
            var buildOptions = BuildOptions()
            buildOptions.services = Array(selected)
            buildOptions.onlyMissing = options.build == .missing
            buildOptions.output = options.buildOutput
            try await build(project, buildOptions, progress: progress)
        }
        let networkRecords = try ensureNetworks(project, progress: progress)
        let volumeDirectories = try ensureVolumes(project, progress: progress)
        var existing = try await observe(project: project.name)
        let observed = existing.compactMap(Self.observed)
        let imageIDs = resolvedImages(project, services: selected)

        let orphans = UpPlanner.orphans(observed, services: Set(project.serviceNames))
        if !orphans.isEmpty {
            if options.removeOrphans {
                for orphan in orphans {
                    if let info = existing.first(where: { $0.id == orphan.id }) {
                        try await removeContainer(info, timeout: options.stopTimeout, progress: progress)
                    }
                }
                existing.removeAll { info in orphans.contains { $0.id == info.id } }
            } else {
                progress.event(.container(orphans.map(\.name).joined(separator: ", ")),
                               .done("Orphan containers found for this project; run with --remove-orphans to clean them up"))
            }
        }

        // Services in waves: every service whose dependencies are done starts in parallel.
        var done = Set<String>()
        var recreated = Set<String>()
        let ordered = order.filter(selected.contains)
        var remaining = ordered
        while !remaining.isEmpty {
            let wave = remaining.filter { name in (graph.dependencies[name] ?? []).allSatisfy { done.contains($0) || !selected.contains($0) } }
            remaining.removeAll { wave.contains($0) }
            let snapshot = existing
            let results: [(String, Bool)]
            do {
                results = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for name in wave {
                    guard let service = project.service(named: name) else { continue }
                    let dependencyRecreated = service.dependsOn.contains { $0.dependency.restart && recreated.contains($0.service) }
                    let imageID = imageIDs[Self.imageName(service, project: project)]
                    group.addTask {
                        let changed = try await self.converge(service: service, imageID: imageID, project: project, options: options, existing: snapshot,
                                                              observed: observed, dependencyRecreated: dependencyRecreated,
                                                              networkRecords: networkRecords, volumeDirectories: volumeDirectories,
                                                              progress: progress)
                        return (name, changed)
                    }
                }
                var results: [(String, Bool)] = []
                for try await result in group { results.append(result) }
                return results
                }
            } catch let error as OrchestratorError {
                throw error
            } catch {
                throw OrchestratorError("\(error)")
            }
            for (name, changed) in results {
                done.insert(name)
                if changed { recreated.insert(name) }
            }
            if remaining.isEmpty { break }
            existing = try await observe(project: project.name)
            // Dependents of this wave may need their dependencies healthy or completed.
            for name in wave {
                let dependents = remaining.filter { (graph.dependencies[$0] ?? []).contains(name) }
                guard !dependents.isEmpty, !options.noStart else { continue }
                for dependent in dependents {
                    guard let condition = project.service(named: dependent)?.dependsOn.first(where: { $0.service == name })?.dependency else { continue }
                    try await satisfy(condition, of: name, for: dependent, existing: existing, timeout: options.waitTimeout)
                }
            }
        }
        if options.wait && !options.noStart {
            try await waitUntilReady(project, services: ordered, timeout: options.waitTimeout, progress: progress)
        }
    }

    /// The project's services in dependency order, and those `up` works on: the named ones
    /// (all by default) and, unless `--no-deps`, what they depend on.
    func selection(_ project: Project, _ options: UpOptions) throws(OrchestratorError) -> (order: [String], selected: Set<String>) {
        let order: [String]
        do { order = try project.dependencyOrder() } catch { throw OrchestratorError(error.description) }
        var selected = Set(options.services.isEmpty ? project.serviceNames : options.services)
        for name in selected where project.service(named: name) == nil {
            throw OrchestratorError("no such service: \(name)")
        }
        if !options.noDeps { selected = project.dependencyGraph.closure(of: Array(selected)) }
        return (order, selected)
    }

    /// The IDs of the images `services` run, by image name (missing ones left out): each
    /// resolved once, not once per service, as a store lookup reads every record.
    func resolvedImages(_ project: Project, services: Set<String>) -> [String: String] {
        var ids: [String: String] = [:]
        for name in Set(services.compactMap { project.service(named: $0).map { Self.imageName($0, project: project) } }) {
            ids[name] = try? images.resolve(name).id
        }
        return ids
    }

    /// Converges one service; true when a container was created or recreated.
    private func converge(service: Service, imageID: String?, project: Project, options: UpOptions, existing: [ContainerInfo],
                          observed: [ObservedContainer], dependencyRecreated: Bool,
                          networkRecords: [String: NetworkRecord], volumeDirectories: [String: String],
                          progress: ProgressReporter) async throws(OrchestratorError) -> Bool {
        let replicas = options.scale[service.name] ?? service.replicas
        let plan = UpPlanner.plan(service: service.name, replicas: replicas, configHash: project.containerConfigHash(of: service.name) ?? "",
                                  imageID: imageID, existing: observed, policy: options.recreate, dependencyRecreated: dependencyRecreated)
        var changed = false
        for action in plan.actions {
            switch action {
            case .keep(let id, _):
                if let info = existing.first(where: { $0.id == id }) { progress.event(.container(info.name), .done("Running")) }
            case .start(let id, _):
                guard !options.noStart, let info = existing.first(where: { $0.id == id }) else { continue }
                try await start(info.id, name: info.name, progress: progress)
            case .remove(let id, _):
                if let info = existing.first(where: { $0.id == id }) {
                    try await removeContainer(info, timeout: options.stopTimeout, progress: progress)
                }
            case .recreate(let id, let number):
                guard let info = existing.first(where: { $0.id == id }) else { continue }
                progress.event(.container(info.name), .working("Recreate"))
                try await removeContainer(info, timeout: options.stopTimeout, progress: .silent)
                let record = try await createContainer(service, number: number, project: project, networkRecords: networkRecords,
                                                       volumeDirectories: volumeDirectories, existing: existing,
                                                       renewAnonymousVolumes: options.renewAnonymousVolumes)
                progress.event(.container(record.name), .done("Recreated"))
                if !options.noStart { try await start(record.id, name: record.name, progress: progress) }
                changed = true
            case .create(let number):
                let name = ComposeNaming.container(project: project.name, service: service.name, number: number, containerName: service.containerName)
                progress.event(.container(name), .working("Creating"))
                let record = try await createContainer(service, number: number, project: project, networkRecords: networkRecords,
                                                       volumeDirectories: volumeDirectories, existing: existing)
                progress.event(.container(name), .done("Created"))
                if !options.noStart { try await start(record.id, name: record.name, progress: progress) }
                changed = true
            }
        }
        return changed
    }

    func start(_ id: String, name: String, progress: ProgressReporter) async throws(OrchestratorError) {
        progress.event(.container(name), .working("Starting"))
        do { try await containers.start(id) } catch {
            progress.event(.container(name), .failed("Error"))
            throw OrchestratorError("cannot start container \(name): \(error)")
        }
        progress.event(.container(name), .done("Started"))
    }

    /// Waits until a dependency meets the condition its dependent asks for.
    private func satisfy(_ dependency: Dependency, of service: String, for dependent: String, existing: [ContainerInfo],
                         timeout: Double?) async throws(OrchestratorError) {
        let containers = existing.filter { $0.labels[ComposeLabel.service] == service && $0.labels[ComposeLabel.oneoff] != "True" }
        if containers.isEmpty {
            if !dependency.required { return }
            throw OrchestratorError("service \"\(dependent)\" depends on \"\(service)\", which has no container")
        }
        for container in containers {
            switch dependency.condition {
            case .started:
                continue
            case .completedSuccessfully:
                let code: Int
                do { code = try await self.containers.wait(container.id) } catch {
                    throw OrchestratorError("waiting for \(container.name): \(error)")
                }
                if code != 0 {
                    throw OrchestratorError("service \"\(service)\" didn't complete successfully: exit \(code)\(await lastLogLines(container.id))", exitCode: 1)
                }
            case .healthy:
                try await waitHealthy(container, timeout: timeout)
            }
        }
    }

    /// Waits for a container's healthcheck to pass; unhealthy, exited or timed out is an
    /// error. Driven by the monitor's pushed state changes (`watch`), not by polling.
    func waitHealthy(_ container: ContainerInfo, timeout: Double?) async throws(OrchestratorError) {
        let states: AsyncStream<ContainerRunState>
        do { states = try await containers.watch(container.id) } catch { throw OrchestratorError("watching \(container.name): \(error)") }
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        let watcher = Task { () -> Result<Void, OrchestratorError> in
            for await state in states {
                switch state.health {
                case "healthy": return .success(())
                case "unhealthy":
                    let probe = state.healthLog.last.map { ": last check exited \($0.exitCode): \($0.output.trimmingCharacters(in: .whitespacesAndNewlines))" } ?? ""
                    return .failure(OrchestratorError("container \(container.name) is unhealthy\(probe)"))
                case nil where state.status == .running:
                    return .failure(OrchestratorError("container \(container.name) has no healthcheck, so it cannot become healthy; add a healthcheck or use condition: service_started"))
                default: break
                }
                if state.status == .exited || state.status == .dead {
                    return .failure(OrchestratorError("container \(container.name) exited (\(state.exitCode)) before it became healthy\(await lastLogLines(container.id))"))
                }
            }
            return .failure(OrchestratorError("container \(container.name) stopped reporting before it became healthy"))
        }
        if let deadline {
            let timer = Task {
                try? await Task.sleep(nanoseconds: UInt64(max(0, deadline.timeIntervalSinceNow) * 1e9))
                watcher.cancel()
            }
            defer { timer.cancel() }
            let result = await watcher.value
            if Date() >= deadline, case .failure = result { throw OrchestratorError("timed out waiting for \(container.name) to become healthy") }
            try result.get()
        } else {
            try await watcher.value.get()
        }
    }

    /// `--wait`: every service running (healthy when it has a healthcheck); one-shot
    /// services that exited 0 count as done.
    private func waitUntilReady(_ project: Project, services: [String], timeout: Double?, progress: ProgressReporter) async throws(OrchestratorError) {
        let all = try await observe(project: project.name)
        for info in all where services.contains(info.labels[ComposeLabel.service] ?? "") && info.labels[ComposeLabel.oneoff] != "True" {
            let current: ContainerInfo
            do { current = try await containers.inspect(info.id) } catch { throw OrchestratorError("inspecting \(info.name): \(error)") }
            if current.run.health != nil {
                try await waitHealthy(current, timeout: timeout)
                progress.event(.container(info.name), .done("Healthy"))
            } else if !current.isRunning {
                if current.status == .exited && current.run.exitCode == 0 {
                    progress.event(.container(info.name), .done("Exited"))
                    continue
                }
                throw OrchestratorError("container \(info.name) exited with code \(current.run.exitCode)\(await lastLogLines(info.id))")
            }
        }
    }

    /// The last lines a container wrote, to show right where a failure is reported.
    func lastLogLines(_ id: String, count: Int = 5) async -> String {
        guard let stream = try? await containers.logs(id, options: LogOptions(follow: false, tail: count)) else { return "" }
        var lines: [String] = []
        for await entry in stream { lines.append("  | " + entry.text.trimmingCharacters(in: .newlines)) }
        return lines.isEmpty ? "" : "\n" + lines.joined(separator: "\n")
    }
}
