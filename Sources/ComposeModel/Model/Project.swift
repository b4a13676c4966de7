/// A loaded compose project: the normalized model (what `config` prints) and typed views
/// of its services, networks, volumes, secrets and configs for the orchestrator.
///
/// Public API in one place:
/// - `ProjectLoader.load(_ options: LoadOptions) throws(ComposeError) -> Project`
/// - `project.services` (enabled, sorted by name), `project.service(named:)`
/// - `project.dependencyOrder()` — services in start order (dependencies first)
/// - `project.json()` / `project.yaml()` — `config` output; `project.configHash(of:)`
public struct Project: Sendable {
    public var name: String
    public var workingDirectory: String
    public var configFiles: [String]
    /// The variables interpolation used (.env files + shell environment).
    public var environment: [String: String]
    /// The normalized model: `name`, `services`, `networks`, `volumes`, `secrets`,
    /// `configs` and top-level `x-` extensions.
    public var model: ConfigNode
    /// Services left out because none of their profiles is enabled.
    public var disabledServices: [String]
    /// Attributes that were accepted but that a single host does not honour.
    public var ignoredAttributes: [String]
    /// Warnings docker compose would print (unset variables, obsolete `version`).
    public var warnings: [String]

    public var services: [Service] {
        (model["services"]?.object?.sortedEntries ?? []).map { Service(name: $0.key, node: $0.value) }
    }

    public func service(named name: String) -> Service? {
        model["services"]?[name].map { Service(name: name, node: $0) }
    }

    public var serviceNames: [String] { services.map(\.name) }

    public var networks: [NamedResource] { resources("networks") }
    public var volumes: [NamedResource] { resources("volumes") }
    public var secrets: [NamedResource] { resources("secrets") }
    public var configs: [NamedResource] { resources("configs") }

    private func resources(_ section: String) -> [NamedResource] {
        (model[section]?.object?.sortedEntries ?? []).map { NamedResource(key: $0.key, node: $0.value) }
    }

    /// The profiles named by any service (for `config --profiles`).
    public var allProfiles: [String] = []

    /// Services as they were before `env_file` was folded into `environment` (what
    /// docker compose's config hash digests).
    var unresolvedServices: ConfigNode = .object(ConfigObject())
}

/// A top-level network, volume, secret or config: its key in the file and its attributes.
public struct NamedResource: Sendable {
    public var key: String
    public var node: ConfigNode

    public var name: String { node["name"]?.string ?? key }
    public var external: Bool { node["external"]?.bool ?? false }
    public var driver: String? { node["driver"]?.string }
    public var driverOptions: [String: String] { node["driver_opts"]?.stringMap ?? [:] }
    public var labels: [String: String] { node["labels"]?.stringMap ?? [:] }
    public var isInternal: Bool { node["internal"]?.bool ?? false }
    public var enableIPv6: Bool { node["enable_ipv6"]?.bool ?? false }
    public var file: String? { node["file"]?.string }
    public var environmentVariable: String? { node["environment"]?.string }
    public var content: String? { node["content"]?.string }

    /// `ipam.config` pools of a network.
    public var ipamPools: [(subnet: String?, gateway: String?, ipRange: String?)] {
        (node["ipam"]?["config"]?.array ?? []).map { ($0["subnet"]?.string, $0["gateway"]?.string, $0["ip_range"]?.string) }
    }
}

extension ConfigNode {
    /// A mapping of strings (labels, options) as a dictionary.
    public var stringMap: [String: String]? {
        guard let object else { return nil }
        var result: [String: String] = [:]
        for entry in object.entries { result[entry.key] = entry.value.scalarText ?? "" }
        return result
    }

    public var stringList: [String]? {
        array?.compactMap(\.scalarText)
    }
}
