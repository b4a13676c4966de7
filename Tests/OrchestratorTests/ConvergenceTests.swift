import EngineTestSupport
import Foundation
import SystemSupport
import Testing

/// The project lock and convergence: two `up` at once leave one consistent stack, and an
/// `up` killed with SIGKILL part way is completed by the next `up`; `down` then removes all.
@Suite(.serialized) struct ConvergenceTests {
    let cli = ExampleStackTests()

    @Test(.timeLimit(.minutes(3))) func concurrentUpsAndAKilledUpConverge() throws {
        let binary = ExampleStackTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("build the CLI first (swift build --build-tests builds it): \(binary)")
            return
        }
        let state = "/tmp/scconv-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let project = state + "/project"
        let name = "k\(UInt16.random(in: 0...9999))"
        let environment = ["SWIFTCOMPOSE_ROOT": state + "/root", "SWIFTCOMPOSE_RUN": state + "/run", "COMPOSE_PROJECT_NAME": name]
        defer {
            _ = try? cli.run([binary, "down", "-t", "0"], in: project, environment: environment)
            try? FileManager.default.removeItem(atPath: state)
        }
        try makeDirectories(project)
        let services = (1...8).map { "  s\($0): {image: busybox, init: true, command: sleep 300}\n" }.joined()
        try ("services:\n" + services).write(toFile: project + "/compose.yaml", atomically: true, encoding: .utf8)
        _ = try cli.run([ExampleStackTests.root + "/scripts/make-busybox-image", binary], in: ExampleStackTests.root, environment: environment)

        func start(_ arguments: [String]) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: project)
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        func running() throws -> [String] {
            try cli.run([binary, "ps", "-q"], in: project, environment: environment).output.split(separator: "\n").map(String.init)
        }

        // Two at once: the lock serializes them; one stack of 8, nothing twice.
        let first = try start(["up", "-d"]), second = try start(["up", "-d"])
        first.waitUntilExit()
        second.waitUntilExit()
        #expect(first.terminationStatus == 0 && second.terminationStatus == 0)
        #expect(try running().count == 8)
        #expect(try cli.run([binary, "ps", "-a", "-q"], in: project, environment: environment).output.split(separator: "\n").count == 8)

        // Killed part way through a recreation: the next up completes the job.
        #expect(try cli.run([binary, "down", "-t", "0"], in: project, environment: environment).status == 0)
        for delay: useconds_t in [150_000, 400_000] {
            let killed = try start(["up", "-d"])
            usleep(delay)
            kill(killed.processIdentifier, SIGKILL)
            killed.waitUntilExit()
            let again = try cli.run([binary, "up", "-d"], in: project, environment: environment)
            #expect(again.status == 0, "\(again.output)")
            #expect(try running().count == 8, "after a kill -9 at \(delay / 1000) ms")
            let down = try cli.run([binary, "down", "-t", "0"], in: project, environment: environment)
            #expect(down.status == 0, "\(down.output)")
            #expect(try cli.run([binary, "ps", "-a", "-q"], in: project, environment: environment).output.isEmpty)
        }
        // A kill during down: the next down removes what is left.
        #expect(try cli.run([binary, "up", "-d"], in: project, environment: environment).status == 0)
        let interrupted = try start(["down", "-t", "0"])
        usleep(100_000)
        kill(interrupted.processIdentifier, SIGKILL)
        interrupted.waitUntilExit()
        #expect(try cli.run([binary, "down", "-t", "0"], in: project, environment: environment).status == 0)
        #expect(try cli.run([binary, "ps", "-a", "-q"], in: project, environment: environment).output.isEmpty)
        let networks = try cli.run([binary, "network", "ls", "-q"], in: project, environment: environment).output
        #expect(!networks.contains(name), "\(networks)")
        let mounts = try MountTable.current()
        #expect(!mounts.contains(state + "/"), "a mount of the project is left: \(mounts.split(separator: "\n").filter { $0.contains(state) })")
    }
}
