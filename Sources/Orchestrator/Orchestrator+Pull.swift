import ComposeModel
import Engine
import Foundation
import SystemSupport

public struct PullOptions: Sendable {
    public var services: [String] = []
    /// Go on with the other services when one cannot be pulled.
    public var ignoreFailures = false
    /// Pull only images missing from the store (what `up` does), honouring `pull_policy`.
    public var onlyMissing = false
    /// `up --pull`: always, missing or never, in place of each service's pull_policy.
    public var policy: String?
    public init() {}
}

extension Orchestrator {
    /// Whether a service's image is pulled: never with `pull_policy: never` or `build` (or
    /// `policy`, up's --pull, in its place); with `onlyMissing` (what `up` does) only for
    /// services without `build:`, and only when the image is missing or the policy is always.
    static func pullIsDue(_ service: Service, policy override: String?, onlyMissing: Bool, present: () -> Bool) -> Bool {
        let policy = override ?? service.pullPolicy ?? "missing"
        if ["never", "build"].contains(policy) { return false }
        guard onlyMissing else { return true }
        return service.build == nil && (policy == "always" || !present())
    }

    /// Pulls the images of the project's services, in parallel. `pull_policy: never` and
    /// `build` are never pulled; services with `build:` are built, not pulled, by `up`.
    public func pull(_ project: Project, _ options: PullOptions, progress: ProgressReporter = .silent) async throws(OrchestratorError) {
        for name in options.services where project.service(named: name) == nil {
            throw OrchestratorError("no such service: \(name)")
        }
        let wanted = options.services.isEmpty ? Set(project.serviceNames) : Set(options.services)
        var images = Set<String>()
        var present: [String: Bool] = [:]
        for service in project.services where wanted.contains(service.name) {
            guard let image = service.image else { continue }
            let due = Self.pullIsDue(service, policy: options.policy, onlyMissing: options.onlyMissing) {
                let found = present[image] ?? ((try? self.images.resolve(image)) != nil)
                present[image] = found
                return found
            }
            if due { images.insert(image) }
        }
        let store = self.images
        let failures: [(String, EngineError)] = await withTaskGroup(of: (String, EngineError?).self) { group in
            for image in images.sorted() {
                group.addTask {
                    progress.event(.image(image), .working("Pulling"))
                    do throws(EngineError) {
                        _ = try await store.pull(image)
                        progress.event(.image(image), .done("Pulled"))
                        return (image, nil)
                    } catch {
                        progress.event(.image(image), .failed("Error"))
                        return (image, error)
                    }
                }
            }
            var failed: [(String, EngineError)] = []
            for await (image, error) in group { if let error { failed.append((image, error)) } }
            return failed
        }
        if let (image, error) = failures.first, !options.ignoreFailures {
            throw OrchestratorError("cannot pull \(image): \(error.message)")
        }
    }
}

extension Orchestrator {
    /// Pushes the images of services that name one, one after another.
    public func push(_ project: Project, services: [String], ignoreFailures: Bool, progress: ProgressReporter = .silent) async throws(OrchestratorError) {
        for service in project.services where services.isEmpty || services.contains(service.name) {
            guard let image = service.image else { continue }
            progress.event(.image(image), .working("Pushing"))
            do {
                _ = try await images.push(image)
                progress.event(.image(image), .done("Pushed"))
            } catch {
                progress.event(.image(image), .failed("Error"))
                if !ignoreFailures { throw OrchestratorError("cannot push \(image): \(error.message)") }
            }
        }
    }
}
