import ArgumentParser
import ComposeModel
import Engine
import Foundation
import Orchestrator

struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Show the processes of the project's containers.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only these services.") var services: [String] = []

    func run() async throws {
        let project = try global.loadProject()
        let orchestrator = global.orchestrator
        let containers: [ContainerInfo]
        do { containers = try await orchestrator.ps(projectName: project.name, all: false, services: services) } catch { throw error.failure }
        for info in containers {
            print(info.name)
            print("UID    PID    PPID   CMD")
            let processes = (try? await orchestrator.containers.top(info.id)) ?? []
            for process in processes {
                print(String(process.uid).padding(toLength: 7, withPad: " ", startingAt: 0)
                      + String(process.pid).padding(toLength: 7, withPad: " ", startingAt: 0)
                      + String(process.ppid).padding(toLength: 7, withPad: " ", startingAt: 0) + process.command)
            }
            print("")
        }
    }
}

struct PortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "Print the host address a service's port is published on.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "tcp or udp.") var `protocol`: String = "tcp"
    @Option(name: .long, help: "Which replica (default 1).") var index: Int = 1
    @Argument(help: "The service.") var service: String
    @Argument(help: "The container port.") var port: UInt16

    func run() async throws {
        let project = try global.loadProject()
        let container: ContainerInfo
        do { container = try await global.orchestrator.container(of: project.name, service: service, index: index) } catch { throw error.failure }
        guard let published = container.record.spec.publishedPorts.first(where: { $0.containerPort == port && $0.proto == `protocol` }) else {
            throw CommandFailure("no port \(port)/\(`protocol`) published for service \(service)")
        }
        print(published.hostEndpoint)
    }
}

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List the images the project's containers use.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Output format: table or json.") var format: String = "table"
    @Flag(name: [.customShort("q"), .long], help: "Only show image IDs.") var quiet = false

    func run() async throws {
        let project = try global.loadProject()
        let containers: [ContainerInfo]
        do { containers = try await global.orchestrator.ps(projectName: project.name, all: true) } catch { throw error.failure }
        if quiet {
            Set(containers.map(\.record.imageID)).sorted().forEach { print($0) }
            return
        }
        var rows = [["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID"]]
        var objects: [[String: String]] = []
        for info in containers {
            let reference = info.record.imageReference
            let parts = reference.split(separator: ":", maxSplits: 1).map(String.init)
            let id = String(info.record.imageID.dropFirst("sha256:".count).prefix(12))
            rows.append([info.name, parts[0], parts.count > 1 ? parts[1] : "latest", id])
            objects.append(["ContainerName": info.name, "Repository": parts[0], "Tag": parts.count > 1 ? parts[1] : "latest", "ID": id])
        }
        if format == "json" {
            print(String(decoding: try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows { print(row.enumerated().map { $1.padding(toLength: widths[$0] + 3, withPad: " ", startingAt: 0) }.joined().trimmingCharacters(in: .whitespaces)) }
    }
}

struct LsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the compose projects on this engine.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("a"), .long], help: "Show stopped projects too.") var all = false
    @Flag(name: [.customShort("q"), .long], help: "Only show project names.") var quiet = false
    @Option(name: .long, help: "Output format: table or json.") var format: String = "table"

    func run() async throws {
        let projects: [(name: String, running: Int, total: Int, configFiles: String)]
        do { projects = try await global.orchestrator.projects().filter { all || $0.running > 0 } } catch { throw error.failure }
        if quiet { projects.forEach { print($0.name) }; return }
        func status(_ p: (name: String, running: Int, total: Int, configFiles: String)) -> String {
            p.running == p.total ? "running(\(p.running))" : p.running == 0 ? "exited(\(p.total))" : "running(\(p.running)), exited(\(p.total - p.running))"
        }
        if format == "json" {
            let objects = projects.map { ["Name": $0.name, "Status": status($0), "ConfigFiles": $0.configFiles] }
            print(String(decoding: try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        var rows = [["NAME", "STATUS", "CONFIG FILES"]]
        rows += projects.map { [$0.name, status($0), $0.configFiles] }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows { print(row.enumerated().map { $1.padding(toLength: widths[$0] + 3, withPad: " ", startingAt: 0) }.joined().trimmingCharacters(in: .whitespaces)) }
    }
}
