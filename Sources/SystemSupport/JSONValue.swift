/// A JSON document as a plain value, parsed and printed without Foundation, so the small
/// static helpers (the container monitor, netd) can read and write the engine's records.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var intValue: Int? {
        if case .number(let value) = self, value.isFinite, value == value.rounded(.towardZero),
           abs(value) < 9.2e18 { return Int(value) }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: [(String, JSONValue)]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Strings of an array (non-strings are skipped); empty when not an array.
    public var stringArray: [String] { arrayValue?.compactMap(\.stringValue) ?? [] }

    /// An object of strings as a dictionary; empty when not an object.
    public var stringMap: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in objectValue ?? [] { if let string = value.stringValue { result[key] = string } }
        return result
    }

    public init(_ strings: [String]) { self = .array(strings.map { .string($0) }) }

    public init(_ map: [String: String]) {
        self = .object(map.keys.sorted().map { ($0, .string(map[$0]!)) })
    }

    public init(_ value: Int) { self = .number(Double(value)) }
}
