import Foundation
import FoundationNetworking
import SystemSupport

/// HTTP to one repository of a registry (OCI distribution API): plain HTTP for localhost
/// and registries named insecure, HTTPS otherwise; Basic or Bearer-token authentication
/// answered from the `WWW-Authenticate` challenge; retries with backoff for network
/// errors and 5xx answers.
final class RegistryClient: @unchecked Sendable {
    let reference: ImageReference
    let base: String
    private let credentials: (user: String, password: String)?
    private let lock = NSLock()
    private var authorization: String?
    private let session: URLSession

    /// Registries reached over plain HTTP: localhost (any port) and those listed in
    /// `SWIFTCOMPOSE_INSECURE_REGISTRIES` (comma-separated host[:port]).
    static func isInsecure(_ domain: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        let host = domain.hasPrefix("[") ? String(domain.prefix { $0 != "]" }.dropFirst()) : String(domain.split(separator: ":").first ?? "")
        if ["localhost", "127.0.0.1", "::1"].contains(host) { return true }
        let listed = (environment["SWIFTCOMPOSE_INSECURE_REGISTRIES"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return listed.contains(domain) || listed.contains(host)
    }

    init(_ reference: ImageReference, credentials: RegistryCredentials = RegistryCredentials()) {
        self.reference = reference
        let host = reference.domain == "docker.io" ? "registry-1.docker.io" : reference.domain
        base = (Self.isInsecure(reference.domain) ? "http://" : "https://") + host
        self.credentials = credentials.lookup(reference.domain)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        session = URLSession(configuration: configuration, delegate: recorder, delegateQueue: nil)
    }

    /// Foundation on Linux turns a 401 with a Basic challenge into an authentication
    /// challenge that, unanswered, never completes. We answer every challenge ourselves
    /// (from the WWW-Authenticate header), so the recorder keeps the 401 and cancels.
    private final class ChallengeRecorder: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        private let lock = NSLock()
        private var responses: [String: HTTPURLResponse] = [:]

        func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
            if let response = challenge.failureResponse as? HTTPURLResponse,
               let id = task.originalRequest?.value(forHTTPHeaderField: RegistryClient.requestHeader) {
                lock.withLock { responses[id] = response }
            }
            completionHandler(.cancelAuthenticationChallenge, nil)
        }

        func take(_ id: String) -> HTTPURLResponse? {
            lock.withLock { responses.removeValue(forKey: id) }
        }
    }

    private let recorder = ChallengeRecorder()
    static let requestHeader = "X-Swiftcompose-Request"

    /// Runs a request; a challenge Foundation swallowed comes back as its 401 response.
    private func perform<T>(_ request: URLRequest, _ body: (URLRequest) async throws -> (T, URLResponse)) async throws -> (T?, HTTPURLResponse) {
        do {
            let (value, response) = try await body(request)
            guard let http = response as? HTTPURLResponse else { throw EngineError(.network, "\(base): not an HTTP answer") }
            return (value, http)
        } catch {
            if let id = request.value(forHTTPHeaderField: Self.requestHeader), let challenged = recorder.take(id) { return (nil, challenged) }
            throw error
        }
    }

    var repositoryPath: String { "/v2/\(reference.path)" }

    /// Sends a request (a path below the registry, or an absolute URL from a Location header).
    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil,
              push: Bool = false) async throws(EngineError) -> (Data, HTTPURLResponse) {
        var challenged = false
        var attempt = 0
        while true {
            attempt += 1
            let request = try makeRequest(method, path, headers: headers, body: body)
            let data: Data, response: HTTPURLResponse
            do {
                let (received, http) = try await perform(request) { try await session.data(for: $0) }
                data = received ?? Data()
                response = http
            } catch {
                if attempt < 4 { await backoff(attempt); continue }
                throw EngineError(.network, "cannot reach the registry \(base): \(error.localizedDescription); check that it runs and the address is right")
            }
            if response.statusCode == 401, !challenged {
                challenged = true
                try await answer(challenge: response.value(forHTTPHeaderField: "WWW-Authenticate") ?? "", push: push)
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
            return (data, response)
        }
    }

    /// Downloads a blob to a file of the store's staging area; returns its path.
    func download(_ digest: String, into directory: String) async throws(EngineError) -> String {
        var challenged = false
        var attempt = 0
        while true {
            attempt += 1
            let request = try makeRequest("GET", "\(repositoryPath)/blobs/\(digest)", headers: [:], body: nil)
            do {
                let (downloaded, http) = try await perform(request) { try await session.download(for: $0) }
                guard let file = downloaded else {
                    if http.statusCode == 401, !challenged {
                        challenged = true
                        try await answer(challenge: http.value(forHTTPHeaderField: "WWW-Authenticate") ?? "", push: false)
                        continue
                    }
                    throw EngineError(.invalidArgument, "\(reference.domain) refused the download of \(digest) (HTTP \(http.statusCode)); log in: swiftcompose login \(reference.domain)")
                }
                if http.statusCode == 401, !challenged {
                    challenged = true
                    try? FileManager.default.removeItem(at: file)
                    try await answer(challenge: http.value(forHTTPHeaderField: "WWW-Authenticate") ?? "", push: false)
                    continue
                }
                if http.statusCode >= 500, attempt < 4 {
                    try? FileManager.default.removeItem(at: file)
                    await backoff(attempt)
                    continue
                }
                guard http.statusCode == 200 else {
                    try? FileManager.default.removeItem(at: file)
                    throw EngineError(.notFound, "\(reference.repository): blob \(digest) not available (HTTP \(http.statusCode))")
                }
                let destination = directory + "/blob-" + UUID().uuidString.lowercased()
                try FileManager.default.moveItem(atPath: file.path, toPath: destination)
                return destination
            } catch let error as EngineError {
                throw error
            } catch {
                if attempt < 4 { await backoff(attempt); continue }
                throw EngineError(.network, "cannot download \(digest) from \(base): \(error.localizedDescription)")
            }
        }
    }

    private func makeRequest(_ method: String, _ path: String, headers: [String: String], body: Data?) throws(EngineError) -> URLRequest {
        guard let url = URL(string: path.hasPrefix("http") ? path : base + path) else {
            throw EngineError(.invalidArgument, "invalid registry address \(base)\(path)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(UUID().uuidString, forHTTPHeaderField: Self.requestHeader)
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        if let authorization = lock.withLock({ authorization }) { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        request.httpBody = body
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
        guard let url = components.url else { throw EngineError(.network, "\(reference.domain): invalid token realm \(realm)") }
        var request = URLRequest(url: url)
        if let credentials {
            request.setValue("Basic " + Data("\(credentials.user):\(credentials.password)".utf8).base64EncodedString(),
                             forHTTPHeaderField: "Authorization")
        }
        struct Token: Decodable { var token: String?; var access_token: String? }
        do {
            let (data, response) = try await session.data(for: request)
            guard (response as? HTTPURLResponse)?.statusCode == 200,
                  let token = try? JSONDecoder().decode(Token.self, from: data), let value = token.token ?? token.access_token else {
                throw EngineError(.invalidArgument, "\(reference.domain) did not give a token for \(reference.path)"
                    + (credentials == nil ? "; log in first: swiftcompose login \(reference.domain)" : "; check the credentials"))
            }
            lock.withLock { authorization = "Bearer " + value }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.network, "cannot reach the token service \(realm): \(error.localizedDescription)")
        }
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
