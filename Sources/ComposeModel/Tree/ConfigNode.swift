/// Where a value came from: the file, and the 1-based line and column in it.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One value of a compose document, as YAML gave it and as the loader reshapes it:
/// a JSON-like tree whose every node remembers where it was written, so that an error
/// found after interpolation, merging or normalization still points at the right line.
public struct ConfigNode: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case array([ConfigNode])
        case object(ConfigObject)
    }

    /// `!reset` drops the value being overridden; `!override` replaces it without merging.
    public enum MergeTag: Sendable, Equatable {
        case reset
        case override
    }

    public var kind: Kind
    public var position: SourcePosition?
    public var mergeTag: MergeTag?

    public init(_ kind: Kind, at position: SourcePosition? = nil, mergeTag: MergeTag? = nil) {
        self.kind = kind
        self.position = position
        self.mergeTag = mergeTag
    }

    public static func == (lhs: ConfigNode, rhs: ConfigNode) -> Bool { lhs.kind == rhs.kind }

    public static let null = ConfigNode(.null)
    public static func string(_ value: String, at position: SourcePosition? = nil) -> ConfigNode { ConfigNode(.string(value), at: position) }
    public static func int(_ value: Int, at position: SourcePosition? = nil) -> ConfigNode { ConfigNode(.int(value), at: position) }
    public static func bool(_ value: Bool, at position: SourcePosition? = nil) -> ConfigNode { ConfigNode(.bool(value), at: position) }
    public static func array(_ value: [ConfigNode], at position: SourcePosition? = nil) -> ConfigNode { ConfigNode(.array(value), at: position) }
    public static func object(_ value: ConfigObject, at position: SourcePosition? = nil) -> ConfigNode { ConfigNode(.object(value), at: position) }

    public var isNull: Bool { if case .null = kind { return true } else { return false } }
    public var string: String? { if case .string(let s) = kind { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = kind { return b } else { return nil } }
    public var int: Int? { if case .int(let i) = kind { return i } else { return nil } }
    public var array: [ConfigNode]? { if case .array(let a) = kind { return a } else { return nil } }
    public var object: ConfigObject? { if case .object(let o) = kind { return o } else { return nil } }

    /// A scalar as text, the way Go's fmt prints it (used where compose accepts
    /// "string or number" and where values become environment strings).
    public var scalarText: String? {
        switch kind {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .double(let d): return GoFormat.float(d)
        case .null, .array, .object: return nil
        }
    }

    /// The word a person would use for this kind of value in an error message.
    public var typeName: String {
        switch kind {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "mapping"
        }
    }

    /// Reads a member of an object node.
    public subscript(key: String) -> ConfigNode? {
        object?[key]
    }
}

/// An ordered mapping: compose output keeps the author's order wherever Go's does not
/// sort, and errors are reported in file order.
public struct ConfigObject: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var keyPosition: SourcePosition?
        public var value: ConfigNode

        public static func == (lhs: Entry, rhs: Entry) -> Bool { lhs.key == rhs.key && lhs.value == rhs.value }
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public init(_ pairs: [(String, ConfigNode)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }
    public var keys: [String] { entries.map(\.key) }

    public func index(of key: String) -> Int? {
        entries.firstIndex { $0.key == key }
    }

    public subscript(key: String) -> ConfigNode? {
        get { index(of: key).map { entries[$0].value } }
        set {
            if let index = index(of: key) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append(Entry(key: key, keyPosition: newValue.position, value: newValue))
            }
        }
    }

    public mutating func set(_ key: String, _ value: ConfigNode, keyPosition: SourcePosition?) {
        if let index = index(of: key) {
            entries[index].value = value
        } else {
            entries.append(Entry(key: key, keyPosition: keyPosition, value: value))
        }
    }

    public func keyPosition(_ key: String) -> SourcePosition? {
        index(of: key).flatMap { entries[$0].keyPosition ?? entries[$0].value.position }
    }

    /// Entries sorted by key, the order Go gives a map.
    public var sortedEntries: [Entry] { entries.sorted { $0.key < $1.key } }

    public mutating func mapValues(_ transform: (String, ConfigNode) throws(ComposeError) -> ConfigNode) throws(ComposeError) {
        for index in entries.indices {
            entries[index].value = try transform(entries[index].key, entries[index].value)
        }
    }
}
