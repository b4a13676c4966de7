import Foundation

/// Loads a compose project the way docker compose v2 does: finds the files, reads the
/// environment, parses, interpolates, applies `extends` and `include`, merges the files,
/// turns short syntax into long, validates, normalizes, applies profiles and folds
/// `env_file` into `environment`.
public enum ProjectLoader {
    public static func load(_ options: LoadOptions) throws(ComposeError) -> Project {
        var warnings: [String] = []
        let files = try configFiles(options)
        let projectDirectory = Paths.absolute(options.projectDirectory ?? Paths.directory(of: files.first?.path ?? options.workingDirectory + "/x"),
                                              base: options.workingDirectory, home: options.environment["HOME"])
        var environment = try Self.environment(options, projectDirectory: projectDirectory)
        let unset = UnsetVariables()
        let interpolator = Interpolator(lookup: { environment[$0] }, onUnset: { unset.add($0) })

        var documents: [(file: ConfigFileSource, node: ConfigNode)] = []
        for file in files {
            for document in try YAMLReader.documents(file.content, file: file.displayName) {
                documents.append((file, document))
            }
        }
        let name = try projectName(options, documents: documents.map(\.node), interpolator: interpolator,
                                   environment: environment, projectDirectory: projectDirectory)
        environment["COMPOSE_PROJECT_NAME"] = name
        let finalEnvironment = environment
        let nameAwareInterpolator = Interpolator(lookup: { finalEnvironment[$0] }, onUnset: { unset.add($0) })

        var merged = ConfigNode(.object(ConfigObject()))
        let context = DocumentContext(interpolator: options.interpolate ? nameAwareInterpolator : nil,
                                      environment: finalEnvironment, home: options.environment["HOME"],
                                      projectDirectory: projectDirectory)
        for (file, document) in documents {
            guard document.object != nil || document.isNull else {
                throw ComposeError(.invalidType, "the top level of a compose file must be a mapping, not \(document.typeName)", at: document.position)
            }
            if document.isNull { continue }
            var node = try context.prepare(document, file: file.path)
            node = try Includes.apply(node, context: context, file: file.path, options: options, chain: [file.path])
            merged = try ComposeMerge.merge(merged, node)
        }
        guard let root = merged.object, !root.isEmpty else {
            throw ComposeError(.missingRequired, "empty compose file", at: documents.first?.node.position ?? files.first.map { SourcePosition(file: $0.displayName, line: 1, column: 1) },
                               hint: "define at least one service under services:")
        }
        if root["version"] != nil {
            warnings.append("the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion")
        }
        var tree = try Canonical.apply(merged)
        tree = try Unicity.apply(tree)
        var coercion = Coercion()
        tree = try coercion.object(tree, ComposeSchema.project, path: [])
        if var object = tree.object {
            object["version"] = nil
            object["include"] = nil
            if object["services"] == nil { object["services"] = .object(ConfigObject()) }
            tree = .object(object, at: tree.position)
        }
        if options.resolvePaths {
            tree = Paths.resolve(tree, base: projectDirectory, home: options.environment["HOME"])
        }
        tree = Normalize.apply(tree, projectName: name, environment: finalEnvironment)
        let (enabled, disabled, allProfiles) = try Profiles.apply(tree, active: activeProfiles(options, environment: finalEnvironment))
        tree = UnusedResources.remove(enabled)
        // docker compose hashes services before env_file is folded into environment.
        let unresolvedServices = tree["services"] ?? .object(ConfigObject())
        tree = try ServiceEnvironment.resolve(tree, environment: finalEnvironment, interpolate: options.interpolate)
        try Consistency.check(tree)
        if var object = tree.object {
            object["name"] = .string(name)
            tree = .object(object, at: tree.position)
        }
        for variable in unset.names {
            warnings.append("The \"\(variable)\" variable is not set. Defaulting to a blank string.")
        }
        var project = Project(name: name, workingDirectory: projectDirectory, configFiles: files.map(\.path),
                              environment: finalEnvironment, model: tree, disabledServices: disabled,
                              ignoredAttributes: coercion.ignored, warnings: warnings)
        project.allProfiles = allProfiles
        project.unresolvedServices = unresolvedServices
        return project
    }

    struct ConfigFileSource {
        var path: String
        var displayName: String
        var content: String
    }

