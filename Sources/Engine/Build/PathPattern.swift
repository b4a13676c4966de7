import Foundation

/// A path pattern as Docker matches them in `.dockerignore` and COPY sources: `/`-separated
/// segments where `*` and `?` never cross a `/`, `[a-z]` classes, `\` escapes, and a
/// `**` segment that stands for any number of directories (none included).
struct PathPattern: Equatable {
    let segments: [String]

    init(_ pattern: String) {
        segments = PathPattern.clean(pattern).split(separator: "/").map(String.init)
    }

    /// Docker cleans patterns and paths alike: no leading `/`, `./` or empty segments; `..`
    /// folded.
    static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if part == "..", parts.isEmpty { continue }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    func matches(_ path: String) -> Bool {
        Self.match(segments[...], path.split(separator: "/").map(String.init)[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            for skip in 0...path.count where match(rest, path.dropFirst(skip)) { return true }
            return false
        }
        guard let segment = path.first, matchSegment(Array(first)[...], Array(segment)[...]) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    /// fnmatch within one segment.
    private static func matchSegment(_ pattern: ArraySlice<Character>, _ name: ArraySlice<Character>) -> Bool {
        var pattern = pattern, name = name
        while let character = pattern.first {
            switch character {
            case "*":
                let rest = pattern.dropFirst()
                for skip in 0...name.count where matchSegment(rest, name.dropFirst(skip)) { return true }
                return false
            case "?":
                guard !name.isEmpty else { return false }
                pattern = pattern.dropFirst()
                name = name.dropFirst()
            case "[":
                guard let candidate = name.first, let (matched, rest) = matchClass(pattern.dropFirst(), candidate), matched else { return false }
                pattern = rest
                name = name.dropFirst()
            case "\\" where pattern.count > 1:
                let literal = pattern[pattern.index(after: pattern.startIndex)]
                guard name.first == literal else { return false }
                pattern = pattern.dropFirst(2)
                name = name.dropFirst()
            default:
                guard name.first == character else { return false }
                pattern = pattern.dropFirst()
                name = name.dropFirst()
            }
        }
        return name.isEmpty
    }

    /// `[...]` after its `[`: whether `character` is in the class, and the pattern after `]`.
    private static func matchClass(_ pattern: ArraySlice<Character>, _ character: Character) -> (Bool, ArraySlice<Character>)? {
        var rest = pattern
        var negated = false
        if rest.first == "^" || rest.first == "!" {
            negated = true
            rest = rest.dropFirst()
        }
        var matched = false
        var first = true
        while let current = rest.first {
            if current == "]" && !first { return (matched != negated, rest.dropFirst()) }
            first = false
            var low = current
            rest = rest.dropFirst()
            if low == "\\", let escaped = rest.first {
                low = escaped
                rest = rest.dropFirst()
            }
            var high = low
            if rest.first == "-", rest.count > 1, rest[rest.index(after: rest.startIndex)] != "]" {
                high = rest[rest.index(after: rest.startIndex)]
                rest = rest.dropFirst(2)
            }
            if low <= character && character <= high { matched = true }
        }
        return nil // unterminated class: no match
    }

    var hasWildcards: Bool { segments.contains { $0.contains { "*?[".contains($0) } } }
}

/// `.dockerignore`: which context paths a build leaves out. The last pattern that matches
/// a path — or one of its parent directories — decides; `!` patterns take paths back in.
struct DockerIgnore {
    struct Rule { var pattern: PathPattern; var exclusion: Bool }
    let rules: [Rule]

    init(_ text: String) {
        rules = text.split(separator: "\n").compactMap { raw in
            var line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            let exclusion = line.hasPrefix("!")
            if exclusion { line = String(line.dropFirst()).trimmingCharacters(in: .whitespaces) }
            let pattern = PathPattern(line)
            return pattern.segments.isEmpty ? nil : Rule(pattern: pattern, exclusion: exclusion)
        }
    }

    /// Is `path` (relative to the context, `/`-separated) left out of the build?
    func ignores(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        var ignored = false
        for rule in rules {
            var matched = false
            for length in stride(from: parts.count, through: 1, by: -1)
            where rule.pattern.matches(parts.prefix(length).joined(separator: "/")) {
                matched = true
                break
            }
            if matched { ignored = !rule.exclusion }
        }
        return ignored
    }

    /// Whether an ignored directory must still be walked: a `!` rule may take back something inside it.
    var hasExclusions: Bool { rules.contains(where: \.exclusion) }
}
