/// Writes an output-shaped tree (see `OutputShape`) as Go's encoding/json does:
/// compact with <, > and & escaped (json.Marshal, which the config hash digests), or
/// indented (json.MarshalIndent, which `config --format json` prints).
struct GoJSONEncoder {
    var indent: String?
    var escapeHTML = true

    func encode(_ node: ConfigNode, _ kind: AttributeKind) -> String {
        var out = ""
        write(OutputShape.shape(node, kind), into: &out, depth: 0)
        return out
    }

    /// Writes a tree that `OutputShape` has already put in order.
    func encodeShaped(_ node: ConfigNode) -> String {
        var out = ""
        write(node, into: &out, depth: 0)
        return out
    }

    private func newline(_ out: inout String, _ depth: Int) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<depth { out += indent }
    }

    private func write(_ node: ConfigNode, into out: inout String, depth: Int) {
        switch node.kind {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += OutputShape.float64(d)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (index, value) in items.enumerated() {
                if index > 0 { out += "," }
                newline(&out, depth + 1)
                write(value, into: &out, depth: depth + 1)
            }
            newline(&out, depth)
            out += "]"
        case .object(let object):
            if object.isEmpty { out += "{}"; return }
            out += "{"
            for (index, entry) in object.entries.enumerated() {
                if index > 0 { out += "," }
                newline(&out, depth + 1)
                writeString(entry.key, into: &out)
                out += indent == nil ? ":" : ": "
                write(entry.value, into: &out, depth: depth + 1)
            }
            newline(&out, depth)
            out += "}"
        }
    }

    func writeString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<" where escapeHTML: out += "\\u003c"
            case ">" where escapeHTML: out += "\\u003e"
            case "&" where escapeHTML: out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
