/// A pattern over attribute paths: `services.*.ports.[].target`, where `*` matches any
/// key and `[]` any list index.
struct PathPattern: Sendable {
    let parts: [String]
    init(_ parts: [String]) { self.parts = parts }

    func matches(_ path: [String]) -> Bool {
        guard path.count == parts.count else { return false }
        for (pattern, part) in zip(parts, path) where pattern != "*" && pattern != part {
            if pattern == "[]", part.hasPrefix("[") { continue }
            return false
        }
        return true
    }
}

/// Paths as people read them: `services.web.ports[1]`.
enum AttributePath {
    static func render(_ path: [String]) -> String {
        var text = ""
        for part in path {
            if part.hasPrefix("[") { text += part }
            else if text.isEmpty { text = part }
            else { text += "." + part }
        }
        return text
    }
}
