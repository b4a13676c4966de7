import SystemSupport
/// What one attribute of the compose model holds, in the terms docker compose (Go)
/// uses to store and print it. One table of these drives validation (unknown
/// attributes, wrong types), coercion to canonical values, the key order and
/// omit-when-empty rules of the JSON output, and therefore the config hash.
indirect enum AttributeKind: Sendable {
    case string
    case bool
    case int
    case float
    /// Go `time.Duration`: accepts "1m30s", "500ms", or a number of seconds? (no: a
    /// number is refused, as in docker compose); printed as Go prints durations.
    case duration
    /// Go `UnitBytes`: "512m", "1gb" or a number; printed as a decimal string.
    case bytes
    /// Go `FileMode`: octal in a string ("0440") or a number; printed as "0440".
    case fileMode
    /// A list of strings; `acceptsString` also takes one string as a one-item list.
    case stringList(acceptsString: Bool)
    /// `expose`: strings or numbers, printed as strings.
    case stringOrNumberList
    /// `labels`, `sysctls`, `driver_opts`…: a mapping, or a list of `KEY=value`.
    case mapping
    /// `environment`, `build.args`: like `.mapping`, but a bare `KEY` means unset (null).
    case mappingWithEquals
    /// `extra_hosts`: `host:ip` / `host=ip` list or mapping; printed as sorted `host=ip`.
    case hostsList
    /// `command`, `entrypoint`: a list, or a string split the shell-words way.
    case shellCommand
    /// `healthcheck.test`: a list (`CMD`, `CMD-SHELL`, `NONE`) or a string (→ CMD-SHELL).
    case healthTest
    /// `ulimits.<name>`: a number, or `{soft, hard}`.
    case ulimit
    case object(Schema)
    case list(AttributeKind)
    case map(AttributeKind)
    /// Anything (extension values).
    case any

    var description: String {
        switch self {
        case .string: return "a string"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .float: return "a number"
        case .duration: return "a duration such as \"1m30s\""
        case .bytes: return "a size such as \"512m\" or a number of bytes"
        case .fileMode: return "a file mode such as 0440"
        case .stringList(let single): return single ? "a string or a list of strings" : "a list of strings"
        case .stringOrNumberList: return "a list of ports"
        case .mapping, .mappingWithEquals: return "a mapping or a list of KEY=value"
        case .hostsList: return "a list of host:ip or a mapping"
        case .shellCommand: return "a string or a list of strings"
        case .healthTest: return "a string or a list of strings"
        case .ulimit: return "a number or a mapping with soft and hard"
        case .object: return "a mapping"
        case .list: return "a list"
        case .map: return "a mapping"
        case .any: return "a value"
        }
    }
}

/// One attribute of an object: its key, its kind, and whether docker compose omits it
/// from JSON when empty (Go's `omitempty`) — or always prints it (`command: null`) —
/// and whether it is a Go pointer (printed even when false or zero, if set).
struct Attribute: Sendable {
    enum Emission: Sendable {
        /// Go `omitempty` on a value: absent, false, 0, "" and empty collections are left out.
        case omitEmpty
        /// Go `omitempty` on a pointer: left out only when absent.
        case omitNil
        /// Always printed; `null` when absent.
        case always
    }

    let key: String
    let kind: AttributeKind
    let emission: Emission
    /// The key in JSON output when it differs (Go fields without a json tag).
    let outputKey: String

    init(_ key: String, _ kind: AttributeKind, _ emission: Emission = .omitEmpty, outputKey: String? = nil) {
        self.key = key
        self.kind = kind
        self.emission = emission
        self.outputKey = outputKey ?? key
    }
}

/// The attributes of one kind of object, in the order docker compose prints them.
final class Schema: Sendable {
    let name: String
    let attributes: [Attribute]
    let allowsExtensions: Bool
    /// Known attributes that a single host does not honour (swarm-only); they are
    /// accepted, printed, and reported once as ignored.
    let ignoredOnSingleHost: Set<String>
    private let index: [String: Int]

    init(_ name: String, extensions: Bool = true, ignored: Set<String> = [], _ attributes: [Attribute]) {
        self.name = name
        self.attributes = attributes
        self.allowsExtensions = extensions
        self.ignoredOnSingleHost = ignored
        var index: [String: Int] = [:]
        for (position, attribute) in attributes.enumerated() { index[attribute.key] = position }
        self.index = index
    }

    func attribute(_ key: String) -> Attribute? {
        index[key].map { attributes[$0] }
    }

    /// The known key closest to a misspelt one, for "did you mean".
    func suggestion(for key: String) -> String? {
        var best: (String, Int)?
        for attribute in attributes {
            let distance = editDistance(key, attribute.key)
            if distance <= max(2, key.count / 3), distance < (best?.1 ?? .max) { best = (attribute.key, distance) }
        }
        return best?.0
    }
}
