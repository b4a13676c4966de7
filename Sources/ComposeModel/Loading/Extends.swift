import Foundation

/// `extends:` — a service starts from another service (in the same file or another one)
/// and overrides it with its own attributes, by the same rules as multi-file merging.
enum Extends {
    static func apply(_ document: ConfigNode, file: String, context: DocumentContext) throws(ComposeError) -> ConfigNode {
        guard var root = document.object, let services = root["services"]?.object else { return document }
        var resolved = services
        for entry in services.entries {
            resolved[entry.key] = try resolve(entry.key, in: services, file: file, context: context, chain: [])
        }
        root["services"] = .object(resolved, at: root["services"]?.position)
        return .object(root, at: document.position)
    }

    private static func resolve(_ name: String, in services: ConfigObject, file: String, context: DocumentContext,
                                chain: [String]) throws(ComposeError) -> ConfigNode {
        guard let service = services[name] else { return .null }
        guard let extends = service["extends"] else { return service }
        let link = "\(file):\(name)"
        let display = { (links: [String]) in links.map { $0.split(separator: ":").last.map(String.init) ?? $0 }.joined(separator: " -> ") }
        if chain.contains(link) {
            throw ComposeError(.dependencyCycle, "circular reference with extends: \(display(chain + [link]))",
                               at: extends.position, path: "services.\(name).extends")
        }
        let baseName: String
        var baseFile: String?
        if let text = extends.string {
            baseName = text
        } else if let object = extends.object, let service = object["service"]?.string {
            baseName = service
            baseFile = object["file"]?.string
        } else {
            throw ComposeError(.invalidType, "extends must name a service", at: extends.position, path: "services.\(name).extends",
                               hint: "write extends: {service: NAME, file: FILE} or extends: NAME")
        }
        var base: ConfigNode
        if let baseFile {
            let path = Paths.absolute(baseFile, base: Paths.directory(of: file), home: context.home)
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ComposeError(.fileNotFound, "cannot read \(path), named by extends", at: extends.position, path: "services.\(name).extends.file")
            }
            var other = ConfigObject()
            for document in try YAMLReader.documents(text, file: baseFile) {
                var node = document
                if let interpolator = context.interpolator { node = try DocumentInterpolation.apply(node, interpolator) }
                if let services = node["services"]?.object {
                    for entry in services.entries { other.set(entry.key, entry.value, keyPosition: entry.keyPosition) }
                }
            }
            guard other[baseName] != nil else {
                throw ComposeError(.undefinedReference, "cannot extend service \"\(baseName)\": not found in \(baseFile)",
                                   at: extends.position, path: "services.\(name).extends")
            }
            base = try resolve(baseName, in: other, file: path, context: context, chain: chain + [link])
            // Paths in the base service are relative to its own file.
            let wrapped = ConfigNode(.object(ConfigObject([("services", .object(ConfigObject([(baseName, base)])))])))
            let canonical = try Canonical.apply(wrapped)
            base = Paths.resolve(canonical, base: Paths.directory(of: path), home: context.home)["services"]?[baseName] ?? base
        } else {
            guard services[baseName] != nil else {
                throw ComposeError(.undefinedReference, "cannot extend service \"\(baseName)\": no such service",
                                   at: extends.position, path: "services.\(name).extends",
                                   hint: "services in this file: \(services.keys.joined(separator: ", "))")
            }
            base = try resolve(baseName, in: services, file: file, context: context, chain: chain + [link])
        }
        var own = service.object ?? ConfigObject()
        own["extends"] = nil
        var baseObject = base.object ?? ConfigObject()
        baseObject["extends"] = nil
        return try ComposeMerge.merge(.object(baseObject, at: base.position), .object(own, at: service.position), ["services", name])
    }
}

/// Top-level `include:` — other compose projects whose resources join this one. Their
/// relative paths resolve against their own directory; a resource defined on both
/// sides is an error.
enum Includes {
    static func apply(_ document: ConfigNode, context: DocumentContext, file: String, options: LoadOptions,
                      chain: [String]) throws(ComposeError) -> ConfigNode {
        guard var root = document.object, let includes = root["include"]?.array else { return document }
        root["include"] = nil
        var result = ConfigNode(.object(root), at: document.position)
        for include in includes {
            let paths: [String]
            var projectDirectory: String?
            var envFiles: [String] = []
            if let single = include.string {
                paths = [single]
            } else if let object = include.object {
                paths = object["path"].map { $0.stringList ?? [$0.string ?? ""] } ?? []
                projectDirectory = object["project_directory"]?.string
                envFiles = object["env_file"].map { $0.stringList ?? [$0.string ?? ""] } ?? []
            } else {
                throw ComposeError(.invalidType, "include entries must be a path or a mapping", at: include.position, path: "include")
            }
            guard let first = paths.first else {
                throw ComposeError(.missingRequired, "include needs a path", at: include.position, path: "include")
            }
            let base = Paths.directory(of: file)
            let absolutePaths = paths.map { Paths.absolute($0, base: base, home: context.home) }
            if let cycle = absolutePaths.first(where: chain.contains) {
                throw ComposeError(.dependencyCycle, "include cycle detected: \((chain + [cycle]).joined(separator: " -> "))", at: include.position, path: "include")
            }
            var included = LoadOptions(workingDirectory: base, environment: options.environment)
            included.files = absolutePaths
            included.projectDirectory = projectDirectory.map { Paths.absolute($0, base: base, home: context.home) } ?? Paths.directory(of: Paths.absolute(first, base: base, home: context.home))
            included.envFiles = envFiles.map { Paths.absolute($0, base: base, home: context.home) }
            included.interpolate = options.interpolate
            included.projectName = "included"
            included.profiles = ["*"]
            let project = try ProjectLoader.load(included)
            guard var target = result.object, let source = project.model.object else { continue }
            for section in ["services", "networks", "volumes", "secrets", "configs"] {
                guard let incoming = source[section]?.object else { continue }
                var existing = target[section]?.object ?? ConfigObject()
                for entry in incoming.entries {
                    var value = entry.value
                    if section != "services", var resource = value.object, resource["name"]?.string == "included_\(entry.key)" {
                        resource["name"] = nil // named again with this project's name
                        value = .object(resource, at: value.position)
                    }
                    if section == "services", var service = value.object {
                        // Included services are already complete; keep them out of re-normalization.
                        if service["networks"]?.object?.keys == ["default"], source["networks"]?["default"]?["name"]?.string == "included_default" {
                            service["networks"] = nil
                        }
                        value = .object(service, at: value.position)
                    }
                    if existing[entry.key] != nil {
                        throw ComposeError(.conflict, "\(section).\(entry.key) conflicts with imported resource", at: include.position,
                                           path: "include", hint: "rename one of the two definitions of \(entry.key)")
                    }
                    existing.set(entry.key, value, keyPosition: entry.keyPosition)
                }
                target[section] = .object(existing)
            }
            result = .object(target, at: document.position)
        }
        return result
    }
}