    private static func configFiles(_ options: LoadOptions) throws(ComposeError) -> [ConfigFileSource] {
        var names = options.files
        if names.isEmpty, let fromEnvironment = options.environment["COMPOSE_FILE"], !fromEnvironment.isEmpty {
            let separator = options.environment["COMPOSE_PATH_SEPARATOR"] ?? ":"
            names = fromEnvironment.components(separatedBy: separator).filter { !$0.isEmpty }
        }
        if names.isEmpty {
            let start = options.projectDirectory.map { Paths.absolute($0, base: options.workingDirectory, home: nil) } ?? options.workingDirectory
            guard let found = ComposeFileNames.discover(from: start) else {
                throw ComposeError(.fileNotFound, "no configuration file provided: not found",
                                   hint: "create a compose.yaml in \(start) or a parent directory, or name one with -f")
            }
            names = found
        }
        var sources: [ConfigFileSource] = []
        for name in names {
            if name == "-" {
                let path = Paths.join(options.projectDirectory.map { Paths.absolute($0, base: options.workingDirectory, home: nil) } ?? options.workingDirectory, "-")
                sources.append(ConfigFileSource(path: path, displayName: "(stdin)", content: options.standardInput ?? ""))
                continue
            }
            let path = Paths.absolute(name, base: options.workingDirectory, home: options.environment["HOME"])
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ComposeError(.fileNotFound, "open \(path): no such file or directory", hint: "check the path given with -f or COMPOSE_FILE")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ComposeError(.yaml, "\(path) is not UTF-8 text")
            }
            sources.append(ConfigFileSource(path: path, displayName: name.hasPrefix("/") ? path : name, content: text))
        }
        return sources
    }

    /// .env (or --env-file) values, overridden by the shell environment.
    static func environment(_ options: LoadOptions, projectDirectory: String) throws(ComposeError) -> [String: String] {
        var files = options.envFiles.map { Paths.absolute($0, base: options.workingDirectory, home: options.environment["HOME"]) }
        let explicit = !files.isEmpty
        if !explicit { files = [projectDirectory + "/.env"] }
        var values: [String: String] = [:]
        for file in files {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
                if explicit {
                    throw ComposeError(.fileNotFound, "couldn't find env file: \(file)", hint: "check the path given with --env-file")
                }
                continue
            }
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw ComposeError(.io, "cannot read env file \(file)")
            }
            let known = values
            do throws(DotEnv.Failure) {
                for (key, value) in try DotEnv.parse(text, lookup: { options.environment[$0] ?? known[$0] }) {
                    values[key] = value
                }
            } catch {
                throw ComposeError(.invalidValue, "failed to read \(file): \(error.message)", at: SourcePosition(file: file, line: error.line, column: 1))
            }
        }
        for (key, value) in options.environment { values[key] = value }
        return values
    }

    private static func projectName(_ options: LoadOptions, documents: [ConfigNode], interpolator: Interpolator,
                                    environment: [String: String], projectDirectory: String) throws(ComposeError) -> String {
        if let explicit = options.projectName ?? environment["COMPOSE_PROJECT_NAME"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard ProjectName.isValid(explicit) else {
                throw ComposeError(.invalidProjectName, "invalid project name \"\(explicit)\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number",
                                   hint: "try \"\(ProjectName.normalize(explicit))\"")
            }
            return explicit
        }
        var fromFile: String?
        for document in documents {
            if let name = document["name"], let text = name.scalarText, !text.isEmpty {
                var value = text
                if options.interpolate {
                    do { value = try interpolator.substitute(text) } catch {
                        throw ComposeError(.interpolation, error.message, at: name.position, path: "name", hint: error.hint)
                    }
                }
                let normalized = ProjectName.normalize(value)
                if !normalized.isEmpty { fromFile = normalized }
            }
        }
        if let fromFile { return fromFile }
        let directoryName = ProjectName.normalize(projectDirectory.split(separator: "/").last.map(String.init) ?? "")
        guard !directoryName.isEmpty else {
            throw ComposeError(.invalidProjectName, "project name must not be empty",
                               hint: "set one with -p, COMPOSE_PROJECT_NAME or a top-level name: attribute")
        }
        return directoryName
    }

    private static func activeProfiles(_ options: LoadOptions, environment: [String: String]) -> Set<String> {
        var profiles = Set(options.profiles.flatMap { $0.split(separator: ",").map(String.init) })
        if profiles.isEmpty, let fromEnvironment = environment["COMPOSE_PROFILES"] {
            profiles = Set(fromEnvironment.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        return profiles
    }
}

/// Collects the names of variables used but not set, once each, in first-use order.
final class UnsetVariables: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String] = []

    func add(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        if !seen.contains(name) { seen.append(name) }
    }

    var names: [String] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }
}

/// What each document goes through before it is merged: interpolation, then `extends`.
struct DocumentContext {
    var interpolator: Interpolator?
    var environment: [String: String]
    var home: String?
    var projectDirectory: String

    func prepare(_ document: ConfigNode, file: String) throws(ComposeError) -> ConfigNode {
        var node = document
        if let interpolator { node = try DocumentInterpolation.apply(node, interpolator) }
        return try Extends.apply(node, file: file, context: self)
    }
}
