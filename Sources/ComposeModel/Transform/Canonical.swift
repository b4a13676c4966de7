/// Rewrites short syntax into the long syntax docker compose prints, on the merged tree
/// and before the schema check (so that both forms are validated the same way).
enum Canonical {
    static func apply(_ root: ConfigNode) throws(ComposeError) -> ConfigNode {
        guard var project = root.object else { return root }
        if var services = project["services"]?.object {
            try services.mapValues { name, service throws(ComposeError) in
                try transformService(service, path: ["services", name])
            }
            project["services"] = ConfigNode(.object(services), at: project["services"]?.position)
        }
        for section in ["volumes", "networks", "secrets", "configs"] {
            guard var resources = project[section]?.object else { continue }
            try resources.mapValues { name, resource throws(ComposeError) in
                try external(resource, path: [section, name])
            }
            project[section] = ConfigNode(.object(resources), at: project[section]?.position)
        }
        if let includes = project["include"]?.array {
            project["include"] = ConfigNode(.array(includes.map { item in
                item.string != nil ? ConfigNode(.object(ConfigObject([("path", .array([item], at: item.position))])), at: item.position) : item
            }), at: project["include"]?.position)
        }
        return ConfigNode(.object(project), at: root.position)
    }

    private static func transformService(_ node: ConfigNode, path: [String]) throws(ComposeError) -> ConfigNode {
        guard var service = node.object else { return node }
        if let dependsOn = service["depends_on"] {
            service["depends_on"] = dependencies(ComposeMerge.mapping(dependsOn, default: nil))
        }
        if let envFile = service["env_file"] {
            let items = envFile.array ?? [envFile]
            service["env_file"] = ConfigNode(.array(items.map { item in
                if item.string != nil {
                    return ConfigNode(.object(ConfigObject([("path", item), ("required", .bool(true, at: item.position))])), at: item.position)
                }
                guard var object = item.object else { return item }
                if object["required"] == nil { object["required"] = .bool(true, at: item.position) }
                return ConfigNode(.object(object), at: item.position)
            }), at: envFile.position)
        }
        if let networks = service["networks"], networks.array != nil {
            service["networks"] = ComposeMerge.mapping(networks, default: nil)
        }
        if let build = service["build"], let context = build.string {
            // An empty context means the project directory (docker compose would print none).
            let value = context.isEmpty ? ConfigNode.string(".", at: build.position) : build
            service["build"] = ConfigNode(.object(ConfigObject([("context", value)])), at: build.position)
        } else if let build = service["build"], var object = build.object, object["context"] == nil || object["context"]?.string == "" {
            object["context"] = .string(".", at: build.position)
            service["build"] = ConfigNode(.object(object), at: build.position)
        }
        if let models = service["models"], models.array != nil {
            service["models"] = ComposeMerge.mapping(models, default: nil)
        }
        if var provider = service["provider"]?.object, var options = provider["options"]?.object {
            // Provider options are multi-valued: every value is a list.
            try? options.mapValues { _, value throws(ComposeError) in
                value.array != nil ? value : .array([value.scalarText.map { .string($0, at: value.position) } ?? value], at: value.position)
            }
            provider["options"] = .object(options, at: provider["options"]?.position)
            service["provider"] = .object(provider, at: service["provider"]?.position)
        }
        if let extends = service["extends"], extends.string != nil {
            service["extends"] = ConfigNode(.object(ConfigObject([("service", extends)])), at: extends.position)
        }
        if let volumes = service["volumes"]?.array {
            var result: [ConfigNode] = []
            for (index, item) in volumes.enumerated() {
                guard let spec = item.string else { result.append(item); continue }
                do {
                    result.append(ConfigNode(.object(try ShortSyntax.volume(spec)), at: item.position))
                } catch {
                    throw ComposeError(.invalidValue, error.message, at: item.position,
                                       path: AttributePath.render(path + ["volumes", "[\(index)]"]), hint: error.hint)
                }
            }
            service["volumes"] = ConfigNode(.array(result), at: service["volumes"]?.position)
        }
        if let devices = service["devices"]?.array {
            var result: [ConfigNode] = []
            for (index, item) in devices.enumerated() {
                guard let spec = item.string else { result.append(item); continue }
                do {
                    result.append(ConfigNode(.object(try ShortSyntax.device(spec)), at: item.position))
                } catch {
                    throw ComposeError(.invalidValue, error.message, at: item.position,
                                       path: AttributePath.render(path + ["devices", "[\(index)]"]), hint: error.hint)
                }
            }
            service["devices"] = ConfigNode(.array(result), at: service["devices"]?.position)
        }
        for key in ["secrets", "configs"] {
            guard let mounts = service[key]?.array else { continue }
            service[key] = ConfigNode(.array(mounts.map { item in
                var object = item.string.map { _ in ConfigObject([("source", item)]) } ?? item.object
                if key == "secrets", var mount = object, mount["target"] == nil, let source = mount["source"]?.scalarText {
                    mount["target"] = .string("/run/secrets/\(source)", at: item.position)
                    object = mount
                }
                return object.map { ConfigNode(.object($0), at: item.position) } ?? item
            }), at: service[key]?.position)
        }
        if let ports = service["ports"]?.array {
            var result: [ConfigNode] = []
            for (index, item) in ports.enumerated() {
                switch item.kind {
                case .string, .int:
                    do {
                        for object in try ShortSyntax.ports(item.scalarText!) {
                            result.append(ConfigNode(.object(object.positioned(at: item.position)), at: item.position))
                        }
                    } catch {
                        throw ComposeError(.invalidValue, error.message, at: item.position,
                                           path: AttributePath.render(path + ["ports", "[\(index)]"]), hint: error.hint)
                    }
                case .object(var object):
                    if object["protocol"] == nil { object["protocol"] = .string("tcp", at: item.position) }
                    if object["mode"] == nil { object["mode"] = .string("ingress", at: item.position) }
                    result.append(ConfigNode(.object(object), at: item.position))
                default:
                    result.append(item)
                }
            }
            service["ports"] = ConfigNode(.array(result), at: service["ports"]?.position)
        }
        return ConfigNode(.object(service), at: node.position)
    }

