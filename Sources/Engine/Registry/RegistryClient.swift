import Foundation
import SystemSupport

/// HTTP to one repository of a registry (OCI distribution API): plain HTTP for localhost
/// and registries named insecure, HTTPS otherwise (trusting also the CA of Docker's
/// certs.d for that registry); Basic or Bearer-token authentication answered from the
/// `WWW-Authenticate` challenge; retries with backoff for network errors and 5xx answers.
final class RegistryClient: @unchecked Sendable {
    let reference: ImageReference
    let base: String
    private let credentials: (user: String, password: String)?
    private let lock = NSLock()
    private var authorization: String?
    private let options: HTTPClient.Options

    /// Registries reached over plain HTTP: localhost (any port) and those listed in
    /// `SWIFTCOMPOSE_INSECURE_REGISTRIES` (comma-separated host[:port]).
    static func isInsecure(_ domain: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        let host = domain.hasPrefix("[") ? String(domain.prefix { $0 != "]" }.dropFirst()) : String(domain.split(separator: ":").first ?? "")
        if ["localhost", "127.0.0.1", "::1"].contains(host) { return true }
        let listed = (environment["SWIFTCOMPOSE_INSECURE_REGISTRIES"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return listed.contains(domain) || listed.contains(host)
    }

    /// A registry's own CA, where Docker keeps it: `<certs.d>/<host[:port]>/ca.crt`, with
    /// certs.d `/etc/docker/certs.d` unless `SWIFTCOMPOSE_CERTS_D` names another.
    static func caFile(for url: HTTPURL, environment: [String: String]) -> String? {
        let directory = environment["SWIFTCOMPOSE_CERTS_D"] ?? "/etc/docker/certs.d"
        let path = "\(directory)/\(url.authority)/ca.crt"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    init(_ reference: ImageReference, credentials: RegistryCredentials = RegistryCredentials(),
         environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.reference = reference
        let host = reference.domain == "docker.io" ? "registry-1.docker.io" : reference.domain
        base = (Self.isInsecure(reference.domain, environment: environment) ? "http://" : "https://") + host
        self.credentials = credentials.lookup(reference.domain)
        options = HTTPClient.Options(environment: environment, caFile: { Self.caFile(for: $0, environment: environment) })
    }

    var repositoryPath: String { "/v2/\(reference.path)" }

    /// Sends a request (a path below the registry, or an absolute URL from a Location header).
    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil,
              push: Bool = false) async throws(EngineError) -> (Data, HTTPResponse) {
        let (response, _) = try await exchange(method, path, headers: headers, body: body, push: push, saving: nil)
        return (Data(response.body), response)
    }

    /// Downloads a blob to a new file of the store's staging area; returns its path.
    func download(_ digest: String, into directory: String) async throws(EngineError) -> String {
        let (response, file) = try await exchange("GET", "\(repositoryPath)/blobs/\(digest)", headers: [:], body: nil, push: false,
                                                  saving: directory)
        guard response.statusCode == 200, let file else {
            if let file { unlink(file) }
            throw EngineError(.notFound, "\(reference.repository): blob \(digest) not available (HTTP \(response.statusCode))")
        }
        return file
    }

    /// One request with the registry's rules: a challenge answered once, network errors and
    /// 5xx answers retried with backoff, refused credentials explained. With `saving`, the
    /// body goes to a new file there (kept only for the answer returned).
    private func exchange(_ method: String, _ path: String, headers: [String: String], body: Data?, push: Bool,
                          saving directory: String?) async throws(EngineError) -> (HTTPResponse, String?) {
        var challenged = false
        var attempt = 0
        while true {
            attempt += 1
            let request = try makeRequest(method, path, headers: headers, body: body)
            let file = directory.map { "\($0)/blob-\(UUID().uuidString.lowercased())" }
            let response: HTTPResponse
            do {
                response = try await HTTPClient.send(request, to: file.map { .file($0) } ?? .memory, options: options)
            } catch {
                if let file { unlink(file) }
                if attempt < 4, error.code == .network || error.code == .timeout { await backoff(attempt); continue }
                throw EngineError(error.code, "cannot reach the registry \(base): \(error.message); check that it runs and the address is right",
                                  cause: error)
            }
            let keep = response.statusCode < 300
            if !keep, let file { unlink(file) }
            if response.statusCode == 401, !challenged {
                challenged = true
                try await answer(challenge: response.header("WWW-Authenticate") ?? "", push: push)
                continue
            }
            if response.statusCode >= 500, attempt < 4 {
                await backoff(attempt)
                continue
            }
            if response.statusCode == 401 || response.statusCode == 403 {
                throw EngineError(.invalidArgument, credentials == nil
                    ? "\(reference.domain) asks for authentication; log in first: swiftcompose login \(reference.domain)"
                    : "\(reference.domain) refused the credentials stored for it (HTTP \(response.statusCode)); log in again: swiftcompose login \(reference.domain)")
            }
            return (response, keep ? file : nil)
        }
    }

    private func makeRequest(_ method: String, _ path: String, headers: [String: String], body: Data?) throws(EngineError) -> HTTPRequest {
        guard let url = HTTPURL(path.hasPrefix("http") ? path : base + path) else {
            throw EngineError(.invalidArgument, "invalid registry address \(base)\(path)")
        }
        var request = HTTPRequest(method: method, url: url, headers: headers.map { ($0.key, $0.value) }, body: body.map { Array($0) } ?? [])
        if let authorization = lock.withLock({ authorization }) { request.setHeader("Authorization", authorization) }
        return request
    }

    private func backoff(_ attempt: Int) async {
        try? await Task.sleep(nanoseconds: UInt64(200_000_000) << UInt64(attempt - 1))
    }

    /// Basic: the stored credentials. Bearer: a token from the realm for this repository.
    private func answer(challenge: String, push: Bool) async throws(EngineError) {
        let scheme = challenge.prefix { $0 != " " }.lowercased()
        if scheme == "basic" {
            guard let credentials else {
                throw EngineError(.invalidArgument, "\(reference.domain) asks for authentication; log in first: swiftcompose login \(reference.domain)")
            }
            lock.withLock { authorization = "Basic " + Data("\(credentials.user):\(credentials.password)".utf8).base64EncodedString() }
            return
        }
        guard scheme == "bearer" else {
            throw EngineError(.unsupported, "\(reference.domain) asks for an authentication scheme we do not speak: \(challenge)")
        }
        let parameters = Self.challengeParameters(String(challenge.dropFirst(6)))
        guard let realm = parameters["realm"], var components = URLComponents(string: realm) else {
            throw EngineError(.network, "\(reference.domain): a Bearer challenge without a realm")
        }
        var query = components.queryItems ?? []
        if let service = parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
        query.append(URLQueryItem(name: "scope", value: "repository:\(reference.path):\(push ? "pull,push" : "pull")"))
        components.queryItems = query
        guard let text = components.url?.absoluteString, let url = HTTPURL(text) else {
            throw EngineError(.network, "\(reference.domain): invalid token realm \(realm)")
        }
        var request = HTTPRequest(method: "GET", url: url)
        if let credentials {
            request.setHeader("Authorization", "Basic " + Data("\(credentials.user):\(credentials.password)".utf8).base64EncodedString())
        }
        struct Token: Decodable { var token: String?; var access_token: String? }
        let response: HTTPResponse
        do {
            response = try await HTTPClient.send(request, options: options)
        } catch {
            throw EngineError(.network, "cannot reach the token service \(realm): \(error.message)", cause: error)
        }
        guard response.statusCode == 200, let token = try? JSONDecoder().decode(Token.self, from: Data(response.body)),
              let value = token.token ?? token.access_token else {
            throw EngineError(.invalidArgument, "\(reference.domain) did not give a token for \(reference.path)"
                + (credentials == nil ? "; log in first: swiftcompose login \(reference.domain)" : "; check the credentials"))
        }
        lock.withLock { authorization = "Bearer " + value }
    }

    /// `realm="https://auth",service="registry",scope="…"` → a dictionary.
    static func challengeParameters(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var rest = Substring(text)
        while let equals = rest.firstIndex(of: "=") {
            let key = rest[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: " ,"))
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                value = String(rest.prefix { $0 != "\"" })
                rest = rest.dropFirst(value.count + 1)
            } else {
                value = String(rest.prefix { $0 != "," })
                rest = rest.dropFirst(value.count)
            }
            result[key.lowercased()] = value
        }
        return result
    }
}
