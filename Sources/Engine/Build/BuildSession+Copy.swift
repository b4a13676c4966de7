import Foundation
import Glibc
import SystemSupport

/// COPY and ADD: sources from the context (minus `.dockerignore`), another stage or image
/// (`--from`), heredocs, ADD's archives and URLs — copied into an overlay mount of the
/// stage whose upper directory becomes the next layer. WORKDIR's directory goes the same way.
extension BuildSession {
    /// One thing to copy: a host path (file, directory or symlink) or heredoc text.
    struct CopySource {
        var name: String
        var hostPath: String?
        var text: String?
        /// The context-relative path of `hostPath`, for `.dockerignore` inside directories.
        var contextPath: String?
        var extract = false
    }

    struct CopyOptions {
        var owner: (uid: UInt32, gid: UInt32)?
        var mode: mode_t?
        var keepOwner: Bool
    }

    mutating func copy(_ instruction: Dockerfile.Instruction, _ stage: inout BuildStage, step: Int,
                       in dockerfile: Dockerfile, stageIndex currentStage: Int) async throws(EngineError) {
        let words = ShellWords(escape: escape, variables: stage.variables)
        var arguments: [String]
        do {
            switch instruction.arguments {
            case .exec(let list): arguments = try list.map { (word) throws(ShellWords.Failure) in try words.word(word) }
            case .shell(let text): arguments = try words.words(text)
            }
        } catch { throw failure(instruction, error.message) }
        guard arguments.count >= 2 else { throw failure(instruction, "requires at least two arguments: the source(s) and the destination") }
        let destination = arguments.removeLast()
        let isAdd = instruction.keyword == "ADD"

        // Where sources come from.
        var sourceMount: BuildMount?
        var fromIdentity: String?
        if let reference = instruction.flags["from"] {
            let name: String
            do { name = try words.word(reference) } catch { throw failure(instruction, error.message) }
            let layers: [LayerRecord]
            if let index = stageIndex(name, in: dockerfile, before: currentStage), let built = stages[index] {
                layers = built.layers
            } else {
                layers = try await baseImage(name, instruction, step: step).layers
            }
            fromIdentity = layers.last?.chainID ?? "scratch"
            sourceMount = try BuildMount(store: store, layers: layers, writable: false)
        }
        defer { sourceMount?.remove() }

        var sources: [CopySource] = []
        var wildcard = false
        for argument in arguments {
            if argument.hasPrefix("<<") {
                let name = argument.dropFirst(2).drop { $0 == "-" }.filter { $0 != "\"" && $0 != "'" }
                guard let heredoc = instruction.heredocs.first(where: { $0.name == name }) else {
                    throw failure(instruction, "no heredoc named \(name)")
                }
                var text = heredoc.content
                if heredoc.expands {
                    do { text = try words.heredoc(text) } catch { throw failure(instruction, error.message) }
                }
                sources.append(CopySource(name: String(name), text: text))
            } else if isAdd, argument.hasPrefix("http://") || argument.hasPrefix("https://") {
                sources.append(try download(argument, instruction))
            } else if let sourceMount {
                sources.append(contentsOf: try stageSources(argument, root: sourceMount.merged, instruction, wildcard: &wildcard))
            } else {
                sources.append(contentsOf: try contextSources(argument, instruction, wildcard: &wildcard, extract: isAdd))
            }
        }
        defer { for source in sources where source.hostPath?.hasPrefix(store.state.path("images") + "/build/") == true { unlink(source.hostPath!) } }
        if (sources.count > 1 || wildcard) && !destination.hasSuffix("/") {
            throw failure(instruction, "with more than one source the destination must be a directory ending in /: \(destination)/")
        }

        let base = stage.config.WorkingDir ?? "/"
        let target = destination.hasPrefix("/") ? destination : base + (base.hasSuffix("/") ? "" : "/") + destination
        var options = CopyOptions(owner: nil, mode: nil, keepOwner: sourceMount != nil)
        if let chmod = instruction.flags["chmod"] {
            guard let mode = mode_t(chmod, radix: 8), mode <= 0o7777 else { throw failure(instruction, "--chmod=\(chmod) is not an octal mode") }
            options.mode = mode
        }

        // The cache key: everything the result depends on, file contents included.
        var hasher = SHA256Hasher()
        hasher.update(Array(("copy\n" + stage.cacheBase() + "\n" + instruction.keyword + "\n" + target + "\n"
                             + instruction.flags.keys.sorted().map { "\($0)=\(instruction.flags[$0]!)" }.joined(separator: ",") + "\n"
                             + (fromIdentity ?? "context") + "\n").utf8))
        for source in sources {
            hasher.update(Array((source.name + "\n" + (source.text ?? "") + "\n").utf8))
            guard let path = source.hostPath else { continue }
            if let sourceMount {
                // The stage's chain ID stands for its content: the path inside it is enough.
                hasher.update(Array(path.dropFirst(sourceMount.merged.count).utf8))
            } else {
                ContentHash.add(path, contextPath: source.contextPath, ignore: ignore, to: &hasher)
            }
        }
        let key = String(hasher.finalize().dropFirst(7))
        if !request.noCache, let layer = store.cachedLayer(key) {
            stage.layers.append(layer)
            progress(.cached(id: step))
            return
        }

        let mount = try BuildMount(store: store, layers: stage.layers, writable: true)
        defer { mount.remove() }
        if let chown = instruction.flags["chown"] {
            let reader = RootfsReader(.directory(mount.merged))
            // `user` alone means that user's uid as the gid too, as Docker has it.
            let parts = chown.split(separator: ":", maxSplits: 1).map(String.init)
            do throws(EngineError) {
                let passwd = reader.read("/etc/passwd"), group = reader.read("/etc/group")
                let uid = try ResolvedUser.resolve(parts[0], groupAdd: [], passwd: passwd, group: group).uid
                let gid = parts.count == 2 ? try ResolvedUser.resolve("0:" + parts[1], groupAdd: [], passwd: nil, group: group).gid : uid
                options.owner = (uid, gid)
            } catch {
                throw failure(instruction, "--chown=\(chown): \(error.message)")
            }
        }
        let copier = TreeCopier(root: mount.merged, ignore: ignore, options: options)
        do throws(CopyFailure) {
            let intoDirectory = destination.hasSuffix("/") || sources.count > 1 || wildcard || copier.isDirectory(target)
            for source in sources {
                if source.extract, let path = source.hostPath, try copier.extractArchive(path, into: target) { continue }
                try copier.copy(source, to: intoDirectory && !source.isDirectory ? target + "/" + source.name : target)
            }
        } catch {
            throw failure(instruction, error.message)
        }
        mount.unmount()
        let layer = try store.storeLayer(fromDirectory: mount.upper!, parent: stage.layers.last)
        store.rememberLayer(layer, for: key)
        stage.layers.append(layer)
    }

