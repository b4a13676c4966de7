import Foundation
import Glibc
import SystemSupport

/// RUN: the command runs in a container of our own runtime on the stage's layers; what it
/// changed (the container's upper directory) becomes the next layer.
extension BuildSession {
    /// Mount points the runtime creates in a container's root when the image lacks them:
    /// they are not part of what RUN changed.
    static let runtimeMountPoints: Set = ["proc", "sys", "dev", "etc/hosts", "etc/hostname", "etc/resolv.conf"]

    mutating func run(_ instruction: Dockerfile.Instruction, _ stage: inout BuildStage, step: Int) async throws(EngineError) {
        var argv: [String]
        var input: String?
        switch instruction.arguments {
        case .exec(let words):
            argv = words
        case .shell(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let heredoc = instruction.heredocs.first, trimmed.hasPrefix("<<"), instruction.heredocs.count == 1,
               !trimmed.contains(" ") {
                // `RUN <<EOF`: the heredoc is the script.
                argv = stage.shellCommand(heredoc.content)
            } else {
                // `RUN python3 <<EOF`: the command reads the heredoc on its stdin.
                argv = stage.shellCommand(text)
                input = instruction.heredocs.first?.content
            }
        }
        // ARGs reach RUN as environment variables (ENV wins), and so are part of its cache key.
        let environment = stage.environment
        let argEnvironment = stage.args.filter { environment[$0.key] == nil }
        let key = SHA256Hasher.digest(Array(("run\n" + stage.cacheBase() + "\n" + argv.joined(separator: "\u{1}") + "\n"
                                              + (input ?? "") + "\n"
                                              + argEnvironment.keys.sorted().map { "\($0)=\(argEnvironment[$0]!)" }.joined(separator: "\u{1}")
                                              + "\n" + (request.network ?? "")).utf8))
        if !request.noCache, let layer = store.cachedLayer(String(key.dropFirst(7))) {
            stage.layers.append(layer)
            progress(.cached(id: step))
            return
        }
        let layer = try await runContainer(argv, input: input, environment: argEnvironment, stage: stage, step: step, instruction)
        store.rememberLayer(layer, for: String(key.dropFirst(7)))
        stage.layers.append(layer)
    }

    private func runContainer(_ argv: [String], input: String?, environment: [String: String], stage: BuildStage, step: Int,
                              _ instruction: Dockerfile.Instruction) async throws(EngineError) -> LayerRecord {
        let layerDirectory = store.state.path("images") + "/rw/" + UUID().uuidString.lowercased()
        do {
            try makeDirectories(layerDirectory + "/upper", mode: 0o755)
            try makeDirectories(layerDirectory + "/work", mode: 0o700)
        } catch {
            throw EngineError(.system, "cannot create the layer of the RUN step", cause: error)
        }
        var lower = store.lowerDirectories(stage.layers)
        if lower.isEmpty {
            do { lower = [try store.emptyLayerDirectory()] } catch { throw EngineError(.system, "cannot prepare scratch", cause: error) }
        }
        let config = stage.config
        let image = ContainerImage(reference: "build", id: "build", config: .init(env: config.Env, workingDir: config.WorkingDir, user: config.User),
                                   rootfs: .overlay(lower: lower, upper: layerDirectory + "/upper", work: layerDirectory + "/work"))
        var spec = ContainerSpec(image: "build", command: argv)
        spec.name = "build-" + String(UUID().uuidString.lowercased().prefix(12))
        spec.entrypoint = []
        spec.environment = environment
        spec.user = config.User
        spec.workingDir = config.WorkingDir
        spec.openStdin = input != nil
        spec.networkMode = request.network == "none" ? "none" : "host"
        spec.extraHosts = request.extraHosts
        spec.resources.shmSize = request.shmSize
        spec.labels = ["com.swiftcompose.build": "true"]
        let containers = ContainerService(state: store.state)
        let record = try await containers.create(spec, image: image)
        do throws(EngineError) {
            let session = try await containers.startAttached(record)
            if let input {
                session.send(stdin: Array(input.utf8))
                session.closeStdin()
            }
            let progress = self.progress
            let code = try await BlockingCall.run { () throws(EngineError) -> Int32 in
                while let event = session.next() {
                    switch event {
                    case .output(_, let bytes): progress(.output(id: step, text: String(decoding: bytes, as: UTF8.self)))
                    case .exited(let code): return code
                    case .failed(let code, let message):
                        progress(.output(id: step, text: message + "\n"))
                        return code
                    case .started: continue
                    }
                }
                return 125
            }
            guard code == 0 else {
                throw failure(instruction, "the command \(argv.map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")) "
                    + "did not complete successfully: exit code \(code)")
            }
            let upper = layerDirectory + "/upper"
            let layer = try store.storeLayer(fromDirectory: upper, parent: stage.layers.last) { path in
                Self.runtimeMountPoints.contains(path) && Self.isCreatedMountPoint(upper + "/" + path, lower: lower, path: path)
            }
            try? await containers.remove(record.id, force: true)
            return layer
        } catch {
            try? await containers.remove(record.id, force: true)
            throw error
        }
    }

    /// An empty file or directory in the upper layer with nothing below it: the runtime's mount point.
    private static func isCreatedMountPoint(_ full: String, lower: [String], path: String) -> Bool {
        var info = stat()
        for layer in lower where lstat(layer + "/" + path, &info) == 0 { return false }
        guard lstat(full, &info) == 0 else { return false }
        if info.st_mode & S_IFMT == S_IFREG { return info.st_size == 0 }
        guard info.st_mode & S_IFMT == S_IFDIR, let handle = opendir(full) else { return false }
        defer { closedir(handle) }
        var count = 0
        while readdir(handle) != nil { count += 1 }
        return count <= 2
    }
}
