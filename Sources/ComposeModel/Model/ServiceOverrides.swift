/// What `run -p` and `run -v` add to a service: short-syntax ports and volumes from the
/// command line, normalized exactly as the loader normalizes them in a file.
extension Service {
    /// The service with `ports` published and `volumes` mounted as well. Relative and `~`
    /// bind sources resolve against `directory`; a named volume must be one the project
    /// declares (`declaredVolumes`), as in docker compose.
    public func adding(ports: [String], volumes: [String], directory: String, home: String?,
                       declaredVolumes: Set<String>) throws(ComposeError) -> Service {
        guard (!ports.isEmpty || !volumes.isEmpty), var object = node.object else { return self }
        var portNodes = node["ports"]?.array ?? []
        for spec in ports {
            do {
                portNodes += try ShortSyntax.ports(spec).map { ConfigNode.object($0) }
            } catch {
                throw ComposeError(.invalidValue, "-p \(spec): \(error.message)", hint: error.hint)
            }
        }
        var volumeNodes = node["volumes"]?.array ?? []
        for spec in volumes {
            var mount: ConfigObject
            do { mount = try ShortSyntax.volume(spec) } catch {
                throw ComposeError(.invalidValue, "-v \(spec): \(error.message)", hint: error.hint)
            }
            if mount["type"]?.string == "bind", let source = mount["source"]?.string {
                mount["source"] = .string(Paths.absolute(source, base: directory, home: home))
            } else if let source = mount["source"]?.string, !declaredVolumes.contains(source) {
                throw ComposeError(.undefinedReference, "-v \(spec): volume \"\(source)\" is not declared in the project",
                                   hint: "declare it under the top-level volumes:, or mount a path (./dir or /dir)")
            }
            // A mount on the same target replaces the file's one, as a later file would.
            volumeNodes.removeAll { $0["target"]?.string == mount["target"]?.string }
            volumeNodes.append(.object(mount))
        }
        if !portNodes.isEmpty { object["ports"] = .array(portNodes) }
        if !volumeNodes.isEmpty { object["volumes"] = .array(volumeNodes) }
        return Service(name: name, node: .object(object))
    }
}