    /// WORKDIR makes its directory when the image lacks it; false when nothing changed.
    mutating func makeDirectoryLayer(_ path: String, _ stage: inout BuildStage, step: Int,
                                     _ instruction: Dockerfile.Instruction) async throws(EngineError) -> Bool {
        let lower = store.lowerDirectories(stage.layers)
        var info = stat()
        if lower.contains(where: { lstat($0 + path, &info) == 0 }) { return true }
        let key = String(SHA256Hasher.digest(Array(("workdir\n" + stage.cacheBase() + "\n" + path).utf8)).dropFirst(7))
        if !request.noCache, let layer = store.cachedLayer(key) {
            stage.layers.append(layer)
            progress(.cached(id: step))
            return false
        }
        let mount = try BuildMount(store: store, layers: stage.layers, writable: true)
        defer { mount.remove() }
        let owner = stage.config.User.flatMap { UInt32($0.split(separator: ":").first ?? "") }
        do {
            try TreeCopier(root: mount.merged, ignore: DockerIgnore(""), options: CopyOptions(owner: owner.map { ($0, $0) }, keepOwner: false))
                .makeParents(path + "/x")
        } catch { throw failure(instruction, error.message) }
        mount.unmount()
        let layer = try store.storeLayer(fromDirectory: mount.upper!, parent: stage.layers.last)
        store.rememberLayer(layer, for: key)
        stage.layers.append(layer)
        return false
    }

