import SystemSupport

/// Checks that what services refer to exists: networks, named volumes, secrets,
/// configs, services they depend on or share namespaces with; that the dependency
/// graph has no cycle; and that a fixed container_name is neither shared nor asked to scale.
enum Consistency {
    static func check(_ root: ConfigNode) throws(ComposeError) {
        guard let project = root.object, let services = project["services"]?.object else { return }
        let networks = Set(project["networks"]?.object?.keys ?? [])
        let volumes = Set(project["volumes"]?.object?.keys ?? [])
        let secrets = Set(project["secrets"]?.object?.keys ?? [])
        let configs = Set(project["configs"]?.object?.keys ?? [])
        let serviceNames = Set(services.keys)
        var containerNames: [String: String] = [:]

        func undefined(_ what: String, _ name: String, _ node: ConfigNode?, _ path: String, known: Set<String>) -> ComposeError {
            var hint = known.isEmpty ? "define it under the top-level \(what)s: section" : "defined \(what)s: \(known.sorted().joined(separator: ", "))"
            if let close = known.min(by: { editDistance($0, name) < editDistance($1, name) }), editDistance(close, name) <= 2 {
                hint = "did you mean \"\(close)\"?"
            }
            return ComposeError(.undefinedReference, "service refers to undefined \(what) \(name)", at: node?.position, path: path, hint: hint)
        }

        for entry in services.entries {
            let name = entry.key
            let service = entry.value
            for network in service["networks"]?.object?.entries ?? [] where !networks.contains(network.key) {
                throw undefined("network", network.key, network.value.isNull ? nil : network.value, "services.\(name).networks", known: networks)
                    .positioned(network.keyPosition)
            }
            for (index, volume) in (service["volumes"]?.array ?? []).enumerated() {
                guard volume["type"]?.string == "volume", let source = volume["source"]?.string, !source.isEmpty else { continue }
                if !volumes.contains(source) {
                    throw undefined("volume", source, volume, "services.\(name).volumes[\(index)]", known: volumes)
                }
            }
            for (key, known) in [("secrets", secrets), ("configs", configs)] {
                for (index, mount) in (service[key]?.array ?? []).enumerated() {
                    guard let source = mount["source"]?.string, !known.contains(source) else { continue }
                    throw undefined(String(key.dropLast()), source, mount, "services.\(name).\(key)[\(index)]", known: known)
                }
            }
            for dependency in service["depends_on"]?.object?.entries ?? [] where !serviceNames.contains(dependency.key) {
                if dependency.value["required"]?.bool == false { continue }
                throw ComposeError(.undefinedReference, "service \"\(name)\" depends on undefined service \"\(dependency.key)\"",
                                   at: dependency.keyPosition, path: "services.\(name).depends_on",
                                   hint: "services: \(serviceNames.sorted().joined(separator: ", "))")
            }
            if let containerName = service["container_name"]?.string {
                if let holder = containerNames[containerName] {
                    throw ComposeError(.conflict, "container name \"\(containerName)\" is already in use by service \(holder)",
                                       at: service["container_name"]?.position, path: "services.\(name).container_name",
                                       hint: "give each service its own container_name, or remove it")
                }
                containerNames[containerName] = name
                let replicas = service["deploy"]?["replicas"]?.int ?? service["scale"]?.int ?? 1
                if replicas > 1 {
                    throw ComposeError(.conflict, "can't set container_name and scale the service to \(replicas) replicas: container names must be unique",
                                       at: service["container_name"]?.position, path: "services.\(name).container_name",
                                       hint: "remove container_name, or run a single replica")
                }
            }
            if let mode = service["network_mode"]?.string, mode.hasPrefix("service:") {
                let target = String(mode.dropFirst("service:".count))
                if !serviceNames.contains(target) {
                    throw ComposeError(.undefinedReference, "service \"\(name)\" uses the network stack of undefined service \"\(target)\"",
                                       at: service["network_mode"]?.position, path: "services.\(name).network_mode")
                }
                if service["networks"] != nil, service["networks"]?.object?.keys != ["default"] {
                    throw ComposeError(.conflict, "service \(name) declares mutually exclusive `network_mode` and `networks`",
                                       at: service["network_mode"]?.position, path: "services.\(name).network_mode")
                }
            }
        }
        _ = try DependencyGraph(root).order()
    }
}

extension ComposeError {
    func positioned(_ position: SourcePosition?) -> ComposeError {
        var copy = self
        if let position { copy.position = position }
        return copy
    }
}

/// Services and what they need started first: depends_on, links, volumes_from and
/// `service:` namespaces. The order is deterministic: among services whose
/// dependencies are met, names sort alphabetically.
public struct DependencyGraph: Sendable {
    public let dependencies: [String: [String]]
    let positions: [String: SourcePosition]

    public init(_ root: ConfigNode) {
        var dependencies: [String: [String]] = [:]
        var positions: [String: SourcePosition] = [:]
        for entry in root["services"]?.object?.entries ?? [] {
            let names = entry.value["depends_on"]?.object?.keys ?? []
            dependencies[entry.key] = names.filter { root["services"]?[$0] != nil }.sorted()
            positions[entry.key] = entry.value["depends_on"]?.position ?? entry.keyPosition
        }
        self.dependencies = dependencies
        self.positions = positions
    }

    /// Dependencies before dependents; a cycle is an error naming it.
    public func order() throws(ComposeError) -> [String] {
        var remaining = dependencies
        var done = Set<String>()
        var order: [String] = []
        while !remaining.isEmpty {
            let ready = remaining.filter { $0.value.allSatisfy(done.contains) }.keys.sorted()
            guard !ready.isEmpty else {
                let cycle = findCycle(in: remaining)
                throw ComposeError(.dependencyCycle, "dependency cycle detected: \(cycle.joined(separator: " -> "))",
                                   at: positions[cycle.first ?? ""], path: "services.\(cycle.first ?? "").depends_on",
                                   hint: "remove one of these depends_on, links or volumes_from entries")
            }
            for name in ready {
                order.append(name)
                done.insert(name)
                remaining[name] = nil
            }
        }
        return order
    }

    /// `service` and everything it needs, transitively.
    public func closure(of services: [String]) -> Set<String> {
        var result = Set<String>()
        var stack = services
        while let next = stack.popLast() {
            if result.insert(next).inserted { stack.append(contentsOf: dependencies[next] ?? []) }
        }
        return result
    }

    /// Services that depend on any of `services`, transitively (those to stop first).
    public func dependents(of services: Set<String>) -> Set<String> {
        var result = Set<String>()
        var changed = true
        while changed {
            changed = false
            for (name, needs) in dependencies where !result.contains(name) && !services.contains(name) {
                if needs.contains(where: { services.contains($0) || result.contains($0) }) {
                    result.insert(name)
                    changed = true
                }
            }
        }
        return result
    }

    private func findCycle(in graph: [String: [String]]) -> [String] {
        for start in graph.keys.sorted() {
            var path = [start]
            var current = start
            var visited = Set([start])
            while let next = graph[current]?.first(where: { graph[$0] != nil }) {
                if let index = path.firstIndex(of: next) { return Array(path[index...]) + [next] }
                if !visited.insert(next).inserted { break }
                path.append(next)
                current = next
            }
        }
        return graph.keys.sorted()
    }
}
