import ArgumentParser
import ComposeModel
import Foundation

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Parse, resolve and render the compose file in canonical form.",
        discussion: """
            Prints the project as swiftcompose (and docker compose) understands it: every \
            variable interpolated, every file merged, short syntax written out in long form. \
            Errors name the file, line and column.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Output format: yaml or json.")
    var format: String = "yaml"

    @Flag(name: .long, help: "Print the service names, one per line.")
    var services = false

    @Flag(name: .long, help: "Print the volume names, one per line.")
    var volumes = false

    @Flag(name: .long, help: "Print the network names, one per line.")
    var networks = false

    @Flag(name: .long, help: "Print the profile names, one per line.")
    var profiles = false

    @Flag(name: .long, help: "Print the image names, one per line.")
    var images = false

    @Option(name: .long, help: ArgumentHelp("Print the config hash of these services ('*' for all).", valueName: "services"))
    var hash: String?

    @Flag(name: [.short, .customLong("quiet")], help: "Only validate the configuration; print nothing.")
    var quiet = false

    @Flag(name: .customLong("no-interpolate"), help: "Do not substitute ${VARIABLES}.")
    var noInterpolate = false

    @Flag(name: .customLong("no-path-resolution"), help: "Keep relative paths as written.")
    var noPathResolution = false

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the result to this file.", valueName: "file"))
    var output: String?

    @Argument(help: "Only these services (and what they depend on).")
    var serviceNames: [String] = []

    func run() throws {
        guard ["yaml", "json"].contains(format) else {
            throw ValidationError("unsupported format \"\(format)\": use yaml or json")
        }
        var project = try global.loadProject(interpolate: !noInterpolate, resolvePaths: !noPathResolution)
        if !serviceNames.isEmpty { project = try ProjectSelection.restrict(project, to: serviceNames) }
        if quiet { return }
        let text: String
        if services {
            text = project.serviceNames.joined(separator: "\n")
        } else if volumes {
            text = project.volumes.map(\.key).joined(separator: "\n")
        } else if networks {
            text = project.networks.map(\.key).joined(separator: "\n")
        } else if profiles {
            text = project.allProfiles.joined(separator: "\n")
        } else if images {
            text = project.services.map { $0.image ?? "\(project.name)-\($0.name)" }.joined(separator: "\n")
        } else if let hash {
            let wanted = hash == "*" ? project.serviceNames : hash.split(separator: ",").map(String.init)
            var lines: [String] = []
            for name in wanted.sorted() {
                guard let digest = project.configHash(of: name) else {
                    throw CommandFailure("no such service: \(name)", exitCode: 1)
                }
                lines.append("\(name) \(digest)")
            }
            text = lines.joined(separator: "\n")
        } else {
            text = format == "json" ? project.json() : project.yaml()
        }
        let rendered = text.hasSuffix("\n") || text.isEmpty ? text : text + "\n"
        if let output {
            try Data(rendered.utf8).write(to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(Data(rendered.utf8))
        }
    }
}

/// `config web db`: the named services and the services they depend on.
enum ProjectSelection {
    static func restrict(_ project: Project, to names: [String]) throws -> Project {
        for name in names where project.service(named: name) == nil {
            throw CommandFailure("no such service: \(name)", exitCode: 1)
        }
        let keep = project.dependencyGraph.closure(of: names)
        var copy = project
        if var root = copy.model.object, var services = root["services"]?.object {
            for name in services.keys where !keep.contains(name) { services[name] = nil }
            root["services"] = .object(services)
            copy.model = .object(root)
        }
        return copy
    }
}
