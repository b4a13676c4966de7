import ComposeModel
import Engine

/// One thing `up` or `down` would do, for `--dry-run`: the resource and the verb
/// (`Container shop-web-1  Recreate`).
public struct PlannedStep: Sendable, Equatable, CustomStringConvertible {
    public var resource: ProgressResource
    public var action: String
    public var description: String { "\(resource)  \(action)" }
}

extension Orchestrator {
    /// What `up` would do, decided from the same observation and planner as `up` itself,
    /// touching nothing: images pulled or built, networks and volumes created, orphans
    /// removed, and per container keep / start / create / recreate / remove.
    public func planUp(_ project: Project, _ options: UpOptions) async throws(OrchestratorError) -> [PlannedStep] {
        let (order, selected) = try selection(project, options)
        var steps: [PlannedStep] = []
        let imageIDs = resolvedImages(project, services: selected)
        for service in project.services where selected.contains(service.name) {
            let image = Self.imageName(service, project: project)
            let present = { imageIDs[image] != nil }
            if service.build != nil, options.build != .never,
               Self.buildIsDue(service, onlyMissing: options.build == .missing, present: present) {
                steps.append(PlannedStep(resource: .image(image), action: "Build"))
            } else if service.image != nil, Self.pullIsDue(service, policy: options.pull, onlyMissing: true, present: present) {
                steps.append(PlannedStep(resource: .image(image), action: "Pull"))
            }
        }
        let existingNetworks = Set(((try? networks.list()) ?? []).map(\.name))
        for network in project.networks where !network.external && !existingNetworks.contains(network.name) {
            steps.append(PlannedStep(resource: .network(network.name), action: "Create"))
        }
        for volume in project.volumes where !volume.external && (try? volumes.inspect(volume.name)) == nil {
            steps.append(PlannedStep(resource: .volume(volume.name), action: "Create"))
        }
        let existing = try await observe(project: project.name)
        let observed = existing.compactMap(Self.observed)
        let names = Dictionary(existing.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        for orphan in UpPlanner.orphans(observed, services: Set(project.serviceNames)) {
            steps.append(PlannedStep(resource: .container(orphan.name), action: options.removeOrphans ? "Remove" : "Orphan (kept)"))
        }
        var recreated = Set<String>()
        for name in order where selected.contains(name) {
            guard let service = project.service(named: name) else { continue }
            let dependencyRecreated = service.dependsOn.contains { $0.dependency.restart && recreated.contains($0.service) }
            let plan = UpPlanner.plan(service: name, replicas: options.scale[name] ?? service.replicas,
                                      configHash: project.containerConfigHash(of: name) ?? "",
                                      imageID: imageIDs[Self.imageName(service, project: project)],
                                      existing: observed, policy: options.recreate, dependencyRecreated: dependencyRecreated)
            for action in plan.actions {
                let step: (String, String)
                switch action {
                case .keep(let id, _): step = (names[id] ?? id, "Running")
                case .start(let id, _): step = (names[id] ?? id, options.noStart ? "Created" : "Start")
                case .remove(let id, _): step = (names[id] ?? id, "Remove")
                case .recreate(let id, _): step = (names[id] ?? id, "Recreate"); recreated.insert(name)
                case .create(let number):
                    step = (ComposeNaming.container(project: project.name, service: name, number: number, containerName: service.containerName), "Create")
                    recreated.insert(name)
                }
                steps.append(PlannedStep(resource: .container(step.0), action: step.1))
            }
        }
        return steps
    }

    /// What `down` would remove, in the order it would.
    public func planDown(projectName: String, project: Project?, _ options: DownOptions) async throws(OrchestratorError) -> [PlannedStep] {
        let targets = Self.downTargets(try await observe(project: projectName), project: project, options)
        let depth = Self.dependentDepths(project?.dependencyGraph.dependencies ?? [:])
        let level = { (info: ContainerInfo) in depth[info.labels[ComposeLabel.service] ?? ""] ?? Int.max }
        let ordered = targets.sorted { level($0) != level($1) ? level($0) > level($1) : $0.name < $1.name }
        var steps = ordered.map { PlannedStep(resource: .container($0.name), action: "Remove") }
        for record in (try? networks.list()) ?? [] where record.labels[ComposeLabel.project] == projectName {
            steps.append(PlannedStep(resource: .network(record.name), action: "Remove"))
        }
        if options.removeVolumes {
            let external = Set(project?.volumes.filter(\.external).map(\.name) ?? [])
            for volume in volumes.list() where volume.labels[ComposeLabel.project] == projectName && !external.contains(volume.name) {
                steps.append(PlannedStep(resource: .volume(volume.name), action: "Remove"))
            }
        }
        if let removal = options.removeImages, let project {
            for image in Self.imagesToRemove(project, removal) where (try? images.resolve(image)) != nil {
                steps.append(PlannedStep(resource: .image(image), action: "Remove"))
            }
        }
        return steps
    }
}
