/// Docker's word processing for Dockerfile arguments: quotes (removed), the escape
/// character, and variables — `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
/// `${VAR:+alternative}`, `${VAR+alternative}`, `${VAR:?message}` — expanded from the
/// build's ARGs and ENVs. RUN, CMD and ENTRYPOINT never come here: their shell expands.
struct ShellWords {
    struct Failure: Error { var message: String }

    let escape: Character
    let variables: [String: String]

    /// The text as one word (`WORKDIR $HOME/app`, `ENV A="x y"` values).
    func word(_ text: String) throws(Failure) -> String {
        try process(text, split: false).joined()
    }

    /// The text as whitespace-separated words (`COPY a b /dst/`, `EXPOSE 80 443`).
    func words(_ text: String) throws(Failure) -> [String] {
        try process(text, split: true)
    }

    /// Variables expanded in heredoc text, quotes left as written (an unquoted `<<EOF`).
    func heredoc(_ text: String) throws(Failure) -> String {
        var result = ""
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            index += 1
            if character == escape, index < characters.count, characters[index] == "$" {
                result.append("$")
                index += 1
            } else if character == "$" {
                result += try variable(characters, &index)
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// Splits on whitespace outside quotes, keeping quotes and escapes for `word(_:)`:
    /// how `ENV a=1 b="x y"` is cut into its pairs before each value is processed.
    static func rawWords(_ text: String, escape: Character) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        var inWord = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if character == escape, quote != "'" {
                current.append(character)
                escaped = true
                inWord = true
                continue
            }
            if let open = quote {
                if character == open { quote = nil }
                current.append(character)
                continue
            }
            if character == "\"" || character == "'" {
                quote = character
                current.append(character)
                inWord = true
            } else if character == " " || character == "\t" || character == "\n" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    private func process(_ text: String, split: Bool) throws(Failure) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            index += 1
            switch character {
            case " " where split, "\t" where split, "\n" where split:
                if inWord { words.append(current) }
                current = ""
                inWord = false
            case "'":
                inWord = true
                guard let close = characters[index...].firstIndex(of: "'") else { throw Failure(message: "unterminated single quote") }
                current += String(characters[index..<close])
                index = close + 1
            case "\"":
                inWord = true
                current += try doubleQuoted(characters, &index)
            case "$":
                inWord = true
                current += try variable(characters, &index)
            case escape:
                inWord = true
                if index < characters.count {
                    current.append(characters[index])
                    index += 1
                } else {
                    current.append(character)
                }
            default:
                inWord = true
                current.append(character)
            }
        }
        if inWord || !split { words.append(current) }
        return words
    }

    private func doubleQuoted(_ characters: [Character], _ index: inout Int) throws(Failure) -> String {
        var result = ""
        while index < characters.count {
            let character = characters[index]
            index += 1
            switch character {
            case "\"":
                return result
            case "$":
                result += try variable(characters, &index)
            case escape:
                // Inside double quotes the escape character only escapes `"`, `$` and itself.
                if index < characters.count, ["\"", "$", escape].contains(characters[index]) {
                    result.append(characters[index])
                    index += 1
                } else {
                    result.append(character)
                }
            default:
                result.append(character)
            }
        }
        throw Failure(message: "unterminated double quote")
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character == "_" || (character.isASCII && (character.isLetter || character.isNumber))
    }

    /// After a `$`: a name, `{…}` with its operator, or a literal `$`.
    private func variable(_ characters: [Character], _ index: inout Int) throws(Failure) -> String {
        guard index < characters.count else { return "$" }
        if characters[index] != "{" {
            var name = ""
            while index < characters.count, Self.isNameCharacter(characters[index]) {
                name.append(characters[index])
                index += 1
            }
            return name.isEmpty ? "$" : variables[name] ?? ""
        }
        index += 1
        var name = ""
        while index < characters.count, Self.isNameCharacter(characters[index]) {
            name.append(characters[index])
            index += 1
        }
        guard !name.isEmpty, index < characters.count else { throw Failure(message: "bad substitution: ${\(name)") }
        if characters[index] == "}" {
            index += 1
            return variables[name] ?? ""
        }
        var colon = false
        if characters[index] == ":" {
            colon = true
            index += 1
        }
        guard index < characters.count, ["-", "+", "?"].contains(characters[index]) else {
            throw Failure(message: "unsupported modifier in ${\(name)…}; Docker allows :-, -, :+, +, :? and ?")
        }
        let modifier = characters[index]
        index += 1
        // The operand runs to the matching brace and is itself processed.
        var depth = 1
        var operand = ""
        while index < characters.count {
            let character = characters[index]
            index += 1
            if character == "{" { depth += 1 }
            if character == "}" {
                depth -= 1
                if depth == 0 { break }
            }
            operand.append(character)
        }
        guard depth == 0 else { throw Failure(message: "missing '}' in ${\(name)") }
        let value = variables[name]
        let isSet = colon ? !(value ?? "").isEmpty : value != nil
        switch modifier {
        case "-": return isSet ? value! : try word(operand)
        case "+": return isSet ? try word(operand) : ""
        default:
            guard isSet else { throw Failure(message: "\(name): \(operand.isEmpty ? "is not set" : try word(operand))") }
            return value!
        }
    }
}
