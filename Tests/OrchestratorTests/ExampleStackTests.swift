import Foundation
import SystemSupport
import Testing

/// The examples come up with the real CLI (`up -d --wait`), pass their own smoke check,
/// and `down -v` leaves nothing — in a temporary state root, on a free port.
@Suite(.serialized) struct ExampleStackTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let binary = root + "/.build/debug/swiftcompose"

    /// A process for `arguments` in `directory`, with this environment plus `environment`.
    static func process(_ arguments: [String], in directory: String, environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        return process
    }

    @discardableResult
    func run(_ arguments: [String], in directory: String, environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Self.process(arguments, in: directory, environment: environment)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// An example stack in a fresh state root: its base images made by the repository's
    /// scripts, `up -d --wait`, its smoke check, `extra` checks, then `down -v` leaving nothing.
    func exercise(_ name: String, debian: Bool = false, _ extra: (_ run: ([String]) throws -> (status: Int32, output: String)) throws -> Void = { _ in }) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            Issue.record("build the CLI first (swift build --build-tests builds it): \(Self.binary)")
            return
        }
        let state = "/tmp/scexample-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let port = String(20000 + Int(UInt16.random(in: 0...9999)))
        // The Debian base goes through a registry of its own (a free port), so builds pull it.
        let registryPort = String(20000 + Int(UInt16.random(in: 0...9999)))
        let environment = ["SWIFTCOMPOSE_ROOT": state, "SWIFTCOMPOSE_RUN": state + "/run", "SWIFTCOMPOSE": Self.binary,
                           "COMPOSE_PROJECT_NAME": "\(name)\(port)", "WEB_PORT": port, "COUNTER_PORT": port, "NOTES_PORT": port,
                           "DEBIAN_IMAGE": "127.0.0.1:\(registryPort)/debian:bookworm"]
        let example = Self.root + "/examples/" + name
        defer {
            _ = try? run([Self.binary, "down", "-v", "-t", "0"], in: example, environment: environment)
            if debian { _ = try? run([Self.root + "/scripts/local-registry", "stop", registryPort], in: Self.root, environment: environment) }
            try? FileManager.default.removeItem(atPath: state)
        }
        var scripts = [["make-busybox-image", Self.binary]]
        if debian {
            scripts.append(["local-registry", "start", registryPort, state + "/registry"])
            scripts.append(["make-debian-image", "--push", "127.0.0.1:\(registryPort)", Self.binary])
        }
        for script in scripts {
            let made = try run([Self.root + "/scripts/" + script[0]] + script.dropFirst(), in: Self.root, environment: environment)
            try #require(made.status == 0, "\(script[0]): \(made.output)")
        }
        let up = try run([Self.binary, "up", "-d", "--wait", "--wait-timeout", "120"], in: example, environment: environment)
        try #require(up.status == 0, "\(up.output)")
        if debian { #expect(up.output.contains("debian:bookworm") && up.output.contains("Already exists"), "the base was pulled: \(up.output)") }
        let smoke = try run([example + "/smoke"], in: example, environment: environment)
        #expect(smoke.status == 0, "\(smoke.output)")
        try extra { arguments in try run(arguments.first == "smoke" ? [example + "/smoke"] + arguments.dropFirst() : [Self.binary] + arguments,
                                          in: example, environment: environment) }
        let down = try run([Self.binary, "down", "-v", "-t", "5"], in: example, environment: environment)
        #expect(down.status == 0, "\(down.output)")
        let after = try run([Self.binary, "ps", "-a", "-q"], in: example, environment: environment)
        #expect(after.output.isEmpty, "\(after.output)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: state + "/run/netns")) ?? []).isEmpty)
    }

    @Test(.timeLimit(.minutes(3))) func helloStaticSite() throws {
        try exercise("hello") { run in
            let ps = try run(["ps", "--format", "json"])
            #expect(ps.output.split(separator: "\n").count == 2, "\(ps.output)")
        }
    }

    @Test(.timeLimit(.minutes(3))) func scaledServiceSpreadsRequests() throws {
        try exercise("scaled")
    }

    @Test(.timeLimit(.minutes(8))) func counterWebRedisWorkerBuiltFromDebian() throws {
        try exercise("counter", debian: true)
    }

    @Test(.timeLimit(.minutes(8))) func notesKeepTheirDataAcrossDownAndUp() throws {
        try exercise("notes", debian: true) { run in
            let posted = try run(["smoke"])
            let note = try #require(posted.output.split(separator: "(").last?.dropLast(2)).description
            #expect(try run(["down", "-t", "5"]).status == 0)
            let up = try run(["up", "-d", "--wait", "--wait-timeout", "120"])
            try #require(up.status == 0, "\(up.output)")
            let kept = try run(["smoke", note])
            #expect(kept.status == 0, "\(kept.output)")
        }
    }

    @Test(.timeLimit(.minutes(2))) func attachedUpExitsWithTheCodeOfTheServiceItWasTold() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { return }
        let state = "/tmp/scattached-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let project = state + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let environment = ["SWIFTCOMPOSE_ROOT": state, "SWIFTCOMPOSE_RUN": state + "/run", "COMPOSE_PROJECT_NAME": "attached\(getpid())"]
        defer {
            _ = try? run([Self.binary, "down", "-t", "0"], in: project, environment: environment)
            try? FileManager.default.removeItem(atPath: state)
        }
        try """
            services:
              server: {image: busybox, init: true, command: sleep 60}
              tests: {image: busybox, command: sh -c 'echo 2 failures; exit 2'}
            """.write(toFile: project + "/compose.yaml", atomically: true, encoding: .utf8)
        _ = try run([Self.root + "/scripts/make-busybox-image", Self.binary], in: Self.root, environment: environment)
        let up = try run([Self.binary, "up", "--exit-code-from", "tests"], in: project, environment: environment)
        #expect(up.status == 2, "\(up.output)")
        #expect(up.output.contains("tests-1   | 2 failures"), "\(up.output)")
        let running = try run([Self.binary, "ps", "-q"], in: project, environment: environment)
        #expect(running.output.isEmpty, "the other containers were stopped: \(running.output)")
    }
}
