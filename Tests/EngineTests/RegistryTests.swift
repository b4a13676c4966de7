import EngineTestSupport
import Foundation
import SystemSupport
import Testing
@testable import Engine

/// Debian's docker-registry on 127.0.0.1 (or `address`) at a free port, in a temporary
/// directory; optionally with htpasswd basic auth, `extraConfig` (a token service's
/// `auth:`) or TLS. `stop()` kills it and removes everything.
final class LocalRegistry: @unchecked Sendable {
    let directory: String
    let port: Int
    let address: String
    private let scheme: String
    private let process = Process()

    init(user: String? = nil, password: String? = nil, directory: String? = nil, extraConfig: String = "",
         address: String = "127.0.0.1", tls: (certificate: String, key: String)? = nil) throws {
        self.address = address
        scheme = tls == nil ? "http" : "https"
        self.directory = directory ?? "/tmp/screg-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        try makeDirectories(self.directory + "/data")
        port = Int(UInt16.random(in: 20000...29000))
        let directory = self.directory
        var config = """
            version: 0.1
            log: {level: error}
            storage:
              filesystem: {rootdirectory: \(directory)/data}
            http: {addr: "\(address):\(port)"\(tls.map { ", tls: {certificate: \($0.certificate), key: \($0.key)}" } ?? "")}

            """
        if let user, let password {
            let hash = try BusyboxImage.run(["/usr/bin/htpasswd", "-nbB", user, password])
            try hash.write(toFile: directory + "/htpasswd", atomically: true, encoding: .utf8)
            config += "auth:\n  htpasswd: {realm: test, path: \(directory)/htpasswd}\n"
        }
        config += extraConfig
        try config.write(toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
        process.arguments = ["serve", directory + "/config.yml"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        for _ in 0..<100 {
            if ["200", "401"].contains(status()) { return }
            usleep(100_000)
        }
        stop()
        throw EngineError(.timeout, "docker-registry did not start on port \(port)")
    }

    /// The HTTP status of /v2/ (curl: a test must not block Swift's few cooperative threads
    /// on Foundation's synchronous URL loading).
    private func status() -> String? {
        try? BusyboxImage.run(["/usr/bin/curl", "-s", "-k", "-o", "/dev/null", "-w", "%{http_code}", "\(scheme)://\(address):\(port)/v2/"])
    }

    var host: String { "\(address):\(port)" }

    /// The registry's stored file of a blob (to tamper with it).
    func blobFile(_ digest: String) -> String {
        let hex = digest.dropFirst(7)
        return "\(directory)/data/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

func withRegistry(user: String? = nil, password: String? = nil, extraConfig: String = "",
                  _ body: (LocalRegistry, RuntimeTestBed) async throws -> Void) async throws {
    let registry = try LocalRegistry(user: user, password: password, extraConfig: extraConfig)
    defer { registry.stop() }
    try await withRuntimeBed { bed in try await body(registry, bed) }
}

final class TransferLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [TransferEvent] = []
    var callback: @Sendable (TransferEvent) -> Void { { event in self.lock.withLock { self.events.append(event) } } }
    var statuses: [String] { lock.withLock { events.map(\.status) } }
}

/// The suites that point the process-wide DOCKER_CONFIG at a directory of their own take
/// turns: run side by side, one's login would land in the other's file.
@Suite(.serialized) enum DockerConfigSuites {
    /// Without stored credentials a push is refused with the login to give, and a login
    /// with a wrong password is refused too.
    static func expectPushNeedsALogin(_ store: ImageStore, _ name: String, host: String) async {
        do throws(EngineError) {
            _ = try await store.push(name)
            Issue.record("a push without credentials was accepted")
        } catch {
            #expect(error.message.contains("swiftcompose login \(host)"), "\(error.message)")
        }
        await #expect(throws: EngineError.self) { try await ImageStore.login(host, user: "ci", password: "wrong") }
    }
}

extension DockerConfigSuites {
    @Suite("Registry", .serialized) struct RegistryTests {
        @Test(.timeLimit(.minutes(2))) func pushThenPullIntoAFreshStoreGivesTheSameImage() async throws {
            try await withRegistry { registry, bed in
                let store = ImageStore(state: bed.state)
                let original = try BusyboxImage.make(in: store)
                let name = "\(registry.host)/test/busybox:1"
                try store.tag("busybox", as: name)
                let pushed = TransferLog()
                let digest = try await store.push(name, progress: pushed.callback)
                #expect(digest == original.manifestDigest)
                #expect(pushed.statuses.filter { $0 == "Pushed" }.count == 2) // the layer and the config

                // A fresh store pulls it back: same ID, same manifest, runnable.
                let fresh = ImageStore(state: StateRoot(root: bed.directory + "/fresh", run: bed.directory + "/fresh-run"))
                let pulled = TransferLog()
                let image = try await fresh.pull(name, progress: pulled.callback)
                #expect(image.id == original.id)
                #expect(image.manifestDigest == original.manifestDigest)
                #expect(image.layers.map(\.diffID) == original.layers.map(\.diffID))
                #expect(pulled.statuses.contains("Pull complete"))
                let result = try await bed.run(ContainerSpec(image: name, command: ["echo", "pulled"]), image: fresh.containerImage(name))
                #expect(result.out == "pulled\n")

                // Again: nothing to download, nothing to upload; another repository mounts the blobs.
                let again = TransferLog()
                _ = try await fresh.pull(name, progress: again.callback)
                #expect(again.statuses.contains("Already exists") && !again.statuses.contains("Pull complete"))
                let repeated = TransferLog()
                _ = try await store.push(name, progress: repeated.callback)
                #expect(repeated.statuses.filter { $0 == "Layer already exists" }.count == 2)
                let other = "\(registry.host)/other/busybox:1"
                try store.tag("busybox", as: other)
                let mounted = TransferLog()
                _ = try await store.push(other, progress: mounted.callback)
                #expect(mounted.statuses.contains("Mounted from test/busybox"), "\(mounted.statuses)")

                await #expect(throws: EngineError.self) { try await fresh.pull("\(registry.host)/test/missing:1") }
            }
        }

        @Test(.timeLimit(.minutes(2))) func basicAuthNeedsALogin() async throws {
            try await withRegistry(user: "ci", password: "s3cret") { registry, bed in
                let config = bed.directory + "/docker-config"
                setenv("DOCKER_CONFIG", config, 1)
                defer { unsetenv("DOCKER_CONFIG") }
                let store = ImageStore(state: bed.state)
                try BusyboxImage.make(in: store)
                let name = "\(registry.host)/private/busybox:1"
                try store.tag("busybox", as: name)
                await DockerConfigSuites.expectPushNeedsALogin(store, name, host: registry.host)
                let afterFailure = (try? String(contentsOfFile: config + "/config.json", encoding: .utf8)) ?? ""
                #expect(!afterFailure.contains(Data("ci:wrong".utf8).base64EncodedString()), "refused credentials are not kept")
                try await ImageStore.login(registry.host, user: "ci", password: "s3cret")
                let stored = try String(contentsOfFile: config + "/config.json", encoding: .utf8)
                #expect(stored.contains(Data("ci:s3cret".utf8).base64EncodedString()))
                _ = try await store.push(name)
                let fresh = ImageStore(state: StateRoot(root: bed.directory + "/fresh", run: bed.directory + "/fresh-run"))
                #expect(try await fresh.pull(name).id == store.resolve(name).id)
                try ImageStore.logout(registry.host)
                await #expect(throws: EngineError.self) { try await fresh.pull(name) }
            }
        }

        @Test(.timeLimit(.minutes(2))) func aTamperedBlobIsRefusedAndNothingKept() async throws {
            try await withRegistry { registry, bed in
                let store = ImageStore(state: bed.state)
                let image = try BusyboxImage.make(in: store)
                let name = "\(registry.host)/test/tampered:1"
                try store.tag("busybox", as: name)
                _ = try await store.push(name)
                // Flip bytes in the middle of the layer as the registry stores it.
                let file = registry.blobFile(image.layers[0].digest)
                let handle = try #require(FileHandle(forUpdatingAtPath: file))
                handle.seek(toFileOffset: 4096)
                handle.write(Data(repeating: 0x42, count: 64))
                try handle.close()
                let fresh = ImageStore(state: StateRoot(root: bed.directory + "/fresh", run: bed.directory + "/fresh-run"))
                do throws(EngineError) {
                    _ = try await fresh.pull(name)
                    Issue.record("a tampered layer was accepted")
                } catch {
                    #expect(error.code == .corrupt || error.message.contains("refused"), "\(error.message)")
                }
                #expect(try fresh.list().isEmpty)
                let left = (try? FileManager.default.contentsOfDirectory(atPath: bed.directory + "/fresh/images/snapshots")) ?? []
                #expect(left.isEmpty, "no snapshot of the refused layer is kept: \(left)")
                let staging = ((try? FileManager.default.contentsOfDirectory(atPath: bed.directory + "/fresh/images")) ?? []).filter { $0.hasPrefix("staging") }
                #expect(staging.isEmpty)
                let blobs = (try? FileManager.default.contentsOfDirectory(atPath: bed.directory + "/fresh/images/blobs/sha256")) ?? []
                #expect(blobs.isEmpty, "blobs of a refused pull reached the store: \(blobs)")
            }
        }
    }
}
