import ArgumentParser
import ComposeModel
import Engine
import Foundation
import Orchestrator

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Create and start the project's containers.",
        discussion: """
            Creates what is missing (networks, volumes, containers), recreates containers whose \
            configuration changed, and starts everything in dependency order. With -d it returns \
            once the containers are started; with --wait, once they are running or healthy.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("d"), .long], help: "Detached mode: run containers in the background.") var detach = false
    @Flag(name: .long, help: "Wait for services to be running or healthy (implies --detach).") var wait = false
    @Option(name: .customLong("wait-timeout"), help: "Maximum seconds to wait with --wait.") var waitTimeout: Double?
    @Flag(name: .customLong("force-recreate"), help: "Recreate containers even if nothing changed.") var forceRecreate = false
    @Flag(name: .customLong("no-recreate"), help: "Do not recreate containers that exist.") var noRecreate = false
    @Flag(name: .customLong("no-deps"), help: "Do not start linked services.") var noDeps = false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers of services no longer in the file.") var removeOrphans = false
    @Option(name: .long, help: ArgumentHelp("Scale a service (SERVICE=NUM); overrides scale in the file.", valueName: "SERVICE=NUM")) var scale: [String] = []
    @Flag(name: .customLong("no-start"), help: "Create but do not start.") var noStart = false
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait for a container to stop when recreating.") var timeout: Int?
    @Flag(name: .customLong("build"), help: "Build images before starting containers.") var build = false
    @Flag(name: [.customShort("V"), .customLong("renew-anon-volumes")], help: "Recreate anonymous volumes instead of keeping the data of the previous containers.")
    var renewAnonVolumes = false
    @Flag(name: .customLong("no-build"), help: "Do not build images, even when they are missing.") var noBuild = false
    @Flag(name: .customLong("abort-on-container-exit"), help: "Stop all containers when one exits (attached mode).") var abortOnContainerExit = false
    @Option(name: .customLong("exit-code-from"), help: "Exit with this service's exit code (implies --abort-on-container-exit).") var exitCodeFrom: String?
    @Argument(help: "Services to start (default: all).") var services: [String] = []

    func run() async throws {
        guard !(build && noBuild) else { throw ValidationError("--build and --no-build cannot be used together") }
        guard !(forceRecreate && noRecreate) else { throw ValidationError("--force-recreate and --no-recreate cannot be used together") }
        guard !(detach && (abortOnContainerExit || exitCodeFrom != nil)) else {
            throw ValidationError("--abort-on-container-exit and --exit-code-from need attached mode; drop -d")
        }
        let project = try global.loadProject()
        var options = UpOptions()
        options.services = services
        options.noDeps = noDeps
        options.recreate = RecreatePolicy(force: forceRecreate, never: noRecreate)
        options.removeOrphans = removeOrphans
        options.noStart = noStart
        options.wait = wait
        options.waitTimeout = waitTimeout
        options.stopTimeout = timeout
        options.build = build ? .always : noBuild ? .never : .missing
        options.renewAnonymousVolumes = renewAnonVolumes
        options.buildOutput = global.buildOutput()
        for entry in scale {
            let parts = entry.split(separator: "=").map(String.init)
            guard parts.count == 2, let count = Int(parts[1]), count >= 0 else { throw ValidationError("--scale \(entry): write SERVICE=NUM") }
            options.scale[parts[0]] = count
        }
        let orchestrator = global.orchestrator
        do {
            try await orchestrator.up(project, options, progress: global.progressReporter())
        } catch {
            throw error.failure
        }
        if detach || wait || noStart { return }
        var attached = AttachedLogs(orchestrator: orchestrator, project: project, services: services)
        attached.abortOnExit = abortOnContainerExit
        attached.exitCodeFrom = exitCodeFrom
        let code = try await attached.run()
        if code != 0 { throw ExitCode(code) }
    }
}

struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop and remove the project's containers and networks (and volumes with -v)."
    )
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("v"), .long], help: "Also remove named volumes declared in the file and anonymous volumes.") var volumes = false
    @Flag(name: .customLong("remove-orphans"), help: "Also remove containers of services no longer in the file.") var removeOrphans = false
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait for each container to stop.") var timeout: Int?

    func run() async throws {
        let project = try? global.loadProject()
        guard let name = project?.name ?? global.projectNameOnly() else {
            _ = try global.loadProject()
            return
        }
        var options = DownOptions()
        options.removeVolumes = volumes
        options.removeOrphans = removeOrphans
        options.timeout = timeout
        do {
            try await global.orchestrator.down(projectName: name, project: project, options, progress: global.progressReporter())
        } catch {
            throw error.failure
        }
    }
}
