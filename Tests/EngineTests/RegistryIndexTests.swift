import EngineTestSupport
import Foundation
import SystemSupport
import Testing
@testable import Engine

/// Multi-platform images: an OCI index in a real registry naming one image per platform,
/// pulled by tag and by digest, with the platform chosen by `platform`.
@Suite("RegistryIndex", .serialized) struct RegistryIndexTests {
    /// A one-file image, different from busybox (so each platform has its own image ID).
    private func tinyImage(in store: ImageStore, directory: String) throws -> ImageRecord {
        let rootfs = directory + "/tiny-rootfs"
        try makeDirectories(rootfs)
        try "arm64\n".write(toFile: rootfs + "/platform", atomically: true, encoding: .utf8)
        _ = try BusyboxImage.run(["/bin/tar", "-C", rootfs, "-cf", directory + "/tiny.tar", "."])
        return try store.importRootfs(tarball: directory + "/tiny.tar", reference: "tiny:1", comment: "tiny test image")
    }

    /// PUTs `document` as the manifest `tag` of `repository` (curl: see LocalRegistry.status).
    private func putIndex(_ document: String, tag: String, repository: String, registry: LocalRegistry, directory: String) throws {
        let file = directory + "/index.json"
        try document.write(toFile: file, atomically: true, encoding: .utf8)
        let status = try BusyboxImage.run(["/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT",
                                          "-H", "Content-Type: \(MediaType.ociIndex)", "--data-binary", "@" + file,
                                          "http://\(registry.host)/v2/\(repository)/manifests/\(tag)"])
        #expect(status == "201", "the registry refused the index: HTTP \(status)")
    }

    private func descriptor(_ store: ImageStore, _ image: ImageRecord, os: String, architecture: String, variant: String?) throws -> String {
        let manifest = try store.blob(image.manifestDigest)
        let mediaType = try JSONDecoder().decode(ManifestDocument.self, from: Data(manifest)).mediaType ?? MediaType.ociManifest
        let variantField = variant.map { #", "variant": "\#($0)""# } ?? ""
        return #"{"mediaType": "\#(mediaType)", "digest": "\#(image.manifestDigest)", "size": \#(manifest.count), "platform": {"architecture": "\#(architecture)", "os": "\#(os)"\#(variantField)}}"#
    }

    @Test(.timeLimit(.minutes(2))) func anIndexGivesTheImageOfTheChosenPlatform() async throws {
        try await withRegistry { registry, bed in
            let store = ImageStore(state: bed.state)
            let busybox = try BusyboxImage.make(in: store)
            let tiny = try tinyImage(in: store, directory: bed.directory)
            #expect(busybox.id != tiny.id)
            let repository = "test/multi"
            try store.tag("busybox", as: "\(registry.host)/\(repository):amd64")
            try store.tag("tiny:1", as: "\(registry.host)/\(repository):arm64")
            _ = try await store.push("\(registry.host)/\(repository):amd64")
            _ = try await store.push("\(registry.host)/\(repository):arm64")
            let index = """
                {"schemaVersion": 2, "mediaType": "\(MediaType.ociIndex)", "manifests": [
                  \(try descriptor(store, tiny, os: "linux", architecture: "arm64", variant: "v8")),
                  \(try descriptor(store, busybox, os: "linux", architecture: "amd64", variant: nil))
                ]}
                """
            try putIndex(index, tag: "latest", repository: repository, registry: registry, directory: bed.directory)
            let indexDigest = SHA256Hasher.digest(Array(index.utf8))

            func freshStore(_ name: String) -> ImageStore {
                ImageStore(state: StateRoot(root: bed.directory + "/" + name, run: bed.directory + "/" + name + "-run"))
            }
            // Default platform (linux/amd64) although arm64 comes first in the index.
            let amd64 = try await freshStore("amd64").pull("\(registry.host)/\(repository)")
            #expect(amd64.id == busybox.id)
            #expect(amd64.manifestDigest == busybox.manifestDigest)
            // Chosen platform, with and without its variant; by the index's digest too.
            #expect(try await freshStore("arm64").pull("\(registry.host)/\(repository):latest", platform: "linux/arm64").id == tiny.id)
            #expect(try await freshStore("arm64v8").pull("\(registry.host)/\(repository)@\(indexDigest)", platform: "linux/arm64/v8").id == tiny.id)

            // A platform the index lacks: a clear error naming those it has; nothing kept.
            let none = freshStore("none")
            do throws(EngineError) {
                _ = try await none.pull("\(registry.host)/\(repository)", platform: "linux/s390x")
                Issue.record("a platform the index lacks was pulled")
            } catch {
                #expect(error.message.contains("linux/s390x") && error.message.contains("linux/arm64, linux/amd64"), "\(error.message)")
            }
            #expect(try none.list().isEmpty)
            // A wrong variant and a malformed platform are refused too.
            await #expect(throws: EngineError.self) { try await none.pull("\(registry.host)/\(repository)", platform: "linux/arm64/v7") }
            await #expect(throws: EngineError.self) { try await none.pull("\(registry.host)/\(repository)", platform: "amd64") }
        }
    }
}

@Suite struct RegistryChallengeTests {
    @Test func bearerChallengeParametersAreParsed() {
        let parameters = RegistryClient.challengeParameters(
            #"realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push""#)
        #expect(parameters == ["realm": "https://auth.example.com/token", "service": "registry.example.com",
                               "scope": "repository:a/b:pull,push"])
        #expect(RegistryClient.challengeParameters(#"Realm=test, error=invalid_token"#) == ["realm": "test", "error": "invalid_token"])
        #expect(RegistryClient.challengeParameters("").isEmpty)
    }

    @Test func plainHTTPOnlyForLocalAndListedRegistries() {
        #expect(RegistryClient.isInsecure("localhost:5000", environment: [:]))
        #expect(RegistryClient.isInsecure("127.0.0.1:5000", environment: [:]))
        #expect(RegistryClient.isInsecure("[::1]:5000", environment: [:]))
        #expect(!RegistryClient.isInsecure("registry.example.com", environment: [:]))
        let listed = ["SWIFTCOMPOSE_INSECURE_REGISTRIES": "a.example:5000, b.example"]
        #expect(RegistryClient.isInsecure("a.example:5000", environment: listed))
        #expect(RegistryClient.isInsecure("b.example:443", environment: listed))
        #expect(!RegistryClient.isInsecure("a.example:6000", environment: listed))
    }
}
