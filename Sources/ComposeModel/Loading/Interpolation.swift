/// Variable substitution in compose values: `$VAR`, `${VAR}`, `${VAR:-default}`,
/// `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`, `${VAR:+alternative}`,
/// `${VAR+alternative}` (defaults and alternatives may nest), and `$$` for a literal `$`.
public struct Interpolator {
    public var lookup: (String) -> String?
    /// Called once per variable that is used but not set (docker compose warns).
    public var onUnset: ((String) -> Void)?

    public init(lookup: @escaping (String) -> String?, onUnset: ((String) -> Void)? = nil) {
        self.lookup = lookup
        self.onUnset = onUnset
    }

    public init(environment: [String: String]) {
        self.init(lookup: { environment[$0] })
    }

    public struct Failure: Error, Sendable {
        public var message: String
        public var hint: String?
    }

    /// Substitutes every variable in `text`.
    public func substitute(_ text: String) throws(Failure) -> String {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        var scanner = Scanner(Array(text.unicodeScalars))
        return try expand(&scanner, untilBrace: false)
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var index = 0
        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }
        var atEnd: Bool { index >= scalars.count }
        var current: Unicode.Scalar { scalars[index] }
        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }
    }

    private static func isNameStart(_ s: Unicode.Scalar) -> Bool {
        s == "_" || (s >= "a" && s <= "z") || (s >= "A" && s <= "Z")
    }

    private static func isNameChar(_ s: Unicode.Scalar) -> Bool {
        isNameStart(s) || (s >= "0" && s <= "9")
    }

    /// Expands until the end of input, or (inside `${…}`) until its matching `}`.
    private func expand(_ scanner: inout Scanner, untilBrace: Bool) throws(Failure) -> String {
        var output = String.UnicodeScalarView()
        var depth = 0
        while !scanner.atEnd {
            let c = scanner.current
            if untilBrace {
                if c == "{" { depth += 1 }
                if c == "}" {
                    if depth == 0 { return String(output) }
                    depth -= 1
                }
            }
            guard c == "$" else {
                output.append(c)
                scanner.index += 1
                continue
            }
            guard let next = scanner.peek(1) else {
                output.append(c)
                scanner.index += 1
                continue
            }
            if next == "$" {
                output.append("$")
                scanner.index += 2
            } else if next == "{" {
                scanner.index += 2
                output.append(contentsOf: try braced(&scanner).unicodeScalars)
            } else if Self.isNameStart(next) {
                scanner.index += 1
                var name = ""
                while !scanner.atEnd, Self.isNameChar(scanner.current) {
                    name.unicodeScalars.append(scanner.current)
                    scanner.index += 1
                }
                output.append(contentsOf: value(of: name).unicodeScalars)
            } else {
                // `$(`, `$1`, `$ ` … are not variables: docker compose keeps them as written.
                output.append(c)
                scanner.index += 1
            }
        }
        if untilBrace { throw invalid(scanner) }
        return String(output)
    }

    private func invalid(_ scanner: Scanner) -> Failure {
        Failure(message: "invalid interpolation format in \"\(String(String.UnicodeScalarView(scanner.scalars)))\"",
                hint: "write $$ for a literal $, and close every ${ with }")
    }

    private func value(of name: String) -> String {
        if let value = lookup(name) { return value }
        onUnset?(name)
        return ""
    }

    /// After `${`: a name, then `}` or an operator and its argument up to the matching `}`.
    private func braced(_ scanner: inout Scanner) throws(Failure) -> String {
        var name = ""
        guard !scanner.atEnd, Self.isNameStart(scanner.current) else { throw invalid(scanner) }
        while !scanner.atEnd, Self.isNameChar(scanner.current) {
            name.unicodeScalars.append(scanner.current)
            scanner.index += 1
        }
        guard !scanner.atEnd else { throw invalid(scanner) }
        if scanner.current == "}" {
            scanner.index += 1
            return value(of: name)
        }
        var colon = false
        if scanner.current == ":" {
            colon = true
            scanner.index += 1
            guard !scanner.atEnd else { throw invalid(scanner) }
        }
        let op = scanner.current
        guard op == "-" || op == "+" || op == "?" else { throw invalid(scanner) }
        scanner.index += 1
        let set = lookup(name)
        let present = colon ? (set.map { !$0.isEmpty } ?? false) : set != nil
        // The argument is expanded only when it is used, as in docker compose.
        let start = scanner.index
        let argument: String
        if (op == "-" && !present) || (op == "+" && present) || (op == "?" && !present) {
            argument = try expand(&scanner, untilBrace: true)
        } else {
            argument = ""
            try skipArgument(&scanner)
        }
        _ = start
        guard !scanner.atEnd, scanner.current == "}" else { throw invalid(scanner) }
        scanner.index += 1
        switch op {
        case "-": return present ? set! : argument
        case "+": return present ? argument : ""
        default:
            if present { return set! }
            let reason = argument.isEmpty ? "" : ": \(argument)"
            throw Failure(message: "required variable \(name) is missing a value\(reason)",
                          hint: "set \(name) in the environment or in the project's .env file")
        }
    }

    private func skipArgument(_ scanner: inout Scanner) throws(Failure) {
        var depth = 0
        while !scanner.atEnd {
            let c = scanner.current
            if c == "{" { depth += 1 }
            if c == "}" {
                if depth == 0 { return }
                depth -= 1
            }
            scanner.index += 1
        }
        throw invalid(scanner)
    }
}

