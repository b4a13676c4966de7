import Foundation
import SystemSupport

/// Builds Dockerfiles into images of the store: stages, RUN in containers of our own
/// runtime, COPY/ADD into overlay mounts, every layer step cached by what it depends on.
public struct ImageBuilder: Sendable {
    public let state: StateRoot
    var store: ImageStore { ImageStore(state: state) }

    public init(state: StateRoot) {
        self.state = state
    }

    /// Runs the build and names the result with the request's tags.
    public func build(_ request: BuildRequest, progress: @escaping @Sendable (BuildEvent) -> Void = { _ in })
        async throws(EngineError) -> ImageRecord {
        let (dockerfile, file) = try load(request)
        var session = BuildSession(builder: self, request: request, file: file, escape: dockerfile.escape, progress: progress)
        try session.readIgnoreFile()
        try session.resolveGlobalArgs(dockerfile.globalArgs)
        let targetIndex = try target(of: dockerfile, request.target, file: file)
        let needed = try session.neededStages(dockerfile, upTo: targetIndex)
        session.totalSteps = needed.reduce(0) { $0 + dockerfile.stages[$1].instructions.count + 1 }
        for index in 0...targetIndex where needed.contains(index) {
            try await session.buildStage(dockerfile.stages[index], index: index, in: dockerfile)
        }
        guard var result = session.stages[targetIndex] else { throw EngineError(.system, "the target stage was not built") }
        if !request.labels.isEmpty {
            result.config.Labels = (result.config.Labels ?? [:]).merging(request.labels) { $1 }
        }
        let names = try request.tags.map { (tag) throws(EngineError) in try ImageReference(parsing: tag).description }
        let unused = Set(request.buildArgs.keys).subtracting(session.consumedArgs).subtracting(BuildSession.predefinedArgs)
        if !unused.isEmpty {
            progress(.warning("one or more build args were not consumed: \(unused.sorted().joined(separator: ", "))"))
        }
        // Same layers, same configuration, same history: the image of the last such build.
        let key = Self.resultKey(result)
        if !request.noCache, let previous = store.cachedImage(key) {
            return try store.writeImage(layers: previous.layers, configuration: previous.configuration, names: names)
        }
        result.configuration.created = ISO8601DateFormatter().string(from: Date())
        let image = try store.writeImage(layers: result.layers, configuration: result.configuration, names: names)
        store.rememberImage(image, for: key)
        return image
    }

    /// What identifies a build's result, leaving out the times in it.
    private static func resultKey(_ stage: BuildStage) -> String {
        var configuration = stage.configuration
        configuration.created = nil
        configuration.history = configuration.history?.map { entry in
            var entry = entry
            entry.created = nil
            return entry
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(configuration)) ?? Data()
        let layers = stage.layers.map(\.chainID).joined(separator: ",")
        return String(SHA256Hasher.digest(Array(layers.utf8) + Array(data)).dropFirst(7))
    }

    private func load(_ request: BuildRequest) throws(EngineError) -> (Dockerfile, String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: request.context, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EngineError(.notFound, "the build context \(request.context) is not a directory")
        }
        let text: String
        let file: String
        if let inline = request.dockerfileInline {
            text = inline
            file = "Dockerfile (inline)"
        } else {
            let given = request.dockerfile ?? "Dockerfile"
            let path = given.hasPrefix("/") ? given : request.context + "/" + given
            guard let data = FileManager.default.contents(atPath: path) else {
                throw EngineError(.notFound, "cannot read the Dockerfile \(path)", cause: nil)
            }
            text = String(decoding: data, as: UTF8.self)
            file = given
        }
        do {
            return (try DockerfileParser.parse(text, file: file), file)
        } catch {
            throw EngineError(.invalidArgument, error.description)
        }
    }

    private func target(of dockerfile: Dockerfile, _ target: String?, file: String) throws(EngineError) -> Int {
        guard let target else { return dockerfile.stages.count - 1 }
        guard let index = dockerfile.stages.firstIndex(where: { $0.name == target.lowercased() }) else {
            let names = dockerfile.stages.compactMap(\.name)
            throw EngineError(.invalidArgument, "\(file): target stage \"\(target)\" could not be found"
                + (names.isEmpty ? "" : "; stages: \(names.joined(separator: ", "))"))
        }
        return index
    }
}