    /// depends_on entries get docker compose's defaults: started, required.
    private static func dependencies(_ node: ConfigNode) -> ConfigNode {
        guard var object = node.object else { return node }
        try? object.mapValues { _, value throws(ComposeError) in
            var entry = value.object ?? ConfigObject()
            if entry["condition"] == nil { entry["condition"] = .string("service_started", at: value.position) }
            if entry["required"] == nil { entry["required"] = .bool(true, at: value.position) }
            return ConfigNode(.object(entry), at: value.position)
        }
        return ConfigNode(.object(object), at: node.position)
    }

    /// `external: {name: x}` (deprecated) becomes `external: true` with `name: x`.
    private static func external(_ node: ConfigNode, path: [String]) throws(ComposeError) -> ConfigNode {
        guard var resource = node.object, let external = resource["external"], let details = external.object else { return node }
        resource["external"] = .bool(true, at: external.position)
        if let name = details["name"] {
            if let existing = resource["name"], existing != name {
                throw ComposeError(.conflict, "name and external.name conflict", at: name.position,
                                   path: AttributePath.render(path), hint: "only set name, with external: true")
            }
            resource["name"] = name
        }
        return ConfigNode(.object(resource), at: node.position)
    }
}

extension ConfigObject {
    /// The same object with every value marked as coming from `position`.
    func positioned(at position: SourcePosition?) -> ConfigObject {
        var copy = ConfigObject()
        for entry in entries {
            var value = entry.value
            value.position = value.position ?? position
            copy.set(entry.key, value, keyPosition: position)
        }
        return copy
    }
}
