import EngineTestSupport
import Foundation
import SystemSupport
import Testing
@testable import Engine

/// A token service as Docker Hub's (the distribution token specification): it checks a
/// user's Basic credentials and answers with a JWT (RS256, signed with a certificate the
/// registry trusts) granting the scope asked for. Python's http.server on 127.0.0.1 at a
/// free port, signing with the openssl CLI; `stop()` kills it and removes its files.
final class TokenService: @unchecked Sendable {
    let directory: String
    private(set) var port = 0
    private let process = Process()

    private static let script = #"""
        import base64, json, os, signal, subprocess, sys, time, uuid
        from http.server import BaseHTTPRequestHandler, HTTPServer
        from urllib.parse import urlparse, parse_qs

        # The test process blocks most signals and we inherit its mask: let SIGTERM stop us.
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        key, cert, issuer, user, password, port_file = sys.argv[1:7]
        with open(cert) as f:
            cert_der = "".join(line.strip() for line in f if not line.startswith("-----"))
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

        def b64url(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                query = parse_qs(urlparse(self.path).query)
                access = []
                for scope in query.get("scope", []):
                    kind, rest = scope.split(":", 1)
                    name, actions = rest.rsplit(":", 1)
                    access.append({"type": kind, "name": name, "actions": actions.split(",")})
                now = int(time.time())
                header = {"typ": "JWT", "alg": "RS256", "x5c": [cert_der]}
                claims = {"iss": issuer, "sub": user, "aud": query.get("service", [""])[0], "exp": now + 300,
                          "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
                signed = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
                signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signed.encode(),
                                           capture_output=True, check=True).stdout
                body = json.dumps({"token": signed + "." + b64url(signature)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = HTTPServer(("127.0.0.1", 0), Handler)
        with open(port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """#

    init(user: String, password: String) throws {
        directory = "/tmp/sctoken-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        try makeDirectories(directory)
        do {
            _ = try BusyboxImage.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                                      "-subj", "/CN=swiftcompose-test-token", "-keyout", directory + "/key.pem",
                                      "-out", directory + "/cert.pem"])
            try Self.script.write(toFile: directory + "/token.py", atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [directory + "/token.py", directory + "/key.pem", directory + "/cert.pem", "test-issuer",
                                 user, password, directory + "/port"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            for _ in 0..<100 {
                if let text = try? String(contentsOfFile: directory + "/port", encoding: .utf8), let port = Int(text) {
                    self.port = port
                    return
                }
                usleep(100_000)
            }
            throw EngineError(.timeout, "the token service did not start")
        } catch {
            stop()
            throw error
        }
    }

    /// The registry's `auth:` section trusting this service.
    var registryConfig: String {
        """
        auth:
          token: {realm: "http://127.0.0.1:\(port)/token", service: test-registry, issuer: test-issuer, rootcertbundle: \(directory)/cert.pem}

        """
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension DockerConfigSuites {
    @Suite("RegistryToken", .serialized) struct RegistryTokenTests {
        @Test(.timeLimit(.minutes(2))) func bearerTokensComeFromTheRealmWithTheStoredCredentials() async throws {
            let service = try TokenService(user: "ci", password: "s3cret")
            defer { service.stop() }
            try await withRegistry(extraConfig: service.registryConfig) { registry, bed in
                setenv("DOCKER_CONFIG", bed.directory + "/docker-config", 1)
                defer { unsetenv("DOCKER_CONFIG") }
                let store = ImageStore(state: bed.state)
                let original = try BusyboxImage.make(in: store)
                let name = "\(registry.host)/private/busybox:1"
                try store.tag("busybox", as: name)

                // Without credentials the token service gives nothing: a clear error.
                await DockerConfigSuites.expectPushNeedsALogin(store, name, host: registry.host)

                // After a login: push and pull with tokens scoped to the repository.
                try await ImageStore.login(registry.host, user: "ci", password: "s3cret")
                #expect(try await store.push(name) == original.manifestDigest)
                let fresh = ImageStore(state: StateRoot(root: bed.directory + "/fresh", run: bed.directory + "/fresh-run"))
                let pulled = try await fresh.pull(name)
                #expect(pulled.id == original.id)
                #expect(pulled.manifestDigest == original.manifestDigest)

                try ImageStore.logout(registry.host)
                await #expect(throws: EngineError.self) { try await ImageStore(state: StateRoot(
                    root: bed.directory + "/fresh2", run: bed.directory + "/fresh2-run")).pull(name) }
            }
        }
    }
}