/// Interpolates a whole document and casts the results at the paths where docker
/// compose expects numbers or booleans (`privileged: "${PRIV:-false}"` is a boolean).
enum DocumentInterpolation {
    enum Cast { case int, double, bool }

    static let casts: [(PathPattern, Cast)] = {
        let service = ["services", "*"]
        func s(_ parts: String...) -> PathPattern { PathPattern(service + parts) }
        func top(_ parts: String...) -> PathPattern { PathPattern(parts) }
        return [
            (s("cpu_count"), .int), (s("cpu_percent"), .double), (s("cpu_period"), .int), (s("cpu_quota"), .int),
            (s("cpu_rt_period"), .int), (s("cpu_rt_runtime"), .int), (s("cpus"), .double), (s("cpu_shares"), .int),
            (s("init"), .bool), (s("deploy", "replicas"), .int), (s("deploy", "update_config", "parallelism"), .int),
            (s("deploy", "update_config", "max_failure_ratio"), .double), (s("deploy", "rollback_config", "parallelism"), .int),
            (s("deploy", "rollback_config", "max_failure_ratio"), .double), (s("deploy", "restart_policy", "max_attempts"), .int),
            (s("deploy", "placement", "max_replicas_per_node"), .int), (s("healthcheck", "retries"), .int),
            (s("healthcheck", "disable"), .bool), (s("oom_kill_disable"), .bool), (s("oom_score_adj"), .int),
            (s("pids_limit"), .int), (s("ports", "[]", "target"), .int), (s("privileged"), .bool), (s("read_only"), .bool),
            (s("scale"), .int), (s("stdin_open"), .bool), (s("tty"), .bool), (s("ulimits", "*"), .int),
            (s("ulimits", "*", "hard"), .int), (s("ulimits", "*", "soft"), .int), (s("volumes", "[]", "read_only"), .bool),
            (s("volumes", "[]", "volume", "nocopy"), .bool),
            (top("networks", "*", "external"), .bool), (top("networks", "*", "internal"), .bool),
            (top("networks", "*", "attachable"), .bool), (top("networks", "*", "enable_ipv4"), .bool),
            (top("networks", "*", "enable_ipv6"), .bool), (top("volumes", "*", "external"), .bool),
            (top("secrets", "*", "external"), .bool), (top("configs", "*", "external"), .bool),
        ]
    }()

    static func apply(_ node: ConfigNode, _ interpolator: Interpolator, path: [String] = []) throws(ComposeError) -> ConfigNode {
        var result = node
        switch node.kind {
        case .string(let text):
            let substituted: String
            do {
                substituted = try interpolator.substitute(text)
            } catch {
                throw ComposeError(.interpolation, error.message, at: node.position, path: AttributePath.render(path), hint: error.hint)
            }
            result.kind = .string(substituted)
            if let cast = casts.first(where: { $0.0.matches(path) })?.1 {
                result.kind = try castValue(substituted, cast, node: node, path: path)
            }
        case .array(let items):
            var out: [ConfigNode] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try apply(item, interpolator, path: path + ["[]"])) }
            result.kind = .array(out)
        case .object(var object):
            try object.mapValues { key, value throws(ComposeError) in try apply(value, interpolator, path: path + [key]) }
            result.kind = .object(object)
        default:
            break
        }
        return result
    }

    private static func castValue(_ text: String, _ cast: Cast, node: ConfigNode, path: [String]) throws(ComposeError) -> ConfigNode.Kind {
        switch cast {
        case .int:
            if let value = Int(text) { return .int(value) }
        case .double:
            if let value = Double(text) { return .double(value) }
        case .bool:
            switch text.lowercased() {
            case "true", "y", "yes", "on": return .bool(true)
            case "false", "n", "no", "off": return .bool(false)
            default: break
            }
        }
        let expected = cast == .bool ? "a boolean (true or false)" : cast == .int ? "an integer" : "a number"
        throw ComposeError(.invalidType, "\"\(text)\" is not \(expected)", at: node.position, path: AttributePath.render(path))
    }
}
