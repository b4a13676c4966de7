import ArgumentParser

/// `captureForPassthrough` takes everything from the first input it does not know, flags
/// included, so a mistyped flag or `--help` before the image would be taken for the image.
/// As with `docker run`, a flag before the image is refused (or answered with help), and a
/// `--` before it only ends the flags. The refusal is Docker's: its words, exit code 125.
enum LeadingFlag {
    static func check(_ arguments: [String], of command: ParsableCommand) throws -> [String] {
        guard let first = arguments.first, first.hasPrefix("-"), first != "-" else { return arguments }
        if first == "--" { return Array(arguments.dropFirst()) }
        if first == "--help" || first == "-h" { throw CleanExit.helpRequest(command) }
        let name = "swiftcompose container " + type(of: command).configuration.commandName!
        throw CommandFailure("unknown flag: \(first)\nSee '\(name) --help'.", exitCode: 125)
    }
}
