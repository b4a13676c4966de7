/// The implicit parts of a compose model made explicit, as docker compose does: the
/// `default` network, build defaults, `environment`/`build.args` entries without a value
/// taken from the environment, dependencies implied by `links`, `volumes_from` and
/// `service:` namespaces, and the names of networks, volumes, secrets and configs.
enum Normalize {
    static func apply(_ root: ConfigNode, projectName: String, environment: [String: String]) -> ConfigNode {
        guard var project = root.object else { return root }
        project = defaultNetwork(project)
        if var services = project["services"]?.object {
            try? services.mapValues { _, node throws(ComposeError) in
                guard let service = node.object else { return node }
                return .object(normalizeService(service, environment: environment), at: node.position)
            }
            project["services"] = .object(services, at: project["services"]?.position)
        }
        for section in ["networks", "volumes", "configs", "secrets"] {
            guard var resources = project[section]?.object else { continue }
            try? resources.mapValues { key, node throws(ComposeError) in
                var resource = node.object ?? ConfigObject()
                if resource["name"] == nil {
                    let external = resource["external"]?.bool ?? false
                    resource["name"] = .string(external ? key : "\(projectName)_\(key)", at: node.position)
                }
                return .object(resource, at: node.position)
            }
            project[section] = .object(resources, at: project[section]?.position)
        }
        return .object(project, at: root.position)
    }

    private static func defaultNetwork(_ input: ConfigObject) -> ConfigObject {
        var project = input
        var usesDefault = false
        if var services = project["services"]?.object {
            try? services.mapValues { _, node throws(ComposeError) in
                guard var service = node.object else { return node }
                if service["provider"] != nil || service["network_mode"] != nil { return node }
                if let networks = service["networks"]?.object, !networks.isEmpty {
                    if networks["default"] != nil { usesDefault = true }
                } else {
                    service["networks"] = .object(ConfigObject([("default", .null)]), at: node.position)
                    usesDefault = true
                }
                return .object(service, at: node.position)
            }
            project["services"] = .object(services, at: project["services"]?.position)
        }
        var networks = project["networks"]?.object ?? ConfigObject()
        if usesDefault, networks["default"] == nil { networks["default"] = .null }
        if !networks.isEmpty { project["networks"] = .object(networks, at: project["networks"]?.position) }
        return project
    }

    private static func normalizeService(_ input: ConfigObject, environment: [String: String]) -> ConfigObject {
        var service = input
        if service["pull_policy"]?.string == "if_not_present" { service["pull_policy"] = .string("missing") }
        if var build = service["build"]?.object {
            if build["context"] == nil { build["context"] = .string(".") }
            if build["dockerfile"] == nil, build["dockerfile_inline"] == nil { build["dockerfile"] = .string("Dockerfile") }
            if let args = build["args"]?.object { build["args"] = .object(resolveUnset(args, environment, keepUnset: false)) }
            service["build"] = .object(build, at: service["build"]?.position)
        }
        if let env = service["environment"]?.object {
            service["environment"] = .object(resolveUnset(env, environment, keepUnset: true), at: service["environment"]?.position)
        }
        var dependsOn = service["depends_on"]?.object ?? ConfigObject()
        func implied(_ name: String, restart: Bool, at position: SourcePosition?) {
            guard dependsOn[name] == nil else { return }
            dependsOn.set(name, .object(ConfigObject([
                ("condition", .string("service_started")), ("restart", .bool(restart)), ("required", .bool(true)),
            ]), at: position), keyPosition: position)
        }
        for link in service["links"]?.array ?? [] {
            guard let text = link.string else { continue }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            implied(parts.count == 2 ? String(parts[0]) : text, restart: true, at: link.position)
        }
        for key in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
            if let mode = service[key]?.string, mode.hasPrefix("service:") {
                implied(String(mode.dropFirst("service:".count)), restart: true, at: service[key]?.position)
            }
        }
        if let volumes = service["volumes"]?.array {
            service["volumes"] = .array(volumes.map { volume in
                guard var object = volume.object, let target = object["target"]?.string else { return volume }
                object["target"] = .string(Paths.clean(target), at: object["target"]?.position)
                return .object(object, at: volume.position)
            }, at: service["volumes"]?.position)
        }
        for from in service["volumes_from"]?.array ?? [] {
            guard let text = from.string, !text.hasPrefix("container:") else { continue }
            implied(String(text.split(separator: ":").first ?? ""), restart: false, at: from.position)
        }
        if !dependsOn.isEmpty { service["depends_on"] = .object(dependsOn, at: service["depends_on"]?.position) }
        return service
    }

    /// `KEY` with no value takes the environment's value; with none there, it stays
    /// unset (null) for `environment` and is dropped for `build.args`.
    private static func resolveUnset(_ mapping: ConfigObject, _ environment: [String: String], keepUnset: Bool) -> ConfigObject {
        var result = ConfigObject()
        for entry in mapping.entries {
            if !entry.value.isNull {
                result.set(entry.key, entry.value, keyPosition: entry.keyPosition)
            } else if let value = environment[entry.key] {
                result.set(entry.key, .string(value, at: entry.value.position), keyPosition: entry.keyPosition)
            } else if keepUnset {
                result.set(entry.key, entry.value, keyPosition: entry.keyPosition)
            }
        }
        return result
    }
}
