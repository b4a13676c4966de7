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
        let service = engine.service
        do {
            let spec = try options.spec(image: imageName, command: command, autoRemove: remove)
            let record = try await service.create(spec, image: try options.image(imageName, state: StateRoot.fromEnvironment(root: engine.root)))
            if detach {
                try await service.start(record.id)
                print(record.id)
                return
            }
            let session = try await service.startAttached(record)
            let code = AttachedTerminal(session: session, tty: spec.tty, interactive: spec.openStdin).pump()
            if remove, !detach { try? await service.remove(record.id, force: true) }
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

/// Copies an attach session to this terminal (and this terminal's input to it) until
/// the process exits; returns its exit status.
struct AttachedTerminal {
    let session: AttachSession
    let tty: Bool
    let interactive: Bool

    func pump() -> Int32 {
        var saved = termios()
        let raw = tty && isatty(0) == 1 && tcgetattr(0, &saved) == 0
        if raw {
            var settings = saved
            cfmakeraw(&settings)
            tcsetattr(0, TCSANOW, &settings)
            var size = winsize()
            if ioctl(1, UInt(TIOCGWINSZ), &size) == 0 { session.resize(rows: size.ws_row, columns: size.ws_col) }
        }
        defer { if raw { var restore = saved; tcsetattr(0, TCSANOW, &restore) } }
        if interactive {
            let session = self.session
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 16384)
                while true {
                    let count = read(0, &buffer, buffer.count)
                    if count <= 0 { session.closeStdin(); return }
                    session.send(stdin: Array(buffer[0..<count]))
                }
            }
        }
        var code: Int32 = 125
        while let event = session.next() {
            switch event {
            case .output(let stderr, let bytes):
                _ = bytes.withUnsafeBytes { write(stderr ? 2 : 1, $0.baseAddress, $0.count) }
            case .failed(let failure, let message):
                FileHandle.standardError.write(Data("swiftcompose: \(message)\n".utf8))
                code = failure
            case .exited(let status): code = status
            case .started: break
            }
        }
        return code
    }
}
