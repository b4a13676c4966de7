/// The model reshaped for output exactly as docker compose prints it: keys of known
/// objects in compose-go's field order, map keys sorted, attributes left out where Go's
/// `omitempty` leaves them out, sizes as decimal strings, file modes as octal strings,
/// float32 numbers rounded as Go rounds them. JSON and YAML writers print this tree.
enum OutputShape {
    static func shape(_ node: ConfigNode, _ kind: AttributeKind) -> ConfigNode {
        var out = ConfigNode(node.kind)
        switch kind {
        case .object(let schema):
            guard let object = node.object else { return plain(node) }
            var result = ConfigObject()
            for attribute in schema.attributes {
                if let value = object[attribute.key] {
                    switch attribute.emission {
                    case .omitEmpty: if isEmpty(value, attribute.kind) { continue }
                    case .omitNil: if value.isNull { continue }
                    case .always: break
                    }
                    result[attribute.outputKey] = shape(value, attribute.kind)
                } else if attribute.emission == .always {
                    result[attribute.outputKey] = shape(zero(attribute.kind), attribute.kind)
                }
            }
            out.kind = .object(result)
        case .map(let element):
            guard let object = node.object else { return plain(node) }
            out.kind = .object(ConfigObject(object.sortedEntries.map { ($0.key, $0.value.isNull ? $0.value : shape($0.value, element)) }))
        case .mapping, .mappingWithEquals:
            guard let object = node.object else { return plain(node) }
            out.kind = .object(ConfigObject(object.sortedEntries.map { ($0.key, $0.value) }))
        case .list(let element):
            guard let items = node.array else { return plain(node) }
            out.kind = .array(items.map { shape($0, element) })
        case .bytes:
            guard let value = node.int else { return plain(node) }
            out.kind = .string(String(value))
        case .fileMode:
            guard let value = node.int else { return plain(node) }
            out.kind = .string("0" + String(value, radix: 8))
        case .float:
            // Go stores these as float32: print the shortest decimal of the float32.
            if case .double(let d) = node.kind { out.kind = .double(Double(Float(d).description) ?? d) }
        case .ulimit:
            if let object = node.object {
                out.kind = .object(ConfigObject([("soft", object["soft"] ?? .int(0)), ("hard", object["hard"] ?? .int(0))]))
            }
        default:
            return plain(node)
        }
        return out
    }

    /// Values outside the schema (extensions) are Go maps: sorted keys.
    static func plain(_ node: ConfigNode) -> ConfigNode {
        switch node.kind {
        case .object(let object): return ConfigNode(.object(ConfigObject(object.sortedEntries.map { ($0.key, plain($0.value)) })))
        case .array(let items): return ConfigNode(.array(items.map(plain)))
        default: return ConfigNode(node.kind)
        }
    }

    /// Whether Go would leave this value out under `omitempty`.
    static func isEmpty(_ node: ConfigNode, _ kind: AttributeKind) -> Bool {
        switch node.kind {
        case .null: return true
        case .bool(let b): return !b
        case .int(let i): return i == 0
        case .double(let d): return d == 0
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o):
            if case .object = kind { return false }
            return o.isEmpty
        }
    }

    static func zero(_ kind: AttributeKind) -> ConfigNode {
        switch kind {
        case .object: return .object(ConfigObject())
        case .string: return .string("")
        case .bool: return .bool(false)
        case .int, .bytes, .fileMode: return .int(0)
        case .float: return ConfigNode(.double(0))
        default: return .null
        }
    }

    static func float64(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 9.0e18 { return String(Int64(value)) }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value.isNaN { return "NaN" }
        return goExponent(value.description)
    }

    /// Swift writes 1e-07 as "1e-07"; Go's JSON writes "1e-7" (and "1e+21").
    private static func goExponent(_ text: String) -> String {
        guard let e = text.firstIndex(of: "e") else { return text }
        var exponent = String(text[text.index(after: e)...])
        let sign = exponent.hasPrefix("-") ? "-" : "+"
        exponent = String(exponent.drop { $0 == "-" || $0 == "+" || $0 == "0" })
        return String(text[..<e]) + "e" + sign + (exponent.isEmpty ? "0" : exponent)
    }
}

extension OutputShape {
    /// A tree kept in its own key order, with positions and merge tags dropped.
    static func plainOrdered(_ node: ConfigNode) -> ConfigNode {
        switch node.kind {
        case .object(let object): return ConfigNode(.object(ConfigObject(object.entries.map { ($0.key, plainOrdered($0.value)) })))
        case .array(let items): return ConfigNode(.array(items.map(plainOrdered)))
        default: return ConfigNode(node.kind)
        }
    }
}
