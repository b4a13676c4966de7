import Foundation
import Glibc
import SystemSupport

/// HTTP/1.1 for the registry client, over our own sockets and the system's OpenSSL (one
/// connection per request). Redirects are followed, dropping the Authorization header when
/// they lead to another server; proxies come from the environment (HTTPProxy). The blocking
/// exchange runs on a thread of its own, never on one of Swift's few cooperative threads.
enum HTTPClient {
    /// Where a response body goes: kept in memory, or written to a new file (only for the
    /// final answer, not for redirects).
    enum BodyDestination: Sendable { case memory, file(String) }

    struct Options: Sendable {
        var timeout = 60
        var environment: [String: String] = ProcessInfo.processInfo.environment
        /// Extra CA certificates for a server (host[:port]), as Docker's certs.d provides.
        var caFile: @Sendable (HTTPURL) -> String? = { _ in nil }
    }

    static let maximumRedirects = 10

    static func send(_ request: HTTPRequest, to destination: BodyDestination = .memory,
                     options: Options = Options()) async throws(EngineError) -> HTTPResponse {
        try await BlockingCall.run { () throws(EngineError) in try exchange(request, destination, options) }
    }

    /// The request, and the redirects it leads to.
    static func exchange(_ original: HTTPRequest, _ destination: BodyDestination, _ options: Options) throws(EngineError) -> HTTPResponse {
        var request = original
        for _ in 0...maximumRedirects {
            let response = try once(request, destination, options)
            guard response.isRedirect, let location = response.header("Location") else { return response }
            guard let next = request.url.resolving(location) else {
                throw EngineError(.network, "\(request.url.authority) redirected to an address we cannot follow: \(location)")
            }
            if next.host != request.url.host || next.port != request.url.port || next.secure != request.url.secure {
                request.setHeader("Authorization", nil)
            }
            if response.statusCode == 303 || ([301, 302].contains(response.statusCode) && request.method == "POST") {
                request.method = "GET"
                request.body = []
            }
            request.url = next
        }
        throw EngineError(.network, "\(original.url.authority) redirected more than \(maximumRedirects) times")
    }

    private static func once(_ request: HTTPRequest, _ destination: BodyDestination, _ options: Options) throws(EngineError) -> HTTPResponse {
        var request = request
        let proxy = try HTTPProxy.for(request.url, environment: options.environment)
        let connection = try connect(to: request.url, through: proxy, options)
        let absoluteTarget = proxy != nil && !request.url.secure
        if absoluteTarget, let authorization = proxy?.authorization { request.setHeader("Proxy-Authorization", authorization) }
        try connection.writeAll(request.serialized(absoluteTarget: absoluteTarget))
        let reader = HTTPResponseReader(connection, origin: request.url.authority)
        var response = try reader.head()
        if response.isRedirect, response.header("Location") != nil { return response }
        switch destination {
        case .memory:
            var body: [UInt8] = []
            try reader.body(of: response, method: request.method) { body.append(contentsOf: $0) }
            response.body = body
        case .file(let path):
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw EngineError(.system, "cannot save a download", cause: SystemCallError("open", path)) }
            defer { close(fd) }
            try reader.body(of: response, method: request.method) { (piece) throws(EngineError) in
                do { try Syscall.writeAll(fd, piece, path) } catch { throw EngineError(.system, "cannot save a download", cause: error) }
            }
        }
        return response
    }

    /// A connection to the server (through the proxy, tunnelled for https), TLS started.
    private static func connect(to url: HTTPURL, through proxy: HTTPProxy?, _ options: Options) throws(EngineError) -> HTTPConnection {
        guard let proxy else {
            let connection = try HTTPConnection(host: url.host, port: url.port, timeout: options.timeout)
            if url.secure { try connection.startTLS(host: url.host, caFile: options.caFile(url)) }
            return connection
        }
        let connection = try HTTPConnection(host: proxy.url.host, port: proxy.url.port, timeout: options.timeout)
        guard url.secure else { return connection }
        let hostAndPort = (url.host.contains(":") ? "[\(url.host)]" : url.host) + ":\(url.port)"
        var tunnel = "CONNECT \(hostAndPort) HTTP/1.1\r\nHost: \(hostAndPort)\r\n"
        if let authorization = proxy.authorization { tunnel += "Proxy-Authorization: \(authorization)\r\n" }
        try connection.writeAll(Array((tunnel + "\r\n").utf8))
        let answer = try HTTPResponseReader(connection, origin: "the proxy \(proxy.url.authority)").head()
        guard answer.statusCode == 200 else {
            throw EngineError(.network, "the proxy \(proxy.url.authority) refused a tunnel to \(hostAndPort) (HTTP \(answer.statusCode))")
        }
        try connection.startTLS(host: url.host, caFile: options.caFile(url))
        return connection
    }
}
