import SystemSupport
import Foundation

extension Project {
    /// `docker compose config --format json`: indented, keys in docker compose's order.
    public func json() -> String {
        var encoder = GoJSONEncoder()
        encoder.indent = "  "
        return encoder.encodeShaped(shapedOutput())
    }

    /// The output tree shaped for printing, with the project's `x-` extensions (which,
    /// unlike a service's, docker compose prints).
    func shapedOutput() -> ConfigNode {
        let tree = outputTree(escapingDollars: true)
        var shaped = OutputShape.shape(tree, Self.outputKind)
        if var object = shaped.object {
            for entry in tree.object?.entries ?? [] where entry.key.hasPrefix("x-") {
                object[entry.key] = OutputShape.shape(entry.value, .any)
            }
            shaped = .object(object)
        }
        return shaped
    }

    /// The model with every `$` written as `$$`, so the output can be read back.
    func outputTree(escapingDollars: Bool) -> ConfigNode {
        guard var root = model.object else { return model }
        var ordered = ConfigObject()
        ordered["name"] = .string(name)
        for key in ["services", "networks", "volumes", "secrets", "configs"] {
            if let value = root[key], !(key != "services" && (value.object?.isEmpty ?? true)) { ordered[key] = value }
            root[key] = nil
        }
        for entry in root.entries where entry.key.hasPrefix("x-") { ordered[entry.key] = entry.value }

        let tree = ConfigNode(.object(ordered))
        return escapingDollars ? Self.escapeDollars(tree) : tree
    }

    static let outputKind: AttributeKind = .object(Schema("project output", [
        Attribute("name", .string, .always),
        Attribute("services", .map(.object(ComposeSchema.service)), .always),
        Attribute("networks", .map(.object(ComposeSchema.network))),
        Attribute("volumes", .map(.object(ComposeSchema.volume))),
        Attribute("secrets", .map(.object(ComposeSchema.fileObject))),
        Attribute("configs", .map(.object(ComposeSchema.fileObject))),
    ] + []))

    static func escapeDollars(_ node: ConfigNode) -> ConfigNode {
        var copy = node
        switch node.kind {
        case .string(let text) where text.contains("$"):
            copy.kind = .string(text.replacingOccurrences(of: "$", with: "$$"))
        case .array(let items):
            copy.kind = .array(items.map(escapeDollars))
        case .object(var object):
            try? object.mapValues { _, value throws(ComposeError) in escapeDollars(value) }
            copy.kind = .object(object)
        default:
            break
        }
        return copy
    }

    /// The config hash docker compose stores in `com.docker.compose.config-hash`: the
    /// SHA-256 of the service as JSON, leaving out what does not touch the container
    /// (build, pull_policy, scale, deploy.replicas, depends_on, profiles).
    public func configHash(of service: String) -> String? {
        guard var object = unresolvedServices[service]?.object ?? model["services"]?[service]?.object else { return nil }
        // Go prints a required env file as its path alone.
        if let files = object["env_file"]?.array {
            object["env_file"] = .array(files.map { file in
                guard file["required"]?.bool ?? true, let path = file["path"] else { return file }
                return path
            })
        }
        for key in ["build", "pull_policy", "scale", "depends_on", "profiles"] { object[key] = nil }
        if var deploy = object["deploy"]?.object {
            deploy["replicas"] = nil
            object["deploy"] = .object(deploy)
        }
        // Extensions are not part of Go's JSON of a service.
        for key in object.keys where key.hasPrefix("x-") { object[key] = nil }
        let json = GoJSONEncoder().encode(.object(object), .object(ComposeSchema.service))
        return sha256Hex(Array(json.utf8))
    }

    /// The hash the orchestrator records on containers to decide about recreating them:
    /// docker compose's hash of the service with its environment resolved (so that a
    /// changed env file counts) and the content of the configs and secrets it mounts.
    public func containerConfigHash(of service: String) -> String? {
        guard let resolved = model["services"]?[service], var object = resolved.object else { return nil }
        for key in ["build", "pull_policy", "scale", "depends_on", "profiles"] { object[key] = nil }
        if var deploy = object["deploy"]?.object {
            deploy["replicas"] = nil
            object["deploy"] = .object(deploy)
        }
        var text = GoJSONEncoder().encode(.object(object), .object(ComposeSchema.service))
        for (section, mounts) in [("configs", object["configs"]), ("secrets", object["secrets"])] {
            for mount in mounts?.array ?? [] {
                guard let source = mount["source"]?.string, let definition = model[section]?[source] else { continue }
                text += "\n" + GoJSONEncoder().encode(definition, .object(ComposeSchema.fileObject))
                if let content = definition["content"]?.string { text += "\n" + content }
                if let variable = definition["environment"]?.string { text += "\n" + (environment[variable] ?? "") }
            }
        }
        return sha256Hex(Array(text.utf8))
    }

    public func dependencyOrder() throws(ComposeError) -> [String] {
        try DependencyGraph(model).order()
    }

    public var dependencyGraph: DependencyGraph { DependencyGraph(model) }
}

/// The hex SHA-256 of `bytes` (the engine's digest, without its `sha256:` prefix).
func sha256Hex(_ bytes: [UInt8]) -> String {
    String(SHA256Hasher.digest(bytes).dropFirst("sha256:".count))
}
