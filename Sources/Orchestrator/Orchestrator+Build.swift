import ComposeModel
import Engine
import Foundation
import SystemSupport

public struct BuildOptions: Sendable {
    public var services: [String] = []
    public var noCache = false
    /// Pull base images even when the store has them.
    public var pull = false
    /// Build only the services whose image is not in the store yet (what `up` does
    /// without --build), plus those with `pull_policy: build`.
    public var onlyMissing = false
    /// Build-arg overrides from the command line (`build --build-arg`).
    public var buildArgs: [String: String] = [:]
    /// The builder's step-by-step output, per service.
    public var output: (@Sendable (String, BuildEvent) -> Void)?
    public init() {}
}

extension Orchestrator {
    /// The image a service runs: its `image:`, else `<project>-<service>` for a built one.
    static func imageName(_ service: Service, project: Project) -> String {
        service.image ?? "\(project.name)-\(service.name)"
    }

    /// Whether a service with `build:` is built: always, unless `onlyMissing` (what `up`
    /// does) and its image is already there — `pull_policy: build` builds it regardless.
    static func buildIsDue(_ service: Service, onlyMissing: Bool, present: () -> Bool) -> Bool {
        !onlyMissing || service.pullPolicy == "build" || !present()
    }

    /// Builds the images of the project's services that have `build:`, one after another
    /// (a build already uses every core), in dependency order.
    public func build(_ project: Project, _ options: BuildOptions, progress: ProgressReporter = .silent) async throws(OrchestratorError) {
        let order: [String]
        do { order = try project.dependencyOrder() } catch { throw OrchestratorError(error.description) }
        for name in options.services where project.service(named: name) == nil {
            throw OrchestratorError("no such service: \(name)")
        }
        let wanted = options.services.isEmpty ? Set(order) : Set(options.services)
        let builder = ImageBuilder(state: state)
        for name in order where wanted.contains(name) {
            guard let service = project.service(named: name), let build = service.build else { continue }
            let image = Self.imageName(service, project: project)
            if !Self.buildIsDue(service, onlyMissing: options.onlyMissing, present: { (try? images.resolve(image)) != nil }) { continue }
            var request = BuildRequest(context: build.context)
            request.dockerfile = build.dockerfile
            request.dockerfileInline = build.dockerfileInline
            request.buildArgs = build.args.merging(options.buildArgs) { $1 }
            request.target = build.target
            request.labels = build.labels
            request.noCache = build.noCache || options.noCache
            request.pull = build.pull || options.pull
            request.tags = [image] + build.tags
            request.network = build.network
            request.extraHosts = build.extraHosts
            request.shmSize = build.shmSize.map(Int64.init)
            progress.event(.image(image), .working("Building"))
            do {
                let output = options.output
                _ = try await builder.build(request) { event in output?(name, event) }
            } catch {
                progress.event(.image(image), .failed("Error"))
                throw OrchestratorError("service \"\(name)\" failed to build: \(error.message)")
            }
            progress.event(.image(image), .done("Built"))
        }
    }
}
