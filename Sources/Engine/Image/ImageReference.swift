import SystemSupport

/// An image reference as Docker normalizes it: `busybox` → `docker.io/library/busybox:latest`,
/// `localhost:5000/x/y:tag`, `name@sha256:…`.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    public var domain: String
    public var path: String
    public var tag: String?
    public var digest: String?

    public init(parsing text: String) throws(EngineError) {
        let invalid = EngineError(.invalidArgument, "invalid reference format: \"\(text)\"; write NAME[:TAG][@DIGEST], e.g. busybox:latest or localhost:5000/app:1.0")
        guard !text.isEmpty, text.count <= 512, !text.contains(" ") else { throw invalid }
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let value = String(rest[rest.index(after: at)...])
            guard value.hasPrefix("sha256:"), value.count == 71, value.dropFirst(7).allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { throw invalid }
            digest = value
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[rest.index(after: colon)...].contains("/") {
            let value = String(rest[rest.index(after: colon)...])
            guard !value.isEmpty, value.count <= 128, value.first != "." && value.first != "-",
                  value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }) else { throw invalid }
            tag = value
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !components.isEmpty, components.allSatisfy({ !$0.isEmpty }) else { throw invalid }
        var domain = "docker.io"
        if components.count > 1, let first = components.first,
           first.contains(".") || first.contains(":") || first == "localhost" {
            domain = first
            components.removeFirst()
        }
        for component in components {
            guard component.allSatisfy({ ($0.isLowercase && $0.isASCII) || $0.isNumber || "._-".contains($0) }),
                  let first = component.first, first.isLetter || first.isNumber else { throw invalid }
        }
        if domain == "docker.io", components.count == 1 { components.insert("library", at: 0) }
        self.domain = domain
        self.path = components.joined(separator: "/")
        self.tag = tag ?? (digest == nil ? "latest" : nil)
        self.digest = digest
    }

    /// `docker.io/library/busybox:latest`
    public var description: String {
        var text = "\(domain)/\(path)"
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// The short form Docker shows: `busybox:latest`, `localhost:5000/app:1`.
    public var familiar: String {
        var name = domain == "docker.io" ? (path.hasPrefix("library/") ? String(path.dropFirst(8)) : path) : "\(domain)/\(path)"
        if let tag { name += ":\(tag)" }
        if let digest { name += "@\(digest)" }
        return name
    }

    public var repository: String { "\(domain)/\(path)" }
}
