/// Prints an output-shaped tree as YAML, in the layout docker compose uses (two-space
/// indent, sequences indented under their key), quoting only the strings that would
/// otherwise read back as something else.
struct YAMLWriter {
    func write(_ node: ConfigNode) -> String {
        var out = ""
        emit(node, into: &out, indent: 0, inline: false)
        if !out.hasSuffix("\n") { out += "\n" }
        return out
    }

    private func pad(_ n: Int) -> String { String(repeating: " ", count: n) }

    private func emit(_ node: ConfigNode, into out: inout String, indent: Int, inline: Bool) {
        switch node.kind {
        case .object(let object):
            if object.isEmpty { out += "{}\n"; return }
            for (index, entry) in object.entries.enumerated() {
                if !(inline && index == 0) { out += pad(indent) }
                out += key(entry.key) + ":"
                emitValue(entry.value, into: &out, indent: indent)
            }
        case .array(let items):
            if items.isEmpty { out += "[]\n"; return }
            for (index, item) in items.enumerated() {
                if !(inline && index == 0) { out += pad(indent) }
                out += "- "
                switch item.kind {
                case .object(let o) where !o.isEmpty: emit(item, into: &out, indent: indent + 2, inline: true)
                case .array(let a) where !a.isEmpty: emit(item, into: &out, indent: indent + 2, inline: true)
                default: out += scalar(item, indent: indent + 2) + "\n"
                }
            }
        default:
            out += scalar(node, indent: indent) + "\n"
        }
    }

    private func emitValue(_ value: ConfigNode, into out: inout String, indent: Int) {
        switch value.kind {
        case .object(let o) where !o.isEmpty:
            out += "\n"
            emit(value, into: &out, indent: indent + 2, inline: false)
        case .array(let a) where !a.isEmpty:
            out += "\n"
            emit(value, into: &out, indent: indent + 2, inline: false)
        case .object: out += " {}\n"
        case .array: out += " []\n"
        default: out += " " + scalar(value, indent: indent + 2) + "\n"
        }
    }

    private func key(_ text: String) -> String { needsQuotes(text) ? quoted(text) : text }

    private func scalar(_ node: ConfigNode, indent: Int) -> String {
        switch node.kind {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return OutputShape.float64(d)
        case .string(let s):
            if s.contains("\n"), !s.hasSuffix(" "), !s.contains("\r") {
                let chomp = s.hasSuffix("\n") ? (s.hasSuffix("\n\n") ? "+" : "") : "-"
                let body = s.hasSuffix("\n") ? String(s.dropLast()) : s
                return "|" + chomp + "\n" + body.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.isEmpty ? "" : pad(indent) + $0 }.joined(separator: "\n")
            }
            return needsQuotes(s) ? quoted(s) : s
        default: return ""
        }
    }

    private func needsQuotes(_ s: String) -> Bool {
        if s.isEmpty { return true }
        if YAMLReader.parseBool(s) != nil || YAMLReader.parseInt(s) != nil || YAMLReader.parseFloat(s) != nil { return true }
        if ["~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"].contains(s) { return true }
        if let first = s.first, "-?:,[]{}#&*!|>'\"%@` \t".contains(first) { return true }
        if s.hasSuffix(" ") || s.hasSuffix(":") || s.contains(": ") || s.contains(" #") { return true }
        return s.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{7F}" }
    }

    private func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 { out += "\\x" + String(scalar.value, radix: 16) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

extension Project {
    /// `docker compose config` (YAML, the default format).
    public func yaml() -> String {
        YAMLWriter().write(Self.yamlOmissions(shapedOutput()))
    }

    /// docker compose's YAML leaves out what its JSON prints as null or {}: unset
    /// `command`/`entrypoint`, empty `ipam`, `resources` and `placement`.
    private static func yamlOmissions(_ node: ConfigNode) -> ConfigNode {
        guard case .object(let object) = node.kind else {
            if case .array(let items) = node.kind { return .array(items.map(yamlOmissions)) }
            return node
        }
        var result = ConfigObject()
        for entry in object.entries {
            if ["command", "entrypoint"].contains(entry.key), entry.value.isNull { continue }
            if ["ipam", "resources", "placement"].contains(entry.key), entry.value.object?.isEmpty == true { continue }
            // Go fields without a json tag print capitalized in JSON but keep their yaml name.
            let key = ["Path": "path", "Rate": "rate", "Weight": "weight"][entry.key] ?? entry.key
            result.set(key, yamlOmissions(entry.value), keyPosition: nil)
        }
        return .object(result)
    }
}

extension ConfigNode {
    /// This tree as YAML, keys in their stored order (for documents other than the compose
    /// model itself, such as generated Kubernetes manifests).
    public func yamlText() -> String {
        YAMLWriter().write(OutputShape.plainOrdered(self))
    }
}
