import ArgumentParser
import ComposeModel
import Foundation
import Kube

struct KubeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube",
        abstract: "The project as Kubernetes manifests.",
        subcommands: [KubeGenerateCommand.self, KubeApplyCommand.self]
    )
}

struct KubeMappingOptions: ParsableArguments {
    @Option(name: .long, help: "Named volumes as: pvc (Deployment + PersistentVolumeClaim), statefulset, or emptydir.")
    var volumes: String = "pvc"
    @Option(name: .long, help: "Published ports as: nodeport or loadbalancer Services.")
    var publish: String = "nodeport"
    @Flag(name: .customLong("allow-hostpath"), help: "Turn bind mounts into hostPath volumes instead of refusing them.")
    var allowHostPath = false

    func options(services: [String]) throws -> KubeOptions {
        var options = KubeOptions()
        guard let volumeMode = KubeOptions.VolumeMode(rawValue: volumes) else { throw ValidationError("--volumes must be pvc, statefulset or emptydir") }
        guard let publishMode = KubeOptions.PublishMode(rawValue: publish) else { throw ValidationError("--publish must be nodeport or loadbalancer") }
        options.volumes = volumeMode
        options.publish = publishMode
        options.allowHostPath = allowHostPath
        options.services = services
        return options
    }
}

func generateManifests(_ global: GlobalOptions, _ mapping: KubeMappingOptions, services: [String]) throws -> KubeGenerator.Output {
    let project = try global.loadProject()
    let output: KubeGenerator.Output
    do { output = try KubeGenerator.generate(project, try mapping.options(services: services)) } catch let error as KubeError {
        throw CommandFailure(error.message)
    }
    for warning in output.warnings { FileHandle.standardError.write(Data("WARN \(warning)\n".utf8)) }
    return output
}

struct KubeGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Write the manifests: one YAML stream to stdout, or a file per object with -o.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var mapping: KubeMappingOptions
    @Option(name: [.customShort("o"), .long], help: "Write one file per object into this directory.") var output: String?
    @Argument(help: "Only these services (and what they depend on).") var services: [String] = []

    func run() throws {
        let manifests = try generateManifests(global, mapping, services: services)
        guard let output else {
            print(manifests.stream, terminator: "")
            return
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        for object in manifests.objects {
            try object.yaml.write(toFile: "\(output)/\(object.kind.lowercased())-\(object.name).yaml", atomically: true, encoding: .utf8)
        }
    }
}

struct KubeApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "Generate the manifests and pass them to `kubectl apply -f -`.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var mapping: KubeMappingOptions
    @Option(name: .long, help: "The kubectl context.") var context: String?
    @Option(name: [.customShort("n"), .long], help: "The namespace.") var namespace: String?
    @Argument(help: "Only these services (and what they depend on).") var services: [String] = []

    func run() throws {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/kubectl" }
        guard let kubectl = paths.first(where: FileManager.default.isExecutableFile) else {
            throw CommandFailure("kubectl is not installed: install it, or write the manifests with `swiftcompose kube generate -o DIR`")
        }
        let manifests = try generateManifests(global, mapping, services: services)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kubectl)
        process.arguments = (context.map { ["--context", $0] } ?? []) + (namespace.map { ["--namespace", $0] } ?? []) + ["apply", "-f", "-"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(manifests.stream.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw CommandFailure("kubectl apply failed", exitCode: process.terminationStatus) }
    }
}
