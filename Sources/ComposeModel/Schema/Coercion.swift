/// Checks a merged compose tree against `ComposeSchema` and rewrites each value into its
/// canonical form: unknown attributes and wrong types are errors with file:line:column
/// and a did-you-mean; short forms become long forms (sizes → bytes, durations → Go
/// duration text, `KEY=value` lists → mappings, command strings → word lists).
struct Coercion {
    /// Attributes a single host ignores that were used, reported once as warnings.
    var ignored: [String] = []

    mutating func object(_ node: ConfigNode, _ schema: Schema, path: [String]) throws(ComposeError) -> ConfigNode {
        guard let object = node.object else {
            throw typeError(node, expected: "a mapping", path: path)
        }
        var result = ConfigObject()
        for entry in object.entries {
            let childPath = path + [entry.key]
            guard let attribute = schema.attribute(entry.key) else {
                if entry.key.hasPrefix("x-"), schema.allowsExtensions {
                    result.set(entry.key, entry.value, keyPosition: entry.keyPosition)
                    continue
                }
                var hint: String?
                if let suggestion = schema.suggestion(for: entry.key) { hint = "did you mean \"\(suggestion)\"?" }
                throw ComposeError(.unknownAttribute, "unknown attribute \"\(entry.key)\" in \(schema.name)",
                                   at: entry.keyPosition ?? entry.value.position, path: AttributePath.render(childPath), hint: hint)
            }
            if schema.ignoredOnSingleHost.contains(entry.key), !entry.value.isNull {
                ignored.append(AttributePath.render(childPath))
            }
            if entry.value.isNull {
                // `key:` with no value means "not set", except that `command: null` clears
                // the image's command and a null map entry (`networks: {default: }`) is a name.
                switch attribute.kind {
                case .map, .shellCommand: result.set(entry.key, entry.value, keyPosition: entry.keyPosition)
                default: break
                }
                continue
            }
            result.set(entry.key, try value(entry.value, attribute.kind, path: childPath), keyPosition: entry.keyPosition)
        }
        return ConfigNode(.object(result), at: node.position)
    }

    mutating func value(_ node: ConfigNode, _ kind: AttributeKind, path: [String]) throws(ComposeError) -> ConfigNode {
        var out = node
        switch kind {
        case .any:
            return node
        case .string:
            switch node.kind {
            case .string: return node
            case .int, .double: out.kind = .string(node.scalarText!)
            default: throw typeError(node, expected: kind.description, path: path)
            }
        case .bool:
            switch node.kind {
            case .bool: return node
            case .string(let text):
                guard let parsed = YAMLReader.parseBool(text) else { throw typeError(node, expected: kind.description, path: path) }
                out.kind = .bool(parsed)
            default: throw typeError(node, expected: kind.description, path: path)
            }
        case .int:
            switch node.kind {
            case .int: return node
            case .string(let text):
                guard let parsed = Int(text) else { throw typeError(node, expected: kind.description, path: path) }
                out.kind = .int(parsed)
            default: throw typeError(node, expected: kind.description, path: path)
            }
        case .float:
            switch node.kind {
            case .double: return node
            case .int(let i): out.kind = .double(Double(i))
            case .string(let text):
                guard let parsed = Double(text) else { throw typeError(node, expected: kind.description, path: path) }
                out.kind = .double(parsed)
            default: throw typeError(node, expected: kind.description, path: path)
            }
        case .duration:
            guard let text = node.scalarText, node.bool == nil, let ns = Units.nanoseconds(text) else {
                throw ComposeError(.invalidValue, "\(describe(node)) is not a duration", at: node.position,
                                   path: AttributePath.render(path), hint: "write it like \"30s\", \"1m30s\" or \"500ms\"")
            }
            out.kind = .string(GoFormat.duration(nanoseconds: ns))
        case .bytes:
            switch node.kind {
            case .int: return node
            case .string(let text):
                guard let bytes = Units.bytes(text) else {
                    throw ComposeError(.invalidValue, "\(describe(node)) is not a size", at: node.position,
                                       path: AttributePath.render(path), hint: "write it like \"512m\", \"1g\" or a number of bytes")
                }
                out.kind = .int(bytes)
            default: throw typeError(node, expected: kind.description, path: path)
            }
        case .fileMode:
            switch node.kind {
            case .int: return node
            case .string(let text):
                guard let mode = Int(text, radix: 8) else { throw typeError(node, expected: kind.description, path: path) }
                out.kind = .int(mode)
            default: throw typeError(node, expected: kind.description, path: path)
            }
        case .stringList(let acceptsString):
            if acceptsString, node.string != nil { out.kind = .array([node]); return out }
            guard let items = node.array else { throw typeError(node, expected: kind.description, path: path) }
            out.kind = .array(try scalars(items, path: path, numbers: false))
        case .stringOrNumberList:
            guard let items = node.array else { throw typeError(node, expected: kind.description, path: path) }
            out.kind = .array(try scalars(items, path: path, numbers: true))
        case .mapping, .mappingWithEquals:
            out.kind = .object(try mapping(node, keepUnset: kind.isMappingWithEquals, path: path))
        case .hostsList:
            out.kind = .array(try hosts(node, path: path))
        case .shellCommand:
            switch node.kind {
            case .null: return node
            case .string(let text):
                do {
                    out.kind = .array(try ShellWords.split(text).map { ConfigNode.string($0, at: node.position) })
                } catch {
                    throw ComposeError(.invalidValue, "cannot split \(describe(node)) into words: \(error.message)", at: node.position, path: AttributePath.render(path))
                }
            case .array(let items): out.kind = .array(try scalars(items, path: path, numbers: false))
            default: throw typeError(node, expected: kind.description, path: path)
            }
        case .healthTest:
            switch node.kind {
            case .string: out.kind = .array([.string("CMD-SHELL", at: node.position), node])
            case .array(let items): out.kind = .array(try scalars(items, path: path, numbers: false))
            default: throw typeError(node, expected: kind.description, path: path)
            }
        case .ulimit:
            switch node.kind {
            case .int: return node
            case .string(let text):
                guard let value = Int(text) else { throw typeError(node, expected: kind.description, path: path) }
                out.kind = .int(value)
            case .object:
                let limit = Schema("ulimit", extensions: false, [Attribute("soft", .int, .always), Attribute("hard", .int, .always)])
                return try object(node, limit, path: path)
            default: throw typeError(node, expected: kind.description, path: path)
            }
        case .object(let schema):
            return try object(node, schema, path: path)
        case .list(let element):
            guard let items = node.array else { throw typeError(node, expected: kind.description, path: path) }
            var result: [ConfigNode] = []
            for (index, item) in items.enumerated() {
                result.append(try value(item, element, path: path + ["[\(index)]"]))
            }
            out.kind = .array(result)
        case .map(let element):
            guard let entries = node.object else { throw typeError(node, expected: kind.description, path: path) }
            var result = ConfigObject()
            for entry in entries.entries {
                let coerced = entry.value.isNull ? entry.value : try value(entry.value, element, path: path + [entry.key])
                result.set(entry.key, coerced, keyPosition: entry.keyPosition)
            }
            out.kind = .object(result)
        }
        return out
    }

