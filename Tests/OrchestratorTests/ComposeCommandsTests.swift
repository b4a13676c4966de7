import Foundation
import SystemSupport
import Testing

/// cp, stats, events and wait through the CLI on a running project.
@Suite(.serialized) struct ComposeCommandsTests {
    let cli = ExampleStackTests()

    @Test(.timeLimit(.minutes(2))) func cpStatsEventsAndWait() throws {
        let binary = ExampleStackTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("build the CLI first (swift build --build-tests builds it): \(binary)")
            return
        }
        let state = "/tmp/sccmds-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let project = state + "/project"
        let environment = ["SWIFTCOMPOSE_ROOT": state + "/root", "SWIFTCOMPOSE_RUN": state + "/run",
                           "COMPOSE_PROJECT_NAME": "c\(UInt16.random(in: 0...9999))"]
        defer {
            _ = try? cli.run([binary, "down", "-t", "0"], in: project, environment: environment)
            try? FileManager.default.removeItem(atPath: state)
        }
        try makeDirectories(project)
        try """
            services:
              web: {image: busybox, init: true, command: sleep 300}
              job: {image: busybox, command: sh -c 'sleep 2; exit 3'}
            """.write(toFile: project + "/compose.yaml", atomically: true, encoding: .utf8)
        _ = try cli.run([ExampleStackTests.root + "/scripts/make-busybox-image", binary], in: ExampleStackTests.root, environment: environment)
        let up = try cli.run([binary, "up", "-d"], in: project, environment: environment)
        try #require(up.status == 0, "\(up.output)")

        // cp both ways.
        try "copied in\n".write(toFile: project + "/note.txt", atomically: true, encoding: .utf8)
        #expect(try cli.run([binary, "cp", "note.txt", "web:/tmp/note.txt"], in: project, environment: environment).status == 0)
        #expect(try cli.run([binary, "exec", "web", "cat", "/tmp/note.txt"], in: project, environment: environment).output == "copied in\n")
        let out = try cli.run([binary, "cp", "web:/etc/passwd", project + "/passwd"], in: project, environment: environment)
        #expect(out.status == 0, "\(out.output)")
        #expect((try? String(contentsOfFile: project + "/passwd", encoding: .utf8))?.hasPrefix("root:") == true)
        #expect(try cli.run([binary, "cp", "note.txt", "other.txt"], in: project, environment: environment).status != 0)

        // stats: one JSON line per running container.
        let stats = try cli.run([binary, "stats", "--no-stream", "--format", "json", "web"], in: project, environment: environment)
        #expect(stats.status == 0 && stats.output.contains("\"Name\":\"\(environment["COMPOSE_PROJECT_NAME"]!)-web-1\""), "\(stats.output)")

        // events: a restart of web is a die and a start.
        let events = Process()
        events.executableURL = URL(fileURLWithPath: binary)
        events.arguments = ["events", "--json", "web"]
        events.currentDirectoryURL = URL(fileURLWithPath: project)
        events.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        events.standardOutput = pipe
        try events.run()
        usleep(500_000)
        #expect(try cli.run([binary, "restart", "-t", "1", "web"], in: project, environment: environment).status == 0)
        usleep(500_000)
        events.terminate()
        events.waitUntilExit()
        let streamed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(streamed.contains("\"action\":\"die\"") && streamed.contains("\"action\":\"start\""), "\(streamed)")

        // wait: the job's exit code.
        let wait = try cli.run([binary, "wait", "job"], in: project, environment: environment)
        #expect(wait.status == 3, "\(wait.output)")
        #expect(wait.output.contains("-job-1 3"), "\(wait.output)")
    }
}
