import ArgumentParser
import Engine
import Foundation
import SystemSupport

/// `swiftcompose image build`: `docker build` on the engine's own builder.
struct ImageBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build an image from a Dockerfile (like docker build).",
        discussion: """
        RUN steps run in containers of swiftcompose's own engine, on the host's network \
        (--network none to have none). Steps whose parent, text and inputs are unchanged \
        come from the build cache; --no-cache rebuilds them all.
        """
    )
    @OptionGroup var engine: EngineOptions
    @Option(name: [.customShort("t"), .customLong("tag")], help: "Name the image NAME[:TAG] (repeatable).") var tags: [String] = []
    @Option(name: [.customShort("f"), .customLong("file")], help: "The Dockerfile (default: CONTEXT/Dockerfile; - reads standard input).")
    var file: String?
    @Option(name: .customLong("build-arg"), help: "Set a build argument KEY=VALUE (KEY alone takes it from the environment).")
    var buildArgs: [String] = []
    @Option(name: .long, help: "Build this stage of a multi-stage Dockerfile.") var target: String?
    @Option(name: .long, help: "Add a label KEY=VALUE to the image (repeatable).") var label: [String] = []
    @Flag(name: .customLong("no-cache"), help: "Do not use the build cache.") var noCache = false
    @Flag(name: .long, help: "Pull base images even when the store has them.") var pull = false
    @Option(name: .long, help: "Network of RUN steps: host (default) or none.") var network: String?
    @Option(name: .customLong("add-host"), help: "Add HOST:IP to /etc/hosts of RUN steps.") var addHost: [String] = []
    @Flag(name: [.customShort("q"), .long], help: "Print only the image ID.") var quiet = false
    @Argument(help: "The build context directory.") var context: String

    func run() async throws {
        var request = BuildRequest(context: URL(fileURLWithPath: context).standardizedFileURL.path)
        if file == "-" {
            request.dockerfileInline = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else if let file {
            request.dockerfile = URL(fileURLWithPath: file).standardizedFileURL.path
        }
        request.tags = tags
        request.buildArgs = try Self.keyValues(buildArgs, option: "--build-arg", environment: true)
        request.labels = try Self.keyValues(label, option: "--label", environment: false)
        request.target = target
        request.noCache = noCache
        request.pull = pull
        request.network = network
        request.extraHosts = addHost
        let silent: @Sendable (BuildEvent) -> Void = { _ in }
        let progress = quiet ? silent : BuildOutput.printer()
        do {
            let image = try await ImageBuilder(state: StateRoot.fromEnvironment(root: engine.root)).build(request, progress: progress)
            print(quiet ? image.id : "Built \(image.id)" + (image.names.isEmpty ? "" : " as " + tags.joined(separator: ", ")))
        } catch {
            failAndExit(error)
        }
    }

    /// KEY=VALUE options; a bare KEY takes its value from the environment (or is dropped).
    static func keyValues(_ values: [String], option: String, environment: Bool) throws -> [String: String] {
        var result: [String: String] = [:]
        for value in values {
            let parts = value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard !parts[0].isEmpty else { throw ValidationError("\(option) \(value): write it as KEY=VALUE") }
            if parts.count == 2 {
                result[parts[0]] = parts[1]
            } else if environment, let inherited = ProcessInfo.processInfo.environment[parts[0]] {
                result[parts[0]] = inherited
            } else if !environment {
                result[parts[0]] = ""
            }
        }
        return result
    }
}
