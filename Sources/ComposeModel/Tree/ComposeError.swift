/// Every error a compose file can cause: what is wrong, where (file:line:column and the
/// attribute path such as `services.web.ports[1]`), and, when we know it, what to do.
public struct ComposeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case fileNotFound = "file-not-found"
        case yaml
        case invalidType = "invalid-type"
        case unknownAttribute = "unknown-attribute"
        case invalidValue = "invalid-value"
        case interpolation
        case undefinedReference = "undefined-reference"
        case dependencyCycle = "dependency-cycle"
        case invalidProjectName = "invalid-project-name"
        case missingRequired = "missing-required"
        case conflict
        case io
    }

    public var code: Code
    public var message: String
    public var position: SourcePosition?
    public var path: String?
    public var hint: String?

    public init(_ code: Code, _ message: String, at position: SourcePosition? = nil, path: String? = nil, hint: String? = nil) {
        self.code = code
        self.message = message
        self.position = position
        self.path = path
        self.hint = hint
    }

    /// `file:line:col: services.web.ports[1]: message (hint)`
    public var description: String {
        var text = ""
        if let position { text += "\(position): " }
        if let path, !path.isEmpty { text += "\(path): " }
        text += message
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}
