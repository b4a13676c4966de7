/// Reads `.env` and `env_file:` files the way docker compose does: `KEY=value`,
/// `export KEY=value`, `KEY: value`, comments, single quotes (literal), double quotes
/// (escapes and `${VAR}` expanded), unquoted values with `${VAR}` expanded and a
/// trailing ` #comment` removed, and a bare `KEY` taking its value from `lookup`.
public enum DotEnv {
    public struct Failure: Error, Sendable {
        public var line: Int
        public var message: String
    }

    /// Parses `text`; variables expand against earlier lines, then `lookup`.
    public static func parse(_ text: String, lookup: @escaping (String) -> String? = { _ in nil }) throws(Failure) -> [(String, String)] {
        var result: [(String, String)] = []
        var values: [String: String] = [:]
        var chars = Array(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        chars.removeAll { $0 == "\r" }
        var index = 0
        var line = 1

        func skipSpaceAndComments() {
            while index < chars.count {
                let c = chars[index]
                if c == "\n" { line += 1; index += 1; continue }
                if c.isWhitespace { index += 1; continue }
                if c == "#" {
                    while index < chars.count, chars[index] != "\n" { index += 1 }
                    continue
                }
                return
            }
        }

        func expand(_ value: String) throws(Failure) -> String {
            let known = values
            let interpolator = Interpolator(lookup: { name in known[name] ?? lookup(name) })
            do {
                return try interpolator.substitute(value)
            } catch {
                throw Failure(line: line, message: error.message)
            }
        }

        while true {
            skipSpaceAndComments()
            if index >= chars.count { break }
            // `export ` prefix.
            if chars[index...].starts(with: "export"), index + 6 < chars.count, chars[index + 6] == " " || chars[index + 6] == "\t" {
                index += 6
                while index < chars.count, chars[index] == " " || chars[index] == "\t" { index += 1 }
            }
            var key = ""
            var inherited = false
            var terminated = false
            while index < chars.count {
                let c = chars[index]
                if c == "=" || c == ":" || c == "\n" {
                    inherited = c == "\n"
                    index += 1
                    terminated = true
                    break
                }
                if c == " " || c == "\t" { key.append(c); index += 1; continue }
                if c == "_" || c == "." || c == "-" || c == "[" || c == "]" || c.isLetter || c.isNumber {
                    key.append(c)
                    index += 1
                    continue
                }
                let rest = String(chars[index...].prefix { $0 != "\n" })
                throw Failure(line: line, message: "unexpected character \"\(c)\" in variable name \"\(key)\(rest)\"")
            }
            if !terminated { inherited = true }
            key = String(key.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
            if key.contains(" ") || key.contains("\t") {
                throw Failure(line: line, message: "key cannot contain a space")
            }
            if inherited {
                if let value = lookup(key) {
                    values[key] = value
                    result.append((key, value))
                }
                line += 1
                continue
            }
            while index < chars.count, chars[index] == " " || chars[index] == "\t" { index += 1 }
            let value: String
            if index < chars.count, chars[index] == "\"" || chars[index] == "'" {
                let quote = chars[index]
                let startLine = line
                index += 1
                var raw = ""
                var escaped = false
                var closed = false
                while index < chars.count {
                    let c = chars[index]
                    index += 1
                    if c == "\n" { line += 1 }
                    if c != quote {
                        if !escaped, c == "\\" { escaped = true; continue }
                        if escaped { escaped = false; raw.append("\\") }
                        raw.append(c)
                        continue
                    }
                    if escaped { escaped = false; raw.append(c); continue }
                    closed = true
                    break
                }
                guard closed else { throw Failure(line: startLine, message: "unterminated quoted value") }
                value = quote == "\"" ? try expand(unescape(raw)) : raw
                // Anything after the closing quote on that line is ignored (a comment).
                while index < chars.count, chars[index] != "\n" { index += 1 }
            } else {
                var raw = ""
                while index < chars.count, chars[index] != "\n" { raw.append(chars[index]); index += 1 }
                if let comment = raw.range(of: " #") { raw = String(raw[..<comment.lowerBound]) }
                while let last = raw.last, last.isWhitespace { raw.removeLast() }
                value = try expand(raw)
            }
            values[key] = value
            if let existing = result.firstIndex(where: { $0.0 == key }) { result.remove(at: existing) }
            result.append((key, value))
        }
        return result
    }

    /// Escape sequences inside double quotes; `\$` stays a literal dollar.
    private static func unescape(_ text: String) -> String {
        var out = ""
        var iterator = Array(text)
        var i = 0
        while i < iterator.count {
            let c = iterator[i]
            guard c == "\\", i + 1 < iterator.count else { out.append(c); i += 1; continue }
            let next = iterator[i + 1]
            switch next {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "\\": out.append("\\")
            case "\"": out.append("\"")
            case "$": out.append("$$")
            default: out.append(c); out.append(next)
            }
            i += 2
        }
        iterator.removeAll()
        return out
    }
}
