/// After merging, a list entry that redefines an earlier one (same mount target, same
/// published port, same env file) replaces it in place, as in docker compose.
enum Unicity {
    static func apply(_ root: ConfigNode) throws(ComposeError) -> ConfigNode {
        guard var project = root.object, var services = project["services"]?.object else { return root }
        try services.mapValues { _, node throws(ComposeError) in
            guard var service = node.object else { return node }
            dedupe(&service, "volumes") { $0["target"]?.string }
            dedupe(&service, "devices") { $0["target"]?.string }
            dedupe(&service, "env_file") { $0["path"]?.string }
            dedupe(&service, "secrets") { $0["target"]?.string ?? $0["source"].flatMap { "/run/secrets/\($0.scalarText ?? "")" } }
            dedupe(&service, "configs") { $0["target"]?.string ?? $0["source"].flatMap { "/\($0.scalarText ?? "")" } }
            dedupe(&service, "ports") { port in
                guard port.object != nil else { return port.scalarText }
                let published = port["published"]?.scalarText ?? ""
                return "\(port["host_ip"]?.string ?? "0.0.0.0"):\(published):\(port["target"]?.scalarText ?? "")/\(port["protocol"]?.string ?? "tcp")"
            }
            for key in ["cap_add", "cap_drop", "dns", "dns_opt", "dns_search", "links", "profiles", "expose", "tmpfs"] {
                dedupe(&service, key) { $0.scalarText.map { String($0.split(separator: "=", maxSplits: 1).first ?? "") } }
            }
            return .object(service, at: node.position)
        }
        project["services"] = .object(services, at: project["services"]?.position)
        return .object(project, at: root.position)
    }

    private static func dedupe(_ service: inout ConfigObject, _ key: String, by identity: (ConfigNode) -> String?) {
        guard let items = service[key]?.array, items.count > 1 else { return }
        var result: [ConfigNode] = []
        var index: [String: Int] = [:]
        for item in items {
            guard let id = identity(item) else { result.append(item); continue }
            if let existing = index[id] {
                result[existing] = item
            } else {
                index[id] = result.count
                result.append(item)
            }
        }
        service[key] = .array(result, at: service[key]?.position)
    }
}

/// Services with `profiles:` run only when one of their profiles is enabled (`*` enables all).
enum Profiles {
    static func apply(_ root: ConfigNode, active: Set<String>) throws(ComposeError) -> (ConfigNode, disabled: [String], all: [String]) {
        guard var project = root.object, let services = project["services"]?.object else { return (root, [], []) }
        var enabled = ConfigObject()
        var disabled: [String] = []
        var all = Set<String>()
        for entry in services.entries {
            let profiles = entry.value["profiles"]?.stringList ?? []
            all.formUnion(profiles)
            if profiles.isEmpty || active.contains("*") || !active.isDisjoint(with: profiles) {
                enabled.set(entry.key, entry.value, keyPosition: entry.keyPosition)
            } else {
                disabled.append(entry.key)
            }
        }
        // A disabled service that an enabled one requires is an error, as in docker compose;
        // an optional dependency on it is dropped.
        try enabled.mapValues { name, node throws(ComposeError) in
            guard var service = node.object, var dependsOn = service["depends_on"]?.object else { return node }
            for dependency in dependsOn.entries where disabled.contains(dependency.key) {
                if dependency.value["required"]?.bool ?? true {
                    throw ComposeError(.undefinedReference, "service \"\(name)\" depends on service \"\(dependency.key)\", which is disabled by its profiles \(services[dependency.key]?["profiles"]?.stringList ?? [])",
                                       at: dependency.keyPosition, path: "services.\(name).depends_on",
                                       hint: "enable the profile with --profile, or set required: false")
                }
                dependsOn[dependency.key] = nil
            }
            service["depends_on"] = dependsOn.isEmpty ? nil : .object(dependsOn, at: service["depends_on"]?.position)
            return .object(service, at: node.position)
        }
        project["services"] = .object(enabled, at: project["services"]?.position)
        return (.object(project, at: root.position), disabled, all.sorted())
    }
}
