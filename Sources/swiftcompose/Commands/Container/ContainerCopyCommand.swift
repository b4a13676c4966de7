import ArgumentParser
import Engine
import Foundation
import SystemSupport

struct ContainerCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy files between a container and the host.",
        discussion: "One side is CONTAINER:PATH. A destination that is an existing directory receives the source inside it; otherwise the copy takes the destination's name.")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "Source: CONTAINER:PATH or a host path.") var source: String
    @Argument(help: "Destination: CONTAINER:PATH or a host path.") var destination: String

    func run() async throws {
        let from = Self.containerPart(source), to = Self.containerPart(destination)
        do {
            switch (from, to) {
            case let ((container, path)?, nil):
                try await engine.service.copyOut(container, from: path, to: absolute(destination))
            case let (nil, (container, path)?):
                try await engine.service.copyIn(container, from: absolute(source), to: path)
            default:
                throw ValidationError("exactly one of source and destination must be CONTAINER:PATH")
            }
        } catch let error as EngineError { failAndExit(error) }
    }

    /// `name:path` → (name, path); host paths (absolute, relative with ./ or without a colon) → nil.
    static func containerPart(_ argument: String) -> (String, String)? {
        guard !argument.hasPrefix("/"), !argument.hasPrefix("."), let colon = argument.firstIndex(of: ":") else { return nil }
        return (String(argument[..<colon]), String(argument[argument.index(after: colon)...]))
    }

    private func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
}
