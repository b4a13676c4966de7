/// Merges compose documents the way the Compose Specification says an override file
/// applies to a base: mappings merge key by key, most sequences append, a few
/// attributes replace (`command`, `entrypoint`, `healthcheck.test`), and the key=value
/// style lists (environment, labels, …) merge by key. `!reset` removes a base value and
/// `!override` replaces it whole.
enum ComposeMerge {
    typealias Merger = @Sendable (ConfigNode, ConfigNode, [String]) throws(ComposeError) -> ConfigNode

    static let specials: [(PathPattern, Merger)] = {
        func p(_ text: String) -> PathPattern { PathPattern(text.split(separator: ".").map(String.init)) }
        let replace: Merger = { _, other, _ in other }
        let toSequence: Merger = { base, other, _ in ConfigNode(.array(sequence(base) + sequence(other)), at: base.position) }
        let extraHosts: Merger = { base, other, _ in
            let left = sequence(base)
            let right = sequence(other).filter { !left.contains($0) }
            return ConfigNode(.array(left + right), at: base.position)
        }
        let dependsOn: Merger = { base, other, path throws(ComposeError) in
            let defaults = ConfigObject([("condition", .string("service_started")), ("required", .bool(true))])
            return try mergeMappings(mapping(base, default: defaults), mapping(other, default: defaults), path)
        }
        let keyedMapping: Merger = { base, other, path throws(ComposeError) in
            try mergeMappings(mapping(base, default: nil), mapping(other, default: nil), path)
        }
        let build: Merger = { base, other, path throws(ComposeError) in
            func asObject(_ node: ConfigNode) -> ConfigNode {
                if let context = node.string { return ConfigNode(.object(ConfigObject([("context", .string(context, at: node.position))])), at: node.position) }
                return node
            }
            return try merge(asObject(base), asObject(other), path, special: false)
        }
        let logging: Merger = { base, other, path throws(ComposeError) in
            let baseDriver = base["driver"], otherDriver = other["driver"]
            if baseDriver == nil || otherDriver == nil || baseDriver == otherDriver {
                return try merge(base, other, path, special: false)
            }
            return other
        }
        let ulimit: Merger = { _, other, _ in other }
        return [
            (p("networks.*.ipam.config"), replace),
            (p("networks.*.labels"), toSequence), (p("volumes.*.labels"), toSequence),
            (p("services.*.annotations"), toSequence), (p("services.*.build"), build),
            (p("services.*.build.args"), toSequence), (p("services.*.build.additional_contexts"), toSequence),
            (p("services.*.build.extra_hosts"), extraHosts), (p("services.*.build.labels"), toSequence),
            (p("services.*.command"), replace), (p("services.*.depends_on"), dependsOn),
            (p("services.*.deploy.labels"), toSequence), (p("services.*.dns"), toSequence),
            (p("services.*.dns_opt"), toSequence), (p("services.*.dns_search"), toSequence),
            (p("services.*.entrypoint"), replace), (p("services.*.env_file"), toSequence),
            (p("services.*.label_file"), toSequence), (p("services.*.environment"), toSequence),
            (p("services.*.extra_hosts"), extraHosts), (p("services.*.healthcheck.test"), replace),
            (p("services.*.labels"), toSequence), (p("services.*.volumes.*.volume.labels"), toSequence),
            (p("services.*.logging"), logging), (p("services.*.models"), keyedMapping),
            (p("services.*.networks"), keyedMapping), (p("services.*.sysctls"), toSequence),
            (p("services.*.tmpfs"), toSequence), (p("services.*.ulimits.*"), ulimit),
        ]
    }()

    /// Merges `other` (the override) onto `base`.
    static func merge(_ base: ConfigNode, _ other: ConfigNode, _ path: [String] = [], special: Bool = true) throws(ComposeError) -> ConfigNode {
        if other.mergeTag == .override { return stripTag(other) }
        if special, let merger = specials.first(where: { $0.0.matches(path) })?.1 {
            return try merger(base, other, path)
        }
        if other.isNull { return base }
        switch (base.kind, other.kind) {
        case (.object, .object):
            return try mergeMappings(base, other, path)
        case (.array(let left), .array(let right)):
            return ConfigNode(.array(left + right), at: base.position)
        case (.object, _), (.array, _):
            throw ComposeError(.invalidType, "cannot override \(AttributePath.render(path)): the override is \(other.typeName), the base is \(base.typeName)",
                               at: other.position, path: AttributePath.render(path))
        default:
            return other
        }
    }

    private static func mergeMappings(_ base: ConfigNode, _ other: ConfigNode, _ path: [String]) throws(ComposeError) -> ConfigNode {
        guard var merged = base.object, let overrides = other.object else { return other }
        for entry in overrides.entries {
            if entry.value.mergeTag == .reset {
                merged[entry.key] = nil
                continue
            }
            if let existing = merged[entry.key] {
                merged.set(entry.key, try merge(existing, entry.value, path + [entry.key]), keyPosition: entry.keyPosition)
            } else {
                merged.set(entry.key, stripTag(entry.value), keyPosition: entry.keyPosition)
            }
        }
        return ConfigNode(.object(merged), at: base.position)
    }

    /// A value that arrives with nothing to override keeps no merge tag, except that
    /// `!reset` content inside it is dropped.
    static func stripTag(_ node: ConfigNode) -> ConfigNode {
        var result = node
        result.mergeTag = nil
        switch node.kind {
        case .object(let object):
            var cleaned = ConfigObject()
            for entry in object.entries where entry.value.mergeTag != .reset {
                cleaned.set(entry.key, stripTag(entry.value), keyPosition: entry.keyPosition)
            }
            result.kind = .object(cleaned)
        case .array(let items):
            result.kind = .array(items.filter { $0.mergeTag != .reset }.map(stripTag))
        default:
            if node.mergeTag == .reset { result.kind = .null }
        }
        return result
    }

    /// `KEY=value` list form of a mapping or list (mapping entries sorted, as Go does).
    static func sequence(_ node: ConfigNode) -> [ConfigNode] {
        switch node.kind {
        case .array(let items): return items
        case .string: return [node]
        case .object(let object):
            var items: [ConfigNode] = []
            for entry in object.sortedEntries {
                if entry.value.isNull {
                    items.append(.string(entry.key, at: entry.keyPosition))
                } else if let values = entry.value.array {
                    for value in values { items.append(.string("\(entry.key)=\(value.scalarText ?? "")", at: value.position)) }
                } else {
                    items.append(.string("\(entry.key)=\(entry.value.scalarText ?? "")", at: entry.value.position))
                }
            }
            return items
        default: return []
        }
    }

    /// Mapping form of a list of names (`[a, b]` → `{a: default, b: default}`).
    static func mapping(_ node: ConfigNode, default value: ConfigObject?) -> ConfigNode {
        guard let items = node.array else { return node }
        var object = ConfigObject()
        for item in items {
            let key = item.scalarText ?? ""
            object.set(key, value.map { ConfigNode(.object($0), at: item.position) } ?? ConfigNode(.null, at: item.position), keyPosition: item.position)
        }
        return ConfigNode(.object(object), at: node.position)
    }
}
