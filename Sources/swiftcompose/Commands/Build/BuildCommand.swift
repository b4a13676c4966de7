import ArgumentParser
import ComposeModel
import Engine
import Foundation
import Orchestrator

/// `swiftcompose build`: builds the images of the services that have `build:`.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the images of services that have a build section.",
        discussion: "Images are named by the service's image: attribute, else <project>-<service>."
    )
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("no-cache"), help: "Do not use the build cache.") var noCache = false
    @Flag(name: .long, help: "Pull base images even when the store has them.") var pull = false
    @Option(name: .customLong("build-arg"), help: "Set a build argument KEY=VALUE for every service.") var buildArgs: [String] = []
    @Flag(name: [.customShort("q"), .long], help: "Do not print the build steps.") var quiet = false
    @Argument(help: "Services to build (default: all with a build section).") var services: [String] = []

    func run() async throws {
        let project = try global.loadProject()
        var options = BuildOptions()
        options.services = services
        options.noCache = noCache
        options.pull = pull
        options.buildArgs = try ImageBuildCommand.keyValues(buildArgs, option: "--build-arg", environment: true)
        options.output = quiet ? nil : global.buildOutput()
        do {
            try await global.orchestrator.build(project, options, progress: global.progressReporter())
        } catch {
            throw error.failure
        }
    }
}

extension GlobalOptions {
    /// Build steps of several services, each line prefixed by its service.
    func buildOutput() -> (@Sendable (String, BuildEvent) -> Void)? {
        guard progress != "quiet" else { return nil }
        let printers = ServicePrinters()
        return { service, event in printers.printer(for: service)(event) }
    }
}

private final class ServicePrinters: @unchecked Sendable {
    private let lock = NSLock()
    private var printers: [String: @Sendable (BuildEvent) -> Void] = [:]

    func printer(for service: String) -> @Sendable (BuildEvent) -> Void {
        lock.withLock {
            if let printer = printers[service] { return printer }
            let printer = BuildOutput.printer(prefix: "[\(service)] ")
            printers[service] = printer
            return printer
        }
    }
}
