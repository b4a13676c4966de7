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
    @Flag(name: .customLong("abort-on-container-failure"), help: "Stop all containers when one exits with a non-zero code (attached mode).") var abortOnContainerFailure = false
    @Option(name: .customLong("exit-code-from"), help: "Exit with this service's exit code (implies --abort-on-container-exit).") var exitCodeFrom: String?
    @Option(name: .long, help: ArgumentHelp("Pull images: always, missing or never (default: each service's pull_policy).", valueName: "policy")) var pull: String?
    @Option(name: .long, help: ArgumentHelp("Show only this service's output (repeatable).", valueName: "service")) var attach: [String] = []
    @Option(name: .customLong("no-attach"), help: ArgumentHelp("Do not show this service's output (repeatable).", valueName: "service")) var noAttach: [String] = []
    @Flag(name: .long, help: "Show timestamps in the output.") var timestamps = false
    @Flag(name: .customLong("no-color"), help: "Do not colour the output's prefixes.") var noColor = false
    @Flag(name: .customLong("no-log-prefix"), help: "Do not prefix the output with the container's name.") var noLogPrefix = false
    @Argument(help: "Services to start (default: all).") var services: [String] = []

    func run() async throws {
        if let pull, !["always", "missing", "never"].contains(pull) {
            throw ValidationError("--pull \(pull): use always, missing or never")
        }
        guard !(build && noBuild) else { throw ValidationError("--build and --no-build cannot be used together") }
        guard !(forceRecreate && noRecreate) else { throw ValidationError("--force-recreate and --no-recreate cannot be used together") }
        guard !(detach && (abortOnContainerExit || abortOnContainerFailure || exitCodeFrom != nil)) else {
            throw ValidationError("--abort-on-container-exit, --abort-on-container-failure and --exit-code-from need attached mode; drop -d")
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
        options.pull = pull
        options.buildOutput = global.buildOutput()
        options.scale = try ScaleArgument.parse(scale, flag: "--scale ")
        let orchestrator = global.orchestrator
        if global.dryRun {
            do { global.printDryRun(try await orchestrator.planUp(project, options)) } catch { throw error.failure }
            return
        }
        do {
            try await orchestrator.up(project, options, progress: global.progressReporter())
        } catch {
            throw error.failure
        }
        if detach || wait || noStart { return }
        var attached = AttachedLogs(orchestrator: orchestrator, project: project, services: services)
        attached.abortOnExit = abortOnContainerExit
        attached.abortOnFailure = abortOnContainerFailure
        attached.exitCodeFrom = exitCodeFrom
        attached.attach = attach.isEmpty ? nil : attach
        attached.noAttach = noAttach
        attached.timestamps = timestamps
        attached.prefix = !noLogPrefix
        attached.colour = global.colours(noColor: noColor)
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
    @Option(name: .long, help: ArgumentHelp("Also remove images: all (every service's) or local (those built for services without image:).", valueName: "type"))
    var rmi: String?

    func run() async throws {
        let removeImages = try rmi.map { value in
            guard let removal = ImageRemoval(rawValue: value) else { throw ValidationError("--rmi \(value): use all or local") }
            return removal
        }
        let project = try? global.loadProject()
        guard let name = project?.name ?? global.projectNameOnly() else {
            _ = try global.loadProject()
            return
        }
        var options = DownOptions()
        options.removeVolumes = volumes
        options.removeOrphans = removeOrphans
        options.timeout = timeout
        options.removeImages = removeImages
        if global.dryRun {
            do { global.printDryRun(try await global.orchestrator.planDown(projectName: name, project: project, options)) } catch { throw error.failure }
            return
        }
        do {
            try await global.orchestrator.down(projectName: name, project: project, options, progress: global.progressReporter())
        } catch {
            throw error.failure
        }
    }
}

/// `SERVICE=NUM` arguments (`up --scale`, `scale`): the count per service.
enum ScaleArgument {
    static func parse(_ entries: [String], flag: String = "") throws -> [String: Int] {
        var scale: [String: Int] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=").map(String.init)
            guard parts.count == 2, let count = Int(parts[1]), count >= 0 else { throw ValidationError("\(flag)\(entry): write SERVICE=NUM") }
            scale[parts[0]] = count
        }
        return scale
    }
}
