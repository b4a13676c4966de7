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
        // an optional dependency on it stays (and is skipped when starting).
        try enabled.mapValues { name, node throws(ComposeError) in
            guard let service = node.object, let dependsOn = service["depends_on"]?.object else { return node }
            for dependency in dependsOn.entries where disabled.contains(dependency.key) {
                if dependency.value["required"]?.bool ?? true {
                    throw ComposeError(.undefinedReference, "service \"\(name)\" depends on service \"\(dependency.key)\", which is disabled by its profiles \(services[dependency.key]?["profiles"]?.stringList ?? [])",
                                       at: dependency.keyPosition, path: "services.\(name).depends_on",
                                       hint: "enable the profile with --profile, or set required: false")
                }
            }
            return node
        }
        project["services"] = .object(enabled, at: project["services"]?.position)
        return (.object(project, at: root.position), disabled, all.sorted())
    }
}

/// Networks, volumes, secrets and configs that no enabled service uses are left out,
/// as docker compose leaves them out of `config` and does not create them.
enum UnusedResources {
    static func remove(_ root: ConfigNode) -> ConfigNode {
        guard var project = root.object, let services = project["services"]?.object else { return root }
        var used: [String: Set<String>] = ["networks": [], "volumes": [], "secrets": [], "configs": []]
        for service in services.entries.map(\.value) {
            used["networks"]!.formUnion(service["networks"]?.object?.keys ?? [])
            for volume in service["volumes"]?.array ?? [] where volume["type"]?.string == "volume" {
                if let source = volume["source"]?.string { used["volumes"]!.insert(source) }
            }
            for key in ["secrets", "configs"] {
                for mount in service[key]?.array ?? [] { if let source = mount["source"]?.string { used[key]!.insert(source) } }
            }
            for secret in service["build"]?["secrets"]?.array ?? [] {
                if let source = secret["source"]?.string { used["secrets"]!.insert(source) }
            }
        }
        for (section, names) in used {
            guard let resources = project[section]?.object else { continue }
            var kept = ConfigObject()
            for entry in resources.entries where names.contains(entry.key) {
                kept.set(entry.key, entry.value, keyPosition: entry.keyPosition)
            }
            project[section] = kept.isEmpty ? nil : .object(kept, at: project[section]?.position)
        }
        return .object(project, at: root.position)
    }
}
