import ArgumentParser
import ComposeModel
import Engine
import Orchestrator

/// `swiftcompose pull`: the images of the project's services.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull the images of services.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("ignore-pull-failures"), help: "Pull what can be pulled and ignore the rest.") var ignoreFailures = false
    @Flag(name: [.customShort("q"), .long], help: "Do not print progress.") var quiet = false
    @Argument(help: "Services to pull (default: all).") var services: [String] = []

    func run() async throws {
        let project = try global.loadProject()
        var options = PullOptions()
        options.services = services
        options.ignoreFailures = ignoreFailures
        do {
            try await global.orchestrator.pull(project, options, progress: quiet ? .silent : global.progressReporter())
        } catch {
            throw error.failure
        }
    }
}

/// `swiftcompose push`: the images of services that name one (built ones, typically).
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Push the images of services to their registries.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("ignore-push-failures"), help: "Push what can be pushed and ignore the rest.") var ignoreFailures = false
    @Flag(name: [.customShort("q"), .long], help: "Do not print progress.") var quiet = false
    @Argument(help: "Services to push (default: all with an image name).") var services: [String] = []

    func run() async throws {
        let project = try global.loadProject()
        do {
            try await global.orchestrator.push(project, services: services, ignoreFailures: ignoreFailures,
                                               progress: quiet ? .silent : global.progressReporter())
        } catch {
            throw error.failure
        }
    }
}
