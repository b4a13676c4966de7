import EngineTestSupport
import Foundation
import SystemSupport
import Testing
@testable import Engine

/// A CONNECT proxy (Python's sockets: a real, separate implementation) on 127.0.0.1 that
/// writes each request line it gets to `log`.
private final class TunnelProxy {
    let port: Int
    private let process = Process()

    init(log: String) throws {
        let script = """
            import socket, sys, threading
            server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", 0)); server.listen(16)
            print(server.getsockname()[1], flush=True)
            log = open(sys.argv[1], "a")
            def relay(source, target):
                try:
                    while data := source.recv(65536): target.sendall(data)
                except OSError: pass
                try: target.shutdown(socket.SHUT_WR)
                except OSError: pass
            def serve(client):
                head = b""
                while b"\\r\\n\\r\\n" not in head:
                    data = client.recv(4096)
                    if not data: return client.close()
                    head += data
                line = head.split(b"\\r\\n")[0].decode()
                log.write(line + "\\n"); log.flush()
                host, port = line.split(" ")[1].rsplit(":", 1)
                upstream = socket.create_connection((host.strip("[]"), int(port)))
                client.sendall(b"HTTP/1.1 200 Connection established\\r\\n\\r\\n")
                threading.Thread(target=relay, args=(client, upstream), daemon=True).start()
                relay(upstream, client)
            while True:
                client, _ = server.accept()
                threading.Thread(target=serve, args=(client,), daemon=True).start()
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, log]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw EngineError(.system, "the test proxy did not start: \(line)")
        }
        self.port = port
    }

    /// SIGKILL: a child of a test thread inherits the thread's blocked signals, SIGTERM among them.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite("RegistryTLS", .serialized)
struct RegistryTLSTests {
    /// A registry with TLS on the gateway of a bridge of ours (not loopback, which proxies
    /// never serve), its certificate made for that address.
    @Test(.timeLimit(.minutes(2))) func anHTTPSRegistryIsVerifiedAndReachedDirectlyOrThroughAProxy() async throws {
        try #require(runningAsRoot)
        let bed = try NetworkTestBed()
        defer { bed.cleanUp() }
        let network = try bed.manager.create(NetworkConfiguration(name: bed.name("tls")))
        let address = network.gateway
        let certificate = bed.directory + "/registry.crt", key = bed.directory + "/registry.key"
        let made = try runCommand(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=swiftcompose test",
                                   "-addext", "subjectAltName=IP:\(address)", "-keyout", key, "-out", certificate], timeout: 60)
        try #require(made.status == 0, "\(made.output)")
        let registry = try LocalRegistry(directory: bed.directory + "/registry", address: address, tls: (certificate, key))
        defer { registry.stop() }
        let certsD = bed.directory + "/certs.d"
        try makeDirectories("\(certsD)/\(registry.host)")
        try FileManager.default.copyItem(atPath: certificate, toPath: "\(certsD)/\(registry.host)/ca.crt")
        let reference = try ImageReference(parsing: "\(registry.host)/probe")

        // Trusted through certs.d: a blob goes up (POST, then PUT to the Location given) and
        // comes back whole into a file.
        let client = RegistryClient(reference, environment: ["SWIFTCOMPOSE_CERTS_D": certsD])
        let blob = Array((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let digest = SHA256Hasher.digest(blob)
        let (_, started) = try await client.send("POST", "\(client.repositoryPath)/blobs/uploads/", headers: ["Content-Length": "0"])
        #expect(started.statusCode == 202)
        let location = try #require(started.header("Location"))
        let (_, stored) = try await client.send("PUT", location + (location.contains("?") ? "&" : "?") + "digest=\(digest)",
                                                headers: ["Content-Type": "application/octet-stream"], body: Data(blob))
        #expect(stored.statusCode == 201)
        let file = try await client.download(digest, into: bed.directory)
        #expect(try AtomicFile.read(file) == blob)

        // Not trusted without its CA, and nothing downloaded.
        let stranger = RegistryClient(reference, environment: ["SWIFTCOMPOSE_CERTS_D": bed.directory + "/none"])
        await #expect { _ = try await stranger.download(digest, into: bed.directory) } throws: { error in
            "\(error)".contains("the certificate of \(address) is not trusted")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: bed.directory).filter { $0.hasPrefix("blob-") }.count == 1)

        // Through a CONNECT proxy from HTTPS_PROXY: the same answer, and the proxy saw the tunnel.
        let log = bed.directory + "/proxy.log"
        let proxy = try TunnelProxy(log: log)
        defer { proxy.stop() }
        let proxied = RegistryClient(reference, environment: ["SWIFTCOMPOSE_CERTS_D": certsD, "HTTPS_PROXY": "http://127.0.0.1:\(proxy.port)"])
        let (body, answer) = try await proxied.send("GET", "\(proxied.repositoryPath)/blobs/\(digest)")
        #expect(answer.statusCode == 200 && Array(body) == blob)
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("CONNECT \(registry.host) HTTP/1.1"))
    }
}
