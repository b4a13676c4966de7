import SystemSupport

/// An http:// or https:// address, split the way a request needs it.
struct HTTPURL: Equatable, Sendable, CustomStringConvertible {
    var secure: Bool
    var host: String          // a name, an IPv4 address, or an IPv6 address without brackets
    var port: Int
    var target: String        // path and query, at least "/"

    init(secure: Bool, host: String, port: Int? = nil, target: String = "/") {
        self.secure = secure
        self.host = host
        self.port = port ?? (secure ? 443 : 80)
        self.target = target
    }

    init?(_ text: String) {
        let secure: Bool
        var rest: Substring
        if text.hasPrefix("https://") { secure = true; rest = text.dropFirst(8) }
        else if text.hasPrefix("http://") { secure = false; rest = text.dropFirst(7) }
        else { return nil }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        var host = authority, port: Int?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()); if port == nil { return nil } }
            else if !after.isEmpty { return nil }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = Int(authority[authority.index(after: colon)...])
            if port == nil { return nil }
        }
        guard !host.isEmpty, !host.contains("@"), (port ?? 1) > 0, (port ?? 1) < 65536 else { return nil }
        self.init(secure: secure, host: String(host), port: port,
                  target: rest.isEmpty ? "/" : rest.hasPrefix("?") ? "/" + rest : String(rest))
    }

    /// host[:port] as the Host header and CONNECT spell it (the port only when not the default).
    var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }

    var description: String { (secure ? "https://" : "http://") + authority + target }

    /// A Location header's address, relative to this one.
    func resolving(_ location: String) -> HTTPURL? {
        if let absolute = HTTPURL(location) { return absolute }
        guard location.hasPrefix("/") else { return nil }
        var resolved = self
        resolved.target = location
        return resolved
    }
}

struct HTTPRequest: Sendable {
    var method: String
    var url: HTTPURL
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    mutating func setHeader(_ name: String, _ value: String?) {
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
        if let value { headers.append((name, value)) }
    }

    /// The request head and body as sent; `absoluteTarget` for a proxy of plain HTTP.
    func serialized(absoluteTarget: Bool = false) -> [UInt8] {
        var head = "\(method) \(absoluteTarget ? url.description : url.target) HTTP/1.1\r\nHost: \(url.authority)\r\n"
        for (name, value) in headers where !["host", "content-length", "connection"].contains(name.lowercased()) {
            head += "\(name): \(value)\r\n"
        }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { head += "Content-Length: \(body.count)\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + body
    }
}

struct HTTPResponse: Sendable {
    var statusCode: Int
    var headers: [(name: String, value: String)]
    /// The body when it was kept in memory (empty when it went to a file).
    var body: [UInt8] = []

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var isRedirect: Bool { [301, 302, 303, 307, 308].contains(statusCode) }
}
