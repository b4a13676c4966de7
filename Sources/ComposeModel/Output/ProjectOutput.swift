import SystemSupport
import Foundation

extension Project {
    /// `docker compose config --format json`: indented, keys in docker compose's order.
    public func json() -> String {
        var encoder = GoJSONEncoder()
        encoder.indent = "  "
        return encoder.encode(outputTree(escapingDollars: true), Self.outputKind)
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
        guard var object = model["services"]?[service]?.object else { return nil }
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

    /// The service as docker compose's config hash sees it (for debugging differences).
    func hashInput(of service: String) -> String? {
        guard let object = model["services"]?[service] else { return nil }
        return GoJSONEncoder().encode(object, .object(ComposeSchema.service))
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
