import ArgumentParser
import Engine
import Foundation
import SystemSupport

struct ContainerRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Create and start a container, attached to its output unless -d.",
        discussion: "The exit status is the container's; 125 when it could not be created or started, 126 when its command cannot be invoked, 127 when the command is not found."
    )

    @OptionGroup var engine: EngineOptions
    @OptionGroup var options: ContainerRunOptions
    @Flag(name: [.customShort("d"), .long], help: "Run in the background and print the container id.") var detach = false
    @Flag(name: .customLong("rm"), help: "Remove the container when it exits.") var remove = false
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND [ARG...]] (with --rootfs: COMMAND [ARG...]).")
    var arguments: [String] = []

    func run() async throws {
        let arguments = try LeadingFlag.check(arguments, of: self)
        let (imageName, command) = options.rootfs != nil ? (options.rootfs!, arguments) : (arguments.first ?? "", Array(arguments.dropFirst()))
        guard !imageName.isEmpty else { throw ValidationError("give an image (or --rootfs DIR) to run") }
        // Started first, as a task of its own (the spawn waits for the exec): the monitor
        // loads on the other core while the container is made.
        async let monitor = try? PendingMonitor(attached: !detach)
        let service = engine.service
        do {
            let spec = try options.spec(image: imageName, command: command, autoRemove: remove)
            let record = try await service.create(spec, image: try options.image(imageName, state: StateRoot.fromEnvironment(root: engine.root)))
            if detach {
                try await service.start(record, monitor: await monitor)
                print(record.id)
                return
            }
            let session = try await service.startAttached(record, monitor: await monitor)
            let code = AttachedTerminal(session: session, tty: spec.tty, interactive: spec.openStdin).pump()
            // The monitor removes a --rm container before it reports the exit; what never
            // got that far (a failed start) is removed here.
            if remove, !session.heardExit { try? await service.remove(record.id, force: true) }
            throw ExitCode(code)
        } catch let error as EngineError {
            failAndExit(error)
        }
    }
}

struct ContainerCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a container without starting it.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var options: ContainerRunOptions
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND [ARG...]].") var arguments: [String] = []

    func run() async throws {
        let arguments = try LeadingFlag.check(arguments, of: self)
        let (imageName, command) = options.rootfs != nil ? (options.rootfs!, arguments) : (arguments.first ?? "", Array(arguments.dropFirst()))
        do {
            let record = try await engine.service.create(try options.spec(image: imageName, command: command, autoRemove: false),
                                                         image: try options.image(imageName, state: StateRoot.fromEnvironment(root: engine.root)))
            print(record.id)
        } catch let error as EngineError {
            failAndExit(error)
        }
    }
}
