import Foundation

/// Splits a command string into words the way a POSIX shell would (and as docker
/// compose does for string-form `command:` and `entrypoint:`): whitespace separates,
/// single quotes are literal, double quotes allow `\"` `\\` `\$` escapes, a backslash
/// outside quotes escapes the next character.
enum ShellWords {
    struct Failure: Error { let message: String }

    static func split(_ text: String) throws(Failure) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped {
                if quote == "\"", !["\"", "\\", "$", "`", "\n"].contains(c) { current.append("\\") }
                if c != "\n" || quote != nil { current.append(c) }
                escaped = false
                inWord = true
                continue
            }
            if c == "\\", quote != "'" {
                escaped = true
                inWord = true
                continue
            }
            if let open = quote {
                if c == open { quote = nil } else { current.append(c) }
                continue
            }
            if c == "'" || c == "\"" {
                quote = c
                inWord = true
                continue
            }
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
                continue
            }
            current.append(c)
            inWord = true
        }
        if quote != nil { throw Failure(message: "unterminated quoted string") }
        if escaped { current.append("\\") }
        if inWord { words.append(current) }
        return words
    }
}

/// Sizes and durations in the units compose files use.
enum Units {
    /// docker's RAMInBytes: "512", "512k", "1.5g", "2gb" (binary multiples, case-insensitive).
    static func bytes(_ text: String) -> Int? {
        let lowered = text.trimmingCharacters(in: .whitespaces).lowercased()
        var number = lowered
        var multiplier: Double = 1
        let suffixes: [(String, Double)] = [
            ("kib", Double(1 << 10)), ("mib", Double(1 << 20)), ("gib", Double(1 << 30)), ("tib", Double(1 << 40)), ("pib", Double(1 << 50)),
            ("kb", Double(1 << 10)), ("mb", Double(1 << 20)), ("gb", Double(1 << 30)), ("tb", Double(1 << 40)), ("pb", Double(1 << 50)),
            ("k", Double(1 << 10)), ("m", Double(1 << 20)), ("g", Double(1 << 30)), ("t", Double(1 << 40)), ("p", Double(1 << 50)), ("b", 1),
        ]
        for (suffix, value) in suffixes where lowered.hasSuffix(suffix) {
            number = String(lowered.dropLast(suffix.count))
            multiplier = value
            break
        }
        guard !number.isEmpty, let value = Double(number.trimmingCharacters(in: .whitespaces)), value >= 0 else { return nil }
        guard value * multiplier < 9.0e18 else { return nil }
        return Int(value * multiplier)
    }

    /// Go durations with str2duration's extra units: "1h30m", "500ms", "1.5s", "2d", "1w".
    static func nanoseconds(_ text: String) -> Int64? {
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" || rest.first == "+" {
            negative = rest.first == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total: Double = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !$0.isNumber && $0 != "." }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            case "d": scale = 86400e9
            case "w": scale = 7 * 86400e9
            default: return nil
            }
            total += value * scale
        }
        guard total < 9.2e18 else { return nil }
        return Int64(total.rounded()) * (negative ? -1 : 1)
    }
}
