import ArgumentParser
import Foundation

@main
struct Swiftcompose: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftcompose",
        abstract: "Run multi-container stacks from compose files, with a built-in container engine.",
        discussion: """
            swiftcompose reads the same compose.yaml that docker compose reads and runs it with \
            its own engine: no Docker daemon, containerd or runc needed.
            """,
        version: SwiftcomposeVersion.current,
        subcommands: [
            UpCommand.self,
            DownCommand.self,
            PsCommand.self,
            LogsCommand.self,
            StartCommand.self,
            StopCommand.self,
            RestartCommand.self,
            KillCommand.self,
            PauseCommand.self,
            UnpauseCommand.self,
            ExecCommand.self,
            AttachCommand.self,
            RunCommand.self,
            CreateCommand.self,
            BuildCommand.self,
            PullCommand.self,
            WaitCommand.self,
            CpCommand.self,
            ScaleCommand.self,
            ExportCommand.self,
            CommitCommand.self,
            StatsCommand.self,
            EventsCommand.self,
            PushCommand.self,
            RmCommand.self,
            TopCommand.self,
            PortCommand.self,
            ImagesCommand.self,
            LsCommand.self,
            ConfigCommand.self,
            ImageCommand.self,
            VolumeCommand.self,
            KubeCommand.self,
            VersionCommand.self,
            CompletionCommand.self,
            LoginCommand.self,
            LogoutCommand.self,
            NetworkCommand.self,
            ContainerCommand.self,
        ]
    )

    /// Synchronous on purpose: an async main ends with pthread_exit on the main thread, and
    /// that forced unwind makes a statically linked binary sort all of its unwind tables
    /// first (~20 ms on every command). The command runs as a task while this thread waits.
    /// This thread takes the process's signals, as dispatch_main's would: whatever mask
    /// the parent left (a test runner's threads block SIGTERM) is cleared, so SIGTERM and
    /// SIGINT act as they should; the pool's threads keep theirs blocked.
    static func main() {
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await runCommandLine()
            finished.signal()
        }
        finished.wait()
        Foundation.exit(0)
    }

    private static func runCommandLine() async {
        let arguments = GlobalArgumentOrder.reorder(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseQuickly(arguments) ?? parseAsRoot(arguments)
            if GlobalArgumentOrder.requestsDryRun(arguments), !(command is DryRunSafe) {
                throw CommandFailure("--dry-run is supported by up, down and the commands that only read; run this one without it")
            }
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            // Not through exit(withError:): for an exit code it prints nothing, but it first
            // reflects the whole command tree to prepare a usage message (~0.5 ms).
            Foundation.exit(code.rawValue)
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("\(failure.message)\n".utf8))
            Foundation.exit(failure.exitCode)
        } catch {
            exit(withError: error)
        }
    }

    /// The command of a plain, valid command line, parsed without the walk through the whole
    /// command tree: `container run …` names its command with its leading words, and only that
    /// command's options need reading. It halves the parsing cost, which is most of the start
    /// of a short command. Anything else (help, a mistake, completion requests) gets nil, and
    /// the full parse that follows answers it with its usual messages.
    private static func parseQuickly(_ arguments: [String]) -> ParsableCommand? {
        var command: ParsableCommand.Type = Swiftcompose.self
        var rest = arguments[...]
        while let word = rest.first, !command.configuration.subcommands.isEmpty {
            guard let next = command.configuration.subcommands.first(where: {
                $0.configuration.commandName == word || $0.configuration.aliases.contains(word)
            }) else { return nil }
            command = next
            rest = rest.dropFirst()
        }
        guard command != Swiftcompose.self, command.configuration.subcommands.isEmpty else { return nil }
        if let quick = command as? QuicklyParsed.Type, let parsed = quick.quickParse(Array(rest)) { return parsed }
        guard let parsed = try? command.parseAsRoot(Array(rest)), type(of: parsed) == command else { return nil }
        return parsed
    }
}
