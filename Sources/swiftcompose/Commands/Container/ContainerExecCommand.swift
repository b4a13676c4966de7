import ArgumentParser
import Engine
import Foundation
import SystemSupport

struct ContainerExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a command in a running container.")
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("i"), .long], help: "Keep standard input open.") var interactive = false
    @Flag(name: [.customShort("t"), .long], help: "Allocate a pseudo-terminal.") var tty = false
    @Flag(name: [.customShort("d"), .long], help: "Run in the background.") var detach = false
    @Option(name: [.customShort("e"), .long], help: "Set an environment variable (NAME=value).") var env: [String] = []
    @Option(name: [.customShort("u"), .long], help: "User to run as: name|uid[:group|gid].") var user: String?
    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.") var workdir: String?
    @Flag(name: .long, help: "Give the process all capabilities and no seccomp filter.") var privileged = false
    @Argument(help: "The container (name or id).") var container: String
    @Argument(parsing: .captureForPassthrough, help: "COMMAND [ARG...].") var command: [String] = []

    func run() async throws {
        var options = ExecOptions(command: command)
        options.tty = tty
        options.interactive = interactive && !detach
        options.user = user
        options.workingDir = workdir
        options.privileged = privileged
        for entry in env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            options.environment[parts[0]] = parts.count > 1 ? parts[1] : ProcessInfo.processInfo.environment[parts[0]] ?? ""
        }
        do {
            let session = try await engine.service.exec(container, options: options)
            if detach { return }
            throw ExitCode(AttachedTerminal(session: session, tty: tty, interactive: options.interactive).pump())
        } catch let error as EngineError { failAndExit(error) }
    }
}

struct ContainerAttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", abstract: "Attach this terminal to a running container's output, and its input if it keeps stdin open (like docker attach).")
    @OptionGroup var engine: EngineOptions
    @OptionGroup var attach: AttachOptions
    @Argument(help: "The container (name or id).") var container: String

    func run() async throws {
        do {
            let service = engine.service
            let info = try await service.inspect(container)
            let keys = try attach.keys()
            let session = try await service.attach(info.id)
            throw ExitCode(attach.pump(session, spec: info.record.spec, keys: keys))
        } catch let error as EngineError { failAndExit(error) }
    }
}
