import ArgumentParser

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

    @Flag(name: .customLong("dry-run"), help: "Not supported yet: refused rather than acting for real.")
    var dryRun = false

    @Option(name: .customLong("root"), help: ArgumentHelp("Engine state directory (default: $SWIFTCOMPOSE_ROOT or /var/lib/swiftcompose).", valueName: "dir"))
    var root: String?

    func validate() throws {
        if dryRun {
            throw ValidationError("--dry-run is not supported yet (swiftcompose would act for real); run without it")
        }
    }
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

    static func reorder(_ arguments: [String]) -> [String] {
        let moved = moveGlobals(arguments)
        guard let command = moved.first, commandsReadingShortFAsFile.contains(command) else { return moved }
        return moved.map { $0 == "-f" ? "--file" : $0 }
    }

    private static func moveGlobals(_ arguments: [String]) -> [String] {
        var globals: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if optionsWithValue.contains(name) {
                globals.append(name == "-f" ? "--file" + argument.dropFirst(2) : argument)
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
