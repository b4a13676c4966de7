import ArgumentParser
import Foundation
import Orchestrator

/// The options docker compose accepts on every compose command (`-f`, `-p`, …).
/// Each compose command includes them with `@OptionGroup var global: GlobalOptions`.
struct GlobalOptions: ParsableArguments {
    // `-f` is accepted too: GlobalArgumentOrder turns it into --file, except after `logs`,
    // where docker compose reads -f as --follow.
    @Option(name: [.customLong("file")],
            help: ArgumentHelp("Compose file to read (repeatable; '-' reads standard input).", valueName: "file"))
    var file: [String] = []

    @Option(name: [.customShort("p"), .customLong("project-name")],
            help: ArgumentHelp("Project name (default: the top-level 'name:' or the directory's name).", valueName: "name"))
    var projectName: String?

    @Option(name: .customLong("project-directory"),
            help: ArgumentHelp("Directory that relative paths are resolved from (default: the first file's directory).", valueName: "dir"))
    var projectDirectory: String?

    @Option(name: .customLong("profile"), help: ArgumentHelp("Enable services of this profile (repeatable).", valueName: "profile"))
    var profile: [String] = []

    @Option(name: .customLong("env-file"), help: ArgumentHelp("Read variables from this file instead of .env (repeatable).", valueName: "file"))
    var envFile: [String] = []

    @Option(name: .customLong("progress"), help: ArgumentHelp("Progress output: auto, tty, plain, json or quiet.", valueName: "type"))
    var progress: String = "auto"

    @Option(name: .customLong("ansi"), help: ArgumentHelp("Colours and cursor control: never, always or auto.", valueName: "when"))
    var ansi: String = "auto"

    @Flag(name: .customLong("dry-run"), help: "Print what up or down would do, and do nothing.")
    var dryRun = false

    @Option(name: .customLong("root"), help: ArgumentHelp("Engine state directory (default: $SWIFTCOMPOSE_ROOT or /var/lib/swiftcompose).", valueName: "dir"))
    var root: String?

}

/// docker compose takes its global options before the command (`-f a.yml up -d`);
/// argument-parser only reads a command's options after its name. This moves every
/// global option found before the first command word to just after it.
enum GlobalArgumentOrder {
    static let optionsWithValue: Set<String> = [
        "-f", "--file", "-p", "--project-name", "--project-directory", "--profile",
        "--env-file", "--progress", "--ansi", "--root",
    ]
    static let flags: Set<String> = ["--dry-run"]

    /// Compose commands where a `-f` after the command name still means `--file` (those
    /// with a `-f` of their own — `logs -f`, `rm -f`, `container rm -f` — are left alone).
    static let commandsReadingShortFAsFile: Set<String> = [
        "up", "down", "ps", "config", "start", "stop", "restart", "kill", "pause", "unpause",
        "exec", "run", "create", "top", "port", "images",
    ]

    /// `run` and `exec` end with the one-off's own command line (`exec web tail -f x`): only
    /// the options before the service are theirs. These of their options take a value.
    static let optionsWithValueBeforeService: [String: Set<String>] = [
        "run": ["-e", "--env", "-u", "--user", "-w", "--workdir", "--entrypoint", "--name", "--publish", "-v", "--volume",
                "-l", "--label", "--pull"],
        "exec": ["-e", "--env", "-u", "--user", "-w", "--workdir", "--index"],
    ]

    static func reorder(_ arguments: [String]) -> [String] {
        var moved = moveGlobals(arguments)
        guard let command = moved.first else { return moved }
        let end = optionsEnd(moved)
        // After `run`, -p is --publish: the global -p goes before the command, where
        // moveGlobals spelled it --project-name.
        if command == "run" { for index in 1..<end where moved[index] == "-p" { moved[index] = "--publish" } }
        guard commandsReadingShortFAsFile.contains(command) else { return moved }
        for index in 1..<end where moved[index] == "-f" { moved[index] = "--file" }
        return moved
    }

    /// Whether `--dry-run` was asked of swiftcompose (reordered arguments), not of the
    /// command line a `run` or `exec` passes on (`run web echo --dry-run`).
    static func requestsDryRun(_ reordered: [String]) -> Bool {
        reordered[..<optionsEnd(reordered)].contains("--dry-run")
    }

    /// Where the command's own options end in reordered arguments: before the service of
    /// `run` and `exec`, whose own command line follows; at the end for other commands.
    private static func optionsEnd(_ moved: [String]) -> Int {
        guard let command = moved.first, let valued = optionsWithValueBeforeService[command] else { return moved.count }
        var end = 1
        while end < moved.count, moved[end].hasPrefix("-") {
            let name = moved[end]
            end += (valued.contains(name) || optionsWithValue.contains(name) || (command == "run" && name == "-p")) ? 2 : 1
        }
        return min(end, moved.count)
    }

    private static func moveGlobals(_ arguments: [String]) -> [String] {
        var globals: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if optionsWithValue.contains(name) {
                let spelled = name == "-f" ? "--file" + argument.dropFirst(2) : name == "-p" ? "--project-name" + argument.dropFirst(2) : argument
                globals.append(spelled)
                if !argument.contains("="), index + 1 < arguments.count {
                    globals.append(arguments[index + 1])
                    index += 1
                }
            } else if flags.contains(argument) {
                globals.append(argument)
            } else {
                break
            }
            index += 1
        }
        guard !globals.isEmpty, index < arguments.count else { return arguments }
        return [arguments[index]] + globals + arguments[(index + 1)...]
    }
}

/// Commands that honour `--dry-run`: `up` and `down` print their plan, and those that only
/// read change nothing anyway. Any other command refuses the flag rather than act for real.
protocol DryRunSafe {}
extension UpCommand: DryRunSafe {}
extension DownCommand: DryRunSafe {}
extension PsCommand: DryRunSafe {}
extension LogsCommand: DryRunSafe {}
extension TopCommand: DryRunSafe {}
extension PortCommand: DryRunSafe {}
extension ImagesCommand: DryRunSafe {}
extension LsCommand: DryRunSafe {}
extension ConfigCommand: DryRunSafe {}
extension VersionCommand: DryRunSafe {}
extension StatsCommand: DryRunSafe {}
extension EventsCommand: DryRunSafe {}

extension GlobalOptions {
    /// Prints a plan as docker compose's dry run does, on standard error.
    func printDryRun(_ steps: [PlannedStep]) {
        let text = steps.map { "DRY-RUN MODE -  \($0)\n" }.joined()
        FileHandle.standardError.write(Data((steps.isEmpty ? "DRY-RUN MODE -  nothing to do\n" : text).utf8))
    }

    /// Whether to colour what goes to `fd`: on a terminal (or `--ansi always`), never with
    /// `--no-color` or `--ansi never`.
    func colours(_ fd: Int32 = 1, noColor: Bool = false) -> Bool {
        !noColor && ansi != "never" && (ansi == "always" || isatty(fd) != 0)
    }
}
