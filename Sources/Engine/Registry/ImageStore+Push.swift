import Foundation
import SystemSupport

extension ImageStore {
    /// Pushes an image under `name` (it must carry that name): every blob the registry does
    /// not have — mounted from another repository of the same registry when one of our
    /// images came from there — then the manifest. Returns the manifest digest.
    public func push(_ name: String, progress: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws(EngineError) -> String {
        let reference = try ImageReference(parsing: name)
        let image = try resolve(name)
        let client = RegistryClient(reference)
        let all = (try? list()) ?? []
        var blobs = image.layers.map { ($0.digest, $0.size) }
        blobs.append((image.id, Int64((try? blob(image.id).count) ?? 0)))
        for (digest, _) in blobs {
            let item = Self.short(digest)
            let (_, head) = try await client.send("HEAD", "\(client.repositoryPath)/blobs/\(digest)", push: true)
            if head.statusCode == 200 {
                progress(TransferEvent(item: item, status: "Layer already exists"))
                continue
            }
            // Another repository of this registry that has the blob: ask for a mount.
            let sources = all.filter { $0.layers.contains { $0.digest == digest } || $0.id == digest }.flatMap(\.names)
                .compactMap { try? ImageReference(parsing: $0) }
                .filter { $0.domain == reference.domain && $0.path != reference.path }
            if let source = sources.first {
                let (_, mounted) = try await client.send("POST", "\(client.repositoryPath)/blobs/uploads/?mount=\(digest)&from=\(source.path)",
                                                         headers: ["Content-Length": "0"], push: true)
                if mounted.statusCode == 201 {
                    progress(TransferEvent(item: item, status: "Mounted from \(source.path)"))
                    continue
                }
            }
            let bytes = try blob(digest)
            progress(TransferEvent(item: item, status: "Pushing \(Self.size(Int64(bytes.count)))"))
            let (_, started) = try await client.send("POST", "\(client.repositoryPath)/blobs/uploads/", headers: ["Content-Length": "0"], push: true)
            guard started.statusCode == 202, let location = started.header("Location") else {
                throw EngineError(.network, "\(reference.domain) did not start an upload of \(digest) (HTTP \(started.statusCode))")
            }
            let url = location + (location.contains("?") ? "&" : "?") + "digest=\(digest)"
            let (_, finished) = try await client.send("PUT", url, headers: ["Content-Type": "application/octet-stream"],
                                                      body: Data(bytes), push: true)
            guard finished.statusCode == 201 else {
                throw EngineError(.network, "\(reference.domain) refused the blob \(digest) (HTTP \(finished.statusCode))")
            }
            progress(TransferEvent(item: item, status: "Pushed"))
        }
        let manifest = try blob(image.manifestDigest)
        let mediaType = (try? JSONDecoder().decode(ManifestDocument.self, from: Data(manifest)).mediaType) ?? nil
        let (_, stored) = try await client.send("PUT", "\(client.repositoryPath)/manifests/\(reference.tag ?? reference.digest ?? "latest")",
                                                headers: ["Content-Type": mediaType ?? MediaType.ociManifest], body: Data(manifest), push: true)
        guard stored.statusCode == 201 else {
            throw EngineError(.network, "\(reference.domain) refused the manifest of \(reference.familiar) (HTTP \(stored.statusCode))")
        }
        progress(TransferEvent(item: reference.familiar, status: "Pushed (digest: \(image.manifestDigest), size: \(manifest.count))"))
        return image.manifestDigest
    }

    /// `login`: checks the credentials against the registry, then stores them.
    public static func login(_ server: String, user: String, password: String) async throws(EngineError) {
        let domain = server.replacingOccurrences(of: "https://", with: "").replacingOccurrences(of: "http://", with: "")
            .split(separator: "/").first.map(String.init) ?? server
        let credentials = RegistryCredentials()
        let previous = credentials.lookup(domain)
        try credentials.store(domain, user: user, password: password)
        let probe = try ImageReference(parsing: "\(domain == "index.docker.io" ? "docker.io" : domain)/library/login-probe")
        do throws(EngineError) {
            let (_, response) = try await RegistryClient(probe).send("GET", "/v2/")
            guard response.statusCode == 200 else {
                throw EngineError(.invalidArgument, "\(domain) answered HTTP \(response.statusCode) to the login")
            }
        } catch {
            try? credentials.store(domain, user: previous?.user, password: previous?.password)
            throw error
        }
    }

    public static func logout(_ server: String) throws(EngineError) {
        try RegistryCredentials().store(server, user: nil, password: nil)
    }
}
