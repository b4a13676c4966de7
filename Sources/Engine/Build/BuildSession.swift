import Foundation
import SystemSupport

/// One run of the builder: the stages built so far, the global ARGs, the context's
/// `.dockerignore`, and the step counter of the output.
struct BuildSession {
    let builder: ImageBuilder
    let request: BuildRequest
    let file: String
    let escape: Character
    let progress: @Sendable (BuildEvent) -> Void
    var ignore = DockerIgnore("")
    var globalArgs: [String: String] = [:]
    var stages: [Int: BuildStage] = [:]
    var consumedArgs = Set<String>()
    var totalSteps = 0
    private var stepCounter = 0

    /// ARGs Docker defines without a declaration (proxies).
    static let predefinedArgs: Set = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
                                      "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"]

    init(builder: ImageBuilder, request: BuildRequest, file: String, escape: Character,
         progress: @escaping @Sendable (BuildEvent) -> Void) {
        self.builder = builder
        self.request = request
        self.file = file
        self.escape = escape
        self.progress = progress
    }

    var store: ImageStore { builder.store }

    func failure(_ instruction: Dockerfile.Instruction, _ message: String) -> EngineError {
        EngineError(.invalidArgument, "\(file):\(instruction.line): \(instruction.keyword): \(message)")
    }

    mutating func readIgnoreFile() throws(EngineError) {
        if let data = FileManager.default.contents(atPath: request.context + "/.dockerignore") {
            ignore = DockerIgnore(String(decoding: data, as: UTF8.self))
        }
    }

    // MARK: ARG

    /// `ARG a=1 b` → [("a", "1"), ("b", nil)], defaults expanded with `variables`.
    func argDeclarations(_ instruction: Dockerfile.Instruction, variables: [String: String]) throws(EngineError) -> [(String, String?)] {
        var result: [(String, String?)] = []
        for raw in ShellWords.rawWords(instruction.argumentText, escape: escape) {
            let parts = raw.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard !name.isEmpty else { throw failure(instruction, "an ARG needs a name") }
            if parts.count == 2 {
                do { result.append((name, try ShellWords(escape: escape, variables: variables).word(String(parts[1])))) } catch {
                    throw failure(instruction, error.message)
                }
            } else {
                result.append((name, nil))
            }
        }
        return result
    }

    mutating func resolveGlobalArgs(_ instructions: [Dockerfile.Instruction]) throws(EngineError) {
        for instruction in instructions {
            for (name, defaultValue) in try argDeclarations(instruction, variables: globalArgs) {
                if let value = request.buildArgs[name] ?? defaultValue { globalArgs[name] = value }
                consumedArgs.insert(name)
            }
        }
    }

    // MARK: stages

    /// The stages the target needs (FROM another stage, COPY --from), itself included.
    func neededStages(_ dockerfile: Dockerfile, upTo target: Int) throws(EngineError) -> Set<Int> {
        var needed = Set<Int>()
        var pending = [target]
        while let index = pending.popLast() {
            guard needed.insert(index).inserted else { continue }
            let stage = dockerfile.stages[index]
            var references: [String] = []
            if let base = ShellWords.rawWords(stage.from.argumentText, escape: escape).first,
               let expanded = try? ShellWords(escape: escape, variables: globalArgs).word(base) {
                references.append(expanded)
            }
            references += stage.instructions.compactMap { $0.keyword == "COPY" ? $0.flags["from"] : nil }
            for reference in references {
                if let other = stageIndex(reference, in: dockerfile, before: index) { pending.append(other) }
            }
        }
        return needed
    }

    func stageIndex(_ reference: String, in dockerfile: Dockerfile, before limit: Int) -> Int? {
        if let number = Int(reference), number >= 0, number < limit { return number }
        return dockerfile.stages[..<limit].lastIndex { $0.name == reference.lowercased() }
    }

    mutating func nextStep(_ label: String, _ text: String) -> Int {
        stepCounter += 1
        progress(.step(id: stepCounter, label: label, text: text))
        return stepCounter
    }

    /// An image named by FROM or COPY --from: from the store, else pulled from its registry
    /// (always pulled with `--pull`).
    func baseImage(_ name: String, _ instruction: Dockerfile.Instruction, step: Int) async throws(EngineError) -> ImageRecord {
        if !request.pull, let image = try? store.resolve(name) { return image }
        let progress = self.progress
        do {
            return try await store.pull(name) { event in progress(.output(id: step, text: "\(event.item): \(event.status)\n")) }
        } catch {
            if let image = try? store.resolve(name) { return image }
            throw failure(instruction, "base image \(name) is neither in the store nor pullable (\(error.message)); pull, load or build it first")
        }
    }

    mutating func buildStage(_ stage: Dockerfile.Stage, index: Int, in dockerfile: Dockerfile) async throws(EngineError) {
        let label = stage.name ?? "stage-\(index)"
        let count = stage.instructions.count + 1
        let baseText = ShellWords.rawWords(stage.from.argumentText, escape: escape).first ?? ""
        let base: String
        do { base = try ShellWords(escape: escape, variables: globalArgs).word(baseText) } catch {
            throw failure(stage.from, error.message)
        }
        let step = nextStep("\(label) 1/\(count)", "FROM \(base)" + (stage.name.map { " AS \($0)" } ?? ""))
        var state: BuildStage
        var triggers: [String] = []
        if base.lowercased() == "scratch" {
            state = BuildStage(name: stage.name, base: nil)
        } else if let other = stageIndex(base, in: dockerfile, before: index), let built = stages[other] {
            state = BuildStage(name: stage.name, base: built.configuration)
            state.layers = built.layers
        } else {
            let image = try await baseImage(base, stage.from, step: step)
            state = BuildStage(name: stage.name, base: image.configuration)
            state.layers = image.layers
            triggers = image.configuration.config.OnBuild ?? []
        }
        progress(.finished(id: step, seconds: 0))
        // ONBUILD triggers of the base image run first, as if written after FROM.
        for trigger in triggers {
            let instruction: Dockerfile.Instruction
            do { instruction = try DockerfileParser.parseLine(trigger, line: stage.from.line, escape: escape, file: file) } catch {
                throw EngineError(.invalidArgument, "ONBUILD trigger of \(base): \(error.description)")
            }
            try await execute(instruction, &state, label: "\(label) onbuild", in: dockerfile, stageIndex: index)
        }
        for (position, instruction) in stage.instructions.enumerated() {
            try await execute(instruction, &state, label: "\(label) \(position + 2)/\(count)", in: dockerfile, stageIndex: index)
        }
        stages[index] = state
    }
}
