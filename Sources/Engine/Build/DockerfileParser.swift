import Foundation
import SystemSupport

/// Reads a Dockerfile the way Docker's parser does: parser directives at the top
/// (`# syntax=`, `# escape=`), comments, continuation lines, heredocs for RUN/COPY/ADD,
/// flags, and the JSON (exec) or shell form of the arguments.
public enum DockerfileParser {
    static let keywords = ["FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                           "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"]
    /// The flags each instruction accepts (others are refused, as Docker refuses them).
    static let flags: [String: Set<String>] = [
        "FROM": ["platform"], "COPY": ["from", "chown", "chmod", "link", "parents", "exclude"],
        "ADD": ["chown", "chmod", "checksum", "keep-git-dir", "link", "exclude"], "RUN": ["mount", "network", "security"],
        "HEALTHCHECK": ["interval", "timeout", "start-period", "start-interval", "retries"],
    ]
    static let heredocInstructions: Set = ["RUN", "COPY", "ADD"]
    static let execFormInstructions: Set = ["RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "VOLUME", "SHELL"]

    public static func parse(_ text: String, file: String = "Dockerfile") throws(DockerfileError) -> Dockerfile {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        var index = 0
        let escape = try directives(lines, file: file, index: &index)
        var globalArgs: [Dockerfile.Instruction] = []
        var stages: [Dockerfile.Stage] = []
        while index < lines.count {
            let trimmed = lines[index].drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") {
                index += 1
                continue
            }
            let instruction = try readInstruction(lines, &index, escape: escape, file: file)
            switch instruction.keyword {
            case "FROM":
                stages.append(Dockerfile.Stage(from: instruction, name: try stageName(instruction, file: file), instructions: []))
            case "ARG" where stages.isEmpty:
                globalArgs.append(instruction)
            default:
                guard !stages.isEmpty else {
                    throw DockerfileError(file: file, line: instruction.line, "\(instruction.keyword) before the first FROM",
                                          hint: "a Dockerfile starts with FROM (only ARG may come before it)")
                }
                stages[stages.count - 1].instructions.append(instruction)
            }
        }
        guard !stages.isEmpty else {
            throw DockerfileError(file: file, line: max(1, lines.count), "the Dockerfile has no FROM instruction", hint: "start it with FROM <image>")
        }
        return Dockerfile(globalArgs: globalArgs, stages: stages, escape: escape)
    }

    /// Parses one instruction written on a single line (an ONBUILD trigger).
    static func parseLine(_ text: String, line: Int, escape: Character, file: String) throws(DockerfileError) -> Dockerfile.Instruction {
        var index = 0
        return try readInstruction([text], &index, escape: escape, file: file, reportedLine: line)
    }

    // MARK: directives

    private static func directives(_ lines: [String], file: String, index: inout Int) throws(DockerfileError) -> Character {
        var escape: Character = "\\"
        var seen = Set<String>()
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("#") else { break }
            let body = line.dropFirst().trimmingCharacters(in: .whitespaces)
            guard let equals = body.firstIndex(of: "=") else { break }
            let key = body[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = body[body.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard ["syntax", "escape", "check"].contains(key) else { break }
            guard seen.insert(key).inserted else {
                throw DockerfileError(file: file, line: index + 1, "the \(key) directive is given twice")
            }
            if key == "escape" {
                guard value == "\\" || value == "`" else {
                    throw DockerfileError(file: file, line: index + 1, "invalid escape character \(value)", hint: "use \\ or `")
                }
                escape = Character(value)
            }
            index += 1
        }
        return escape
    }

    // MARK: instructions

    private static func readInstruction(_ lines: [String], _ index: inout Int, escape: Character, file: String,
                                        reportedLine: Int? = nil) throws(DockerfileError) -> Dockerfile.Instruction {
        let line = reportedLine ?? index + 1
        var logical = ""
        var current = lines[index]
        index += 1
        // Continuation lines: a line ending in the escape character goes on; comment and
        // empty lines inside an instruction are skipped.
        while true {
            let trimmed = current.reversed().drop { $0 == " " || $0 == "\t" }
            guard trimmed.first == escape else {
                logical += current
                break
            }
            logical += String(trimmed.dropFirst().reversed())
            var next: String?
            while index < lines.count {
                let candidate = lines[index]
                index += 1
                let start = candidate.drop { $0 == " " || $0 == "\t" }
                if start.isEmpty || start.hasPrefix("#") { continue }
                next = candidate
                break
            }
            guard let next else { break }
            current = next
        }
        let body = logical.drop { $0 == " " || $0 == "\t" }
        let keywordEnd = body.firstIndex { $0 == " " || $0 == "\t" } ?? body.endIndex
        let keyword = body[..<keywordEnd].uppercased()
        guard keywords.contains(keyword) else {
            let close = keywords.min { editDistance($0, keyword) < editDistance($1, keyword) }
            throw DockerfileError(file: file, line: line, "unknown instruction: \(body[..<keywordEnd])",
                                  hint: close.flatMap { editDistance($0, keyword) <= 2 ? "did you mean \($0)?" : nil })
        }
        var rest = Substring(body[keywordEnd...].trimmingCharacters(in: .whitespaces))
        var flags: [String: String] = [:]
        if let accepted = acceptedFlags(for: keyword) {
            while rest.hasPrefix("--") {
                let end = rest.firstIndex { $0 == " " || $0 == "\t" } ?? rest.endIndex
                let flag = rest[rest.index(rest.startIndex, offsetBy: 2)..<end]
                let name = flag.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                guard accepted.contains(name) else {
                    throw DockerfileError(file: file, line: line, "\(keyword): unknown flag --\(name)",
                                          hint: accepted.isEmpty ? nil : "\(keyword) accepts " + accepted.sorted().map { "--" + $0 }.joined(separator: ", "))
                }
                flags[name] = flag.contains("=") ? String(flag.split(separator: "=", maxSplits: 1)[1]) : ""
                rest = rest[end...].drop { $0 == " " || $0 == "\t" }
            }
        }
        var heredocs: [Dockerfile.Instruction.Heredoc] = []
        if heredocInstructions.contains(keyword) {
            for marker in heredocMarkers(String(rest)) {
                var content: [String] = []
                var closed = false
                while index < lines.count {
                    var candidate = Substring(lines[index])
                    index += 1
                    if marker.stripTabs { candidate = candidate.drop { $0 == "\t" } }
                    if candidate == marker.name {
                        closed = true
                        break
                    }
                    content.append(String(candidate))
                }
                guard closed else {
                    throw DockerfileError(file: file, line: line, "\(keyword): the heredoc <<\(marker.name) is never closed",
                                          hint: "end it with a line holding only \(marker.name)")
                }
                heredocs.append(.init(name: marker.name, content: content.map { $0 + "\n" }.joined(), expands: marker.expands))
            }
        }
        let arguments: Dockerfile.Instruction.Arguments
        if execFormInstructions.contains(keyword), rest.hasPrefix("["),
           let words = try? JSONDecoder().decode([String].self, from: Data(rest.utf8)) {
            arguments = .exec(words)
        } else {
            arguments = .shell(String(rest))
        }
        if rest.isEmpty && heredocs.isEmpty {
            throw DockerfileError(file: file, line: line, "\(keyword) requires at least one argument")
        }
        return Dockerfile.Instruction(keyword: keyword, flags: flags, arguments: arguments, heredocs: heredocs, line: line,
                                      text: "\(keyword) " + (flags.isEmpty ? "" : flags.keys.sorted().map { "--\($0)=\(flags[$0]!) " }.joined()) + rest)
    }

    private static func acceptedFlags(for keyword: String) -> Set<String>? {
        flags[keyword] ?? (["CMD", "ENTRYPOINT", "SHELL", "ONBUILD"].contains(keyword) ? nil : [])
    }

    struct HeredocMarker: Equatable {
        var name: String
        var stripTabs: Bool
        var expands: Bool
    }

    /// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` in the order they appear (not `<<<`).
    static func heredocMarkers(_ text: String) -> [HeredocMarker] {
        var markers: [HeredocMarker] = []
        let characters = Array(text)
        var index = 0
        while index + 2 < characters.count {
            guard characters[index] == "<", characters[index + 1] == "<", index == 0 || characters[index - 1] != "<" else {
                index += 1
                continue
            }
            var cursor = index + 2
            if cursor < characters.count, characters[cursor] == "<" { index = cursor + 1; continue }
            let stripTabs = cursor < characters.count && characters[cursor] == "-"
            if stripTabs { cursor += 1 }
            var quote: Character?
            if cursor < characters.count, characters[cursor] == "\"" || characters[cursor] == "'" {
                quote = characters[cursor]
                cursor += 1
            }
            var name = ""
            while cursor < characters.count, characters[cursor].isLetter || characters[cursor].isNumber || characters[cursor] == "_" {
                name.append(characters[cursor])
                cursor += 1
            }
            if let quote {
                guard cursor < characters.count, characters[cursor] == quote else { index = cursor; continue }
                cursor += 1
            }
            if !name.isEmpty, name.first?.isNumber == false {
                markers.append(HeredocMarker(name: name, stripTabs: stripTabs, expands: quote == nil))
            }
            index = cursor
        }
        return markers
    }

    private static func stageName(_ instruction: Dockerfile.Instruction, file: String) throws(DockerfileError) -> String? {
        let words = instruction.argumentText.split(whereSeparator: { $0 == " " || $0 == "\t" })
        switch words.count {
        case 1: return nil
        case 3 where words[1].lowercased() == "as":
            let name = words[2].lowercased()
            guard name.first?.isLetter == true, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw DockerfileError(file: file, line: instruction.line, "invalid stage name \(words[2])",
                                      hint: "a stage name starts with a letter and holds letters, digits, '-', '_' and '.'")
            }
            return name
        default:
            throw DockerfileError(file: file, line: instruction.line, "FROM requires either one or three arguments (FROM image [AS name])")
        }
    }
}