    // MARK: sources

    private func contextSources(_ argument: String, _ instruction: Dockerfile.Instruction, wildcard: inout Bool,
                                extract: Bool) throws(EngineError) -> [CopySource] {
        let pattern = PathPattern(argument)
        let context = request.context
        if !pattern.hasWildcards {
            let relative = PathPattern.clean(argument)
            let path = relative.isEmpty ? context : context + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0, relative.isEmpty || !ignore.ignores(relative) else {
                throw failure(instruction, "\(argument): not found in the build context"
                    + (ignore.ignores(relative) ? " (excluded by .dockerignore)" : ""))
            }
            let name = relative.split(separator: "/").last.map(String.init) ?? "."
            return [CopySource(name: name, hostPath: path, contextPath: relative, extract: extract && info.st_mode & S_IFMT == S_IFREG)]
        }
        wildcard = true
        var matches: [CopySource] = []
        ContentHash.walk(context, ignore: ignore) { relative, isDirectory in
            if pattern.matches(relative) {
                matches.append(CopySource(name: String(relative.split(separator: "/").last!), hostPath: context + "/" + relative,
                                          contextPath: relative, extract: extract && !isDirectory))
                return false // a matched directory is copied whole
            }
            return true
        }
        guard !matches.isEmpty else { throw failure(instruction, "no file in the build context matches \(argument)") }
        return matches
    }

    private func stageSources(_ argument: String, root: String, _ instruction: Dockerfile.Instruction,
                              wildcard: inout Bool) throws(EngineError) -> [CopySource] {
        let pattern = PathPattern(argument)
        guard pattern.hasWildcards else {
            let path = RootedPath.resolve(argument, in: root)
            var info = stat()
            guard lstat(path, &info) == 0 else { throw failure(instruction, "\(argument): not found in --from=\(instruction.flags["from"]!)") }
            return [CopySource(name: (path as NSString).lastPathComponent, hostPath: path)]
        }
        // Wildcards in the last component, as images are too big to walk whole.
        wildcard = true
        let parent = RootedPath.resolve((argument as NSString).deletingLastPathComponent, in: root)
        let last = PathPattern((argument as NSString).lastPathComponent)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).sorted().filter { last.matches($0) }
        guard !names.isEmpty else { throw failure(instruction, "nothing in --from=\(instruction.flags["from"]!) matches \(argument)") }
        return names.map { CopySource(name: $0, hostPath: parent + "/" + $0) }
    }

    /// ADD of a URL: the file, downloaded now (a clear error when it cannot be).
    private func download(_ address: String, _ instruction: Dockerfile.Instruction) throws(EngineError) -> CopySource {
        guard let url = URL(string: address) else { throw failure(instruction, "\(address) is not a valid URL") }
        let directory = store.state.path("images") + "/build"
        let path = directory + "/download-" + UUID().uuidString.lowercased()
        do {
            try makeDirectories(directory)
            let data = try Data(contentsOf: url)
            try data.write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
        } catch {
            throw failure(instruction, "cannot download \(address): \(error.localizedDescription); check the address and the network")
        }
        let name = url.lastPathComponent.isEmpty || url.lastPathComponent == "/" ? "index.html" : url.lastPathComponent
        return CopySource(name: name, hostPath: path)
    }
}

extension BuildSession.CopySource {
    var isDirectory: Bool {
        guard let hostPath else { return false }
        var info = stat()
        return stat(hostPath, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