    private func scalars(_ items: [ConfigNode], path: [String], numbers: Bool) throws(ComposeError) -> [ConfigNode] {
        var result: [ConfigNode] = []
        for (index, item) in items.enumerated() {
            switch item.kind {
            case .string: result.append(item)
            case .int, .double where numbers: result.append(.string(item.scalarText!, at: item.position))
            default:
                throw typeError(item, expected: numbers ? "a string or a number" : "a string", path: path + ["[\(index)]"])
            }
        }
        return result
    }

    private func mapping(_ node: ConfigNode, keepUnset: Bool, path: [String]) throws(ComposeError) -> ConfigObject {
        var result = ConfigObject()
        switch node.kind {
        case .object(let object):
            for entry in object.entries {
                switch entry.value.kind {
                case .null:
                    result.set(entry.key, keepUnset ? entry.value : .string("", at: entry.value.position), keyPosition: entry.keyPosition)
                case .string, .int, .double, .bool:
                    result.set(entry.key, .string(entry.value.scalarText!, at: entry.value.position), keyPosition: entry.keyPosition)
                default:
                    throw typeError(entry.value, expected: "a string, number or boolean", path: path + [entry.key])
                }
            }
        case .array(let items):
            for (index, item) in items.enumerated() {
                guard let text = item.scalarText, item.bool == nil else {
                    throw typeError(item, expected: "a KEY=value string", path: path + ["[\(index)]"])
                }
                if let equals = text.firstIndex(of: "=") {
                    result.set(String(text[..<equals]), .string(String(text[text.index(after: equals)...]), at: item.position), keyPosition: item.position)
                } else {
                    result.set(text, keepUnset ? ConfigNode(.null, at: item.position) : .string("", at: item.position), keyPosition: item.position)
                }
            }
        default:
            throw typeError(node, expected: "a mapping or a list of KEY=value", path: path)
        }
        return result
    }

    private func hosts(_ node: ConfigNode, path: [String]) throws(ComposeError) -> [ConfigNode] {
        var pairs: [(String, String, SourcePosition?)] = []
        switch node.kind {
        case .object(let object):
            for entry in object.entries {
                if let list = entry.value.array {
                    for ip in list { pairs.append((entry.key, ip.scalarText ?? "", ip.position)) }
                } else {
                    pairs.append((entry.key, entry.value.scalarText ?? "", entry.value.position))
                }
            }
        case .array(let items):
            for (index, item) in items.enumerated() {
                guard let text = item.string else { throw typeError(item, expected: "a host:ip string", path: path + ["[\(index)]"]) }
                let separator = text.firstIndex(of: "=") ?? text.firstIndex(of: ":")
                guard let separator else {
                    throw ComposeError(.invalidValue, "\"\(text)\" is not host:ip", at: item.position, path: AttributePath.render(path + ["[\(index)]"]),
                                       hint: "write extra hosts as \"name:address\" or \"name=address\"")
                }
                pairs.append((String(text[..<separator]), String(text[text.index(after: separator)...]), item.position))
            }
        default:
            throw typeError(node, expected: "a list of host:ip or a mapping", path: path)
        }
        var seen = Set<String>()
        var rendered: [ConfigNode] = []
        for (host, ip, position) in pairs {
            let address = ip.hasPrefix("[") && ip.hasSuffix("]") ? String(ip.dropFirst().dropLast()) : ip
            let text = "\(host)=\(address)"
            if seen.insert(text).inserted { rendered.append(.string(text, at: position)) }
        }
        return rendered.sorted { $0.string! < $1.string! }
    }

    private func describe(_ node: ConfigNode) -> String {
        if let text = node.scalarText { return "\"\(text)\"" }
        return node.typeName
    }

    func typeError(_ node: ConfigNode, expected: String, path: [String]) -> ComposeError {
        ComposeError(.invalidType, "must be \(expected), not \(node.typeName == "string" ? "the string \"\(node.string!)\"" : node.typeName)",
                     at: node.position, path: AttributePath.render(path))
    }
}

extension AttributeKind {
    var isMappingWithEquals: Bool {
        if case .mappingWithEquals = self { return true }
        return false
    }
}
