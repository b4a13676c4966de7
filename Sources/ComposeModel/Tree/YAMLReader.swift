import Yams

/// Turns YAML text into `ConfigNode` documents, keeping the line and column of every
/// value. Scalars are resolved the way docker compose's YAML library (YAML 1.2 core
/// schema) does: `yes`/`no`/`on`/`off` stay strings, quoted scalars are always strings.
public enum YAMLReader {
    /// An alias-heavy document can expand exponentially ("billion laughs"); refuse it.
    static let maximumNodes = 2_000_000

    public static func documents(_ text: String, file: String) throws(ComposeError) -> [ConfigNode] {
        let parser: Parser
        do {
            parser = try Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .default)
        } catch {
            throw yamlError(error, file: file)
        }
        var documents: [ConfigNode] = []
        var budget = maximumNodes
        while true {
            let root: Yams.Node?
            do {
                root = try parser.nextRoot()
            } catch {
                throw yamlError(error, file: file)
            }
            guard let root else { break }
            documents.append(try convert(root, file: file, budget: &budget))
        }
        return documents
    }

    private static func position(_ node: Yams.Node, _ file: String) -> SourcePosition? {
        node.mark.map { SourcePosition(file: file, line: $0.line, column: $0.column) }
    }

    private static func convert(_ node: Yams.Node, file: String, budget: inout Int) throws(ComposeError) -> ConfigNode {
        budget -= 1
        if budget < 0 {
            throw ComposeError(.yaml, "document too large after expanding aliases",
                               at: position(node, file), hint: "reduce the nesting of YAML anchors and aliases")
        }
        let at = position(node, file)
        // Read the tag as written: asking the node for `tag` would resolve implicit tags.
        let writtenTag: String = switch node {
            case .scalar(let scalar): scalar.tag.description
            case .mapping(let mapping): mapping.tag.description
            case .sequence(let sequence): sequence.tag.description
            case .alias: ""
        }
        let tag: ConfigNode.MergeTag? = switch writtenTag {
            case "!reset": .reset
            case "!override": .override
            default: nil
        }
        switch node {
        case .scalar(let scalar):
            var result = ConfigNode(resolve(scalar, tag: writtenTag), at: at)
            result.mergeTag = tag
            if tag == .reset, scalar.string.isEmpty { result.kind = .null }
            return result
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try convert(item, file: file, budget: &budget)) }
            return ConfigNode(.array(items), at: at, mergeTag: tag)
        case .mapping(let mapping):
            return ConfigNode(.object(try convertMapping(mapping, file: file, budget: &budget)), at: at, mergeTag: tag)
        case .alias:
            // The composer resolves aliases to their anchored nodes; nothing reaches here.
            return ConfigNode(.null, at: at)
        }
    }

    private static func convertMapping(_ mapping: Yams.Node.Mapping, file: String, budget: inout Int) throws(ComposeError) -> ConfigObject {
        var object = ConfigObject()
        var merged: [ConfigObject] = []
        for (keyNode, valueNode) in mapping {
            let keyPosition = position(keyNode, file)
            guard case .scalar(let keyScalar) = keyNode else {
                throw ComposeError(.yaml, "mapping keys must be strings, not \(keyNode.sequence != nil ? "a sequence" : "a mapping")", at: keyPosition)
            }
            let key = keyScalar.string
            if key == "<<", keyScalar.style == .plain {
                // YAML merge key: `<<: *base` or `<<: [*a, *b]`; explicit keys win.
                let value = try convert(valueNode, file: file, budget: &budget)
                switch value.kind {
                case .object(let source): merged.append(source)
                case .array(let sources):
                    for source in sources {
                        guard let sourceObject = source.object else {
                            throw ComposeError(.yaml, "merge key '<<' expects a mapping or a list of mappings", at: keyPosition)
                        }
                        merged.append(sourceObject)
                    }
                default:
                    throw ComposeError(.yaml, "merge key '<<' expects a mapping or a list of mappings", at: keyPosition)
                }
                continue
            }
            if object.index(of: key) != nil {
                throw ComposeError(.yaml, "mapping key \"\(key)\" already defined", at: keyPosition,
                                   hint: "remove one of the two \"\(key)\" entries")
            }
            object.set(key, try convert(valueNode, file: file, budget: &budget), keyPosition: keyPosition)
        }
        // Earlier merge sources take precedence over later ones, explicit keys over all.
        for source in merged {
            for entry in source.entries where object.index(of: entry.key) == nil {
                object.set(entry.key, entry.value, keyPosition: entry.keyPosition)
            }
        }
        return object
    }

    private static func resolve(_ scalar: Yams.Node.Scalar, tag: String) -> ConfigNode.Kind {
        let text = scalar.string
        switch tag {
        case "tag:yaml.org,2002:str": return .string(text)
        case "tag:yaml.org,2002:int": if let i = parseInt(text) { return .int(i) }
        case "tag:yaml.org,2002:float": if let d = parseFloat(text) { return .double(d) }
        case "tag:yaml.org,2002:bool": if let b = parseBool(text) { return .bool(b) }
        case "tag:yaml.org,2002:null": return .null
        default: break
        }
        guard scalar.style == .plain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        default: break
        }
        if let b = parseBool(text) { return .bool(b) }
        if let i = parseInt(text) { return .int(i) }
        if let d = parseFloat(text) { return .double(d) }
        return .string(text)
    }

    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    static func parseInt(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        guard let first = body.first, first.isASCII, first.isNumber || first == "0" else { return nil }
        let value: Int?
        if body.hasPrefix("0x") { value = Int(body.dropFirst(2), radix: 16) }
        else if body.hasPrefix("0o") { value = Int(body.dropFirst(2), radix: 8) }
        // docker compose's YAML library reads a leading zero as octal (file modes: 0440).
        else if body.count > 1, body.hasPrefix("0"), body.allSatisfy({ ("0"..."7").contains($0) }) { value = Int(body.dropFirst(), radix: 8) }
        else if body.allSatisfy({ $0.isASCII && $0.isNumber }) { value = Int(body) }
        else { value = nil }
        return value.map { negative ? -$0 : $0 }
    }

    static func parseFloat(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // YAML 1.2 core: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
        var sawDigit = false
        var index = text.startIndex
        if index < text.endIndex, text[index] == "-" || text[index] == "+" { index = text.index(after: index) }
        var sawDot = false, sawExponent = false
        while index < text.endIndex {
            let c = text[index]
            if c.isASCII && c.isNumber { sawDigit = true }
            else if c == ".", !sawDot, !sawExponent { sawDot = true }
            else if (c == "e" || c == "E"), sawDigit, !sawExponent {
                sawExponent = true
                let next = text.index(after: index)
                if next < text.endIndex, text[next] == "-" || text[next] == "+" { index = next }
            } else { return nil }
            index = text.index(after: index)
        }
        guard sawDigit else { return nil }
        return Double(text)
    }

    private static func yamlError(_ error: any Error, file: String) -> ComposeError {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(let context, let problem, let mark, _),
                 .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                var message = problem
                if let context { message = "\(context.text) \(problem)".trimmingCharacters(in: .whitespaces) }
                return ComposeError(.yaml, "invalid YAML: \(message)", at: SourcePosition(file: file, line: mark.line, column: mark.column))
            case .reader(let problem, _, _, _):
                return ComposeError(.yaml, "invalid YAML: \(problem)", at: SourcePosition(file: file, line: 1, column: 1))
            case .duplicatedKeysInMapping(let duplicates, let context):
                return ComposeError(.yaml, "mapping key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) already defined: \(context.text)",
                                    at: SourcePosition(file: file, line: context.mark.line, column: context.mark.column))
            default:
                return ComposeError(.yaml, "invalid YAML: \(yaml)", at: SourcePosition(file: file, line: 1, column: 1))
            }
        }
        return ComposeError(.yaml, "invalid YAML: \(error)", at: SourcePosition(file: file, line: 1, column: 1))
    }
}
