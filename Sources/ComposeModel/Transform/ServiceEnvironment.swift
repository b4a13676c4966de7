import Foundation

/// `env_file:` folded into `environment:` (explicit `environment` entries win), read
/// the way docker compose reads them; a missing required file is an error.
enum ServiceEnvironment {
    static func resolve(_ root: ConfigNode, environment: [String: String], interpolate: Bool) throws(ComposeError) -> ConfigNode {
        guard var project = root.object, var services = project["services"]?.object else { return root }
        try services.mapValues { name, node throws(ComposeError) in
            guard var service = node.object, let files = service["env_file"]?.array else { return node }
            var fromFiles: [(String, String)] = []
            for (index, file) in files.enumerated() {
                guard let path = file["path"]?.string else { continue }
                let required = file["required"]?.bool ?? true
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                      let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                    if required {
                        throw ComposeError(.fileNotFound, "env file \(path) not found", at: file["path"]?.position ?? file.position,
                                           path: "services.\(name).env_file[\(index)]",
                                           hint: "create the file, or mark it optional with required: false")
                    }
                    continue
                }
                if let format = file["format"]?.string, format != "raw" {
                    throw ComposeError(.invalidValue, "unsupported env_file format \"\(format)\"", at: file["format"]?.position,
                                       path: "services.\(name).env_file[\(index)].format", hint: "use the default format or raw")
                }
                if file["format"]?.string == "raw" {
                    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                        let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                        fromFiles.append((parts[0], parts.count > 1 ? parts[1] : ""))
                    }
                    continue
                }
                let known = fromFiles
                do throws(DotEnv.Failure) {
                    let parsed = try DotEnv.parse(text, lookup: { key in
                        environment[key] ?? known.last(where: { $0.0 == key })?.1
                    })
                    fromFiles.append(contentsOf: parsed)
                } catch {
                    throw ComposeError(.invalidValue, "failed to read \(path): \(error.message)",
                                       at: SourcePosition(file: path, line: error.line, column: 1), path: "services.\(name).env_file[\(index)]")
                }
            }
            var merged = ConfigObject()
            for (key, value) in fromFiles { merged[key] = .string(value) }
            for entry in service["environment"]?.object?.entries ?? [] {
                merged.set(entry.key, entry.value, keyPosition: entry.keyPosition)
            }
            service["env_file"] = nil
            service["environment"] = merged.isEmpty ? nil : .object(merged, at: service["environment"]?.position ?? node.position)
            return .object(service, at: node.position)
        }
        project["services"] = .object(services, at: project["services"]?.position)
        return .object(project, at: root.position)
    }
}
