import Foundation

/// Relative and `~` paths in a compose file are relative to the project directory
/// (or, for a file brought in by `extends`/`include`, to that file's directory).
enum Paths {
    static func clean(_ path: String) -> String {
        guard !path.isEmpty else { return "." }
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." { parts.removeLast(); continue }
                if absolute { continue }
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func join(_ base: String, _ path: String) -> String {
        clean(base + "/" + path)
    }

    static func expandUser(_ path: String, home: String?) -> String {
        guard path.hasPrefix("~"), let home else { return path }
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst() }
        return path
    }

    static func absolute(_ path: String, base: String, home: String?) -> String {
        let expanded = expandUser(path, home: home)
        if expanded.isEmpty || expanded.hasPrefix("/") { return expanded.isEmpty ? expanded : clean(expanded) }
        return join(base, expanded)
    }

    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    static func isRemoteContext(_ value: String) -> Bool {
        value.contains("://") || value.hasPrefix("service:") ||
            ["https://", "http://", "git://", "ssh://", "github.com/", "git@"].contains { value.hasPrefix($0) }
    }

    /// Resolves every path attribute of one document against `base`.
    static func resolve(_ root: ConfigNode, base: String, home: String?) -> ConfigNode {
        guard var project = root.object else { return root }
        func abs(_ node: ConfigNode) -> ConfigNode {
            guard let text = node.string else { return node }
            return .string(absolute(text, base: base, home: home), at: node.position)
        }
        if var services = project["services"]?.object {
            try? services.mapValues { _, node throws(ComposeError) in
                guard var service = node.object else { return node }
                if var build = service["build"]?.object {
                    if let context = build["context"]?.string, !isRemoteContext(context) { build["context"] = abs(build["context"]!) }
                    if var contexts = build["additional_contexts"]?.object {
                        try? contexts.mapValues { _, value throws(ComposeError) in
                            guard let text = value.string, !isRemoteContext(text) else { return value }
                            return abs(value)
                        }
                        build["additional_contexts"] = .object(contexts, at: build["additional_contexts"]?.position)
                    }
                    service["build"] = .object(build, at: service["build"]?.position)
                }
                if let files = service["env_file"]?.array {
                    service["env_file"] = .array(files.map { file in
                        guard var object = file.object, let path = object["path"] else { return file }
                        object["path"] = abs(path)
                        return .object(object, at: file.position)
                    }, at: service["env_file"]?.position)
                }
                if let files = service["label_file"]?.array {
                    service["label_file"] = .array(files.map(abs), at: service["label_file"]?.position)
                }
                if var extends = service["extends"]?.object, let file = extends["file"] {
                    extends["file"] = abs(file)
                    service["extends"] = .object(extends, at: service["extends"]?.position)
                }
                if var develop = service["develop"]?.object, let watch = develop["watch"]?.array {
                    develop["watch"] = .array(watch.map { trigger in
                        guard var object = trigger.object, let path = object["path"] else { return trigger }
                        object["path"] = abs(path)
                        return .object(object, at: trigger.position)
                    }, at: develop["watch"]?.position)
                    service["develop"] = .object(develop, at: service["develop"]?.position)
                }
                if let volumes = service["volumes"]?.array {
                    service["volumes"] = .array(volumes.map { volume in
                        guard var object = volume.object, object["type"]?.string == "bind", let source = object["source"] else { return volume }
                        object["source"] = abs(source)
                        return .object(object, at: volume.position)
                    }, at: service["volumes"]?.position)
                }
                return .object(service, at: node.position)
            }
            project["services"] = .object(services, at: project["services"]?.position)
        }
        for section in ["configs", "secrets"] {
            guard var resources = project[section]?.object else { continue }
            try? resources.mapValues { _, node throws(ComposeError) in
                guard var object = node.object, let file = object["file"] else { return node }
                object["file"] = abs(file)
                return .object(object, at: node.position)
            }
            project[section] = .object(resources, at: project[section]?.position)
        }
        if var volumes = project["volumes"]?.object {
            try? volumes.mapValues { _, node throws(ComposeError) in
                guard var volume = node.object, volume["driver"]?.string == "local",
                      var options = volume["driver_opts"]?.object, options["o"]?.scalarText == "bind",
                      let device = options["device"] else { return node }
                // An empty device is the project directory itself (filepath.Join(dir, "")).
                options["device"] = .string(device.scalarText.map { $0.isEmpty ? clean(base) : absolute($0, base: base, home: home) } ?? "", at: device.position)
                volume["driver_opts"] = .object(options, at: volume["driver_opts"]?.position)
                return .object(volume, at: node.position)
            }
            project["volumes"] = .object(volumes, at: project["volumes"]?.position)
        }
        return .object(project, at: root.position)
    }
}
