import Foundation
import SystemSupport

/// Registry credentials in Docker's own file (`$DOCKER_CONFIG/config.json`, default
/// `~/.docker/config.json`): `auths.<server>.auth` is base64 of `user:password`. Other
/// keys of the file are kept as they are.
struct RegistryCredentials {
    let path: String

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let directory = environment["DOCKER_CONFIG"] ?? ((environment["HOME"] ?? "/root") + "/.docker")
        path = directory + "/config.json"
    }

    /// The key Docker files Docker Hub under; other registries go by host[:port].
    static func key(for domain: String) -> String {
        domain == "docker.io" ? "https://index.docker.io/v1/" : domain
    }

    private func document() -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object
    }

    func lookup(_ domain: String) -> (user: String, password: String)? {
        let auths = document()["auths"] as? [String: Any] ?? [:]
        guard let entry = auths[Self.key(for: domain)] as? [String: Any], let encoded = entry["auth"] as? String,
              let decoded = Data(base64Encoded: encoded).map({ String(decoding: $0, as: UTF8.self) }),
              let colon = decoded.firstIndex(of: ":") else { return nil }
        return (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
    }

    func store(_ domain: String, user: String?, password: String?) throws(EngineError) {
        var object = document()
        var auths = object["auths"] as? [String: Any] ?? [:]
        if let user, let password {
            auths[Self.key(for: domain)] = ["auth": Data("\(user):\(password)".utf8).base64EncodedString()]
        } else {
            auths[Self.key(for: domain)] = nil
        }
        object["auths"] = auths
        do {
            try makeDirectories((path as NSString).deletingLastPathComponent, mode: 0o700)
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try AtomicFile.write(Array(data), to: path, mode: 0o600)
        } catch {
            throw EngineError(.system, "cannot write the credentials to \(path)", cause: error)
        }
    }
}
