import Foundation
import Monitor
import SystemSupport
import Testing
@testable import Engine

/// The monitor's work: exec, restart policies, healthchecks, pause, and the small commands.
@Suite("RuntimeSupervision", .serialized)
struct RuntimeSupervisionTests {
    func startSleeper(_ bed: RuntimeTestBed, name: String, _ configure: (inout ContainerSpec) -> Void = { _ in }) async throws -> ContainerRecord {
        var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "while true; do sleep 0.1; done"])
        spec.name = name
        configure(&spec)
        let record = try await bed.service.create(spec, image: bed.busybox())
        try await bed.service.start(record.id)
        return record
    }

    @Test func execWithAndWithoutATerminal() async throws {
        try await withRuntimeBed { bed in
            _ = try await startSleeper(bed, name: "exec-target")
            var plain = ExecOptions(command: ["sh", "-c", "echo out; echo err >&2; id -u; [ -t 0 ] && echo tty || echo notty; exit 4"])
            plain.user = "app"
            let (code, out, err) = bed.collect(try await bed.service.exec("exec-target", options: plain))
            #expect(code == 4)
            #expect(out == "out\n1000\nnotty\n")
            #expect(err == "err\n")

            var tty = ExecOptions(command: ["sh", "-c", "[ -t 0 ] && echo tty; tty; read line; echo got:$line"])
            tty.tty = true
            tty.interactive = true
            let session = try await bed.service.exec("exec-target", options: tty)
            session.send(stdin: Array("hello\n".utf8))
            let (ttyCode, ttyOut, _) = bed.collect(session)
            #expect(ttyCode == 0)
            #expect(ttyOut.contains("tty\r\n"))
            #expect(ttyOut.contains("/dev/pts/"))  // a terminal of the container's own devpts
            #expect(ttyOut.contains("got:hello\r\n"))

            var piped = ExecOptions(command: ["cat"])
            piped.interactive = true
            let catSession = try await bed.service.exec("exec-target", options: piped)
            catSession.send(stdin: Array("abc".utf8))
            catSession.closeStdin()
            let (catCode, catOut, _) = bed.collect(catSession)
            #expect(catCode == 0 && catOut == "abc")

            let missing = bed.collect(try await bed.service.exec("exec-target", options: ExecOptions(command: ["nope"])))
            #expect(missing.0 == 127)
            // exec'd processes do not end the container; the logs hold only the main process's output.
            #expect(try await bed.service.inspect("exec-target").status == .running)
        }
    }

    @Test func restartPolicies() async throws {
        try await withRuntimeBed { bed in
            func make(_ name: String, _ script: String, _ policy: ContainerSpec.RestartPolicy) async throws {
                var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", script])
                spec.name = name
                spec.restartPolicy = policy
                _ = try await bed.service.create(spec, image: try bed.busybox())
                try await bed.service.start(name)
            }
            try await make("no", "exit 1", .init(name: "no"))
            try await make("onfail", "echo run; exit 2", .init(name: "on-failure", maximumRetryCount: 2))
            try await make("onfail-ok", "exit 0", .init(name: "on-failure"))
            try await make("always", "echo run; exit 0", .init(name: "always"))
            try await make("unless", "echo run; sleep 0.05; exit 3", .init(name: "unless-stopped"))

            #expect(try await eventually(15) { try await bed.service.inspect("onfail").status == .exited })
            let onfail = try await bed.service.inspect("onfail")
            #expect(onfail.run.restartCount == 2)
            #expect(onfail.run.exitCode == 2)
            #expect(await collectLogs(bed, "onfail").count == 3)
            #expect(try await bed.service.inspect("no").run.restartCount == 0)
            #expect(try await bed.service.inspect("onfail-ok").run.restartCount == 0)
            for name in ["always", "unless"] {
                #expect(try await eventually(15) { try await bed.service.inspect(name).run.restartCount >= 3 })
                try await bed.service.stop(name, timeout: 1)
                let stopped = try await bed.service.inspect(name)
                #expect(stopped.status == .exited)
                let count = stopped.run.restartCount
                try await Task.sleep(nanoseconds: 1_000_000_000)
                #expect(try await bed.service.inspect(name).run.restartCount == count)
            }
        }
    }

    @Test func healthcheckGoesHealthyThenUnhealthy() async throws {
        try await withRuntimeBed { bed in
            let record = try await startSleeper(bed, name: "checked") { spec in
                spec.command = ["sh", "-c", "sleep 0.5; touch /tmp/ok; while true; do sleep 0.1; done"]
                var check = ContainerSpec.HealthcheckSpec(test: ["CMD-SHELL", "test -f /tmp/ok && echo fine"])
                check.interval = 200_000_000
                check.timeout = 2_000_000_000
                check.retries = 2
                spec.healthcheck = check
            }
            #expect(try await bed.service.inspect(record.id).run.health == "starting")
            #expect(try await eventually(10) { try await bed.service.inspect(record.id).run.health == "healthy" })
            #expect(try await bed.service.inspect(record.id).run.healthLog.last?.output == "fine\n")
            _ = bed.collect(try await bed.service.exec(record.id, options: ExecOptions(command: ["rm", "/tmp/ok"])))
            #expect(try await eventually(10) { try await bed.service.inspect(record.id).run.health == "unhealthy" })
            let info = try await bed.service.inspect(record.id)
            #expect(info.run.failingStreak >= 2)
            #expect(info.statusText(now: Timestamp.now()).hasSuffix("(unhealthy)"))
        }
    }

    @Test func pauseStatsTopRenameAndPrune() async throws {
        try await withRuntimeBed { bed in
            let record = try await startSleeper(bed, name: "paused") { $0.resources.memory = 64 << 20 }
            try await bed.service.pause("paused")
            #expect(try await bed.service.inspect(record.id).status == .paused)
            let before = await collectLogs(bed, "paused").count
            await #expect(throws: EngineError.self) { try await bed.service.exec("paused", options: ExecOptions(command: ["true"])) }
            try await bed.service.unpause("paused")
            #expect(try await bed.service.inspect(record.id).status == .running)
            #expect(before == 0)

            let stats = try await bed.service.stats("paused")
            #expect(stats.memoryLimit == 64 << 20)
            #expect(stats.memoryUsage > 0)
            #expect(stats.pids >= 1)
            let processes = try await bed.service.top("paused")
            #expect(processes.contains { $0.command.hasPrefix("sh -c while true") })

            try await bed.service.rename("paused", to: "renamed")
            #expect(try await bed.service.inspect("renamed").id == record.id)
            await #expect(throws: EngineError.self) { try await bed.service.inspect("paused") }

            var done = ContainerSpec(image: "busybox", command: ["true"])
            done.labels = ["tier": "x"]
            let finished = try await bed.run(done)
            let pruned = try await bed.service.prune(labels: ["tier": "x"])
            #expect(pruned == [finished.id])
            #expect(try await bed.service.list().map(\.id) == [record.id])
        }
    }
}

@Suite("RuntimeCopy", .serialized)
struct RuntimeCopyTests {
    @Test func copyBothWaysStaysInsideTheContainer() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "mkdir -p /data/sub; echo inner > /data/sub/f; ln -s / /data/root-link; while true; do sleep 0.1; done"])
            spec.name = "files"
            let record = try await bed.service.create(spec, image: bed.busybox())
            try await bed.service.start(record.id)
            #expect(try await eventually { bed.collect(try await bed.service.exec("files", options: ExecOptions(command: ["test", "-f", "/data/sub/f"]))).0 == 0 })

            let out = bed.directory + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try await bed.service.copyOut("files", from: "/data/sub", to: out)
            #expect(try String(contentsOfFile: out + "/sub/f", encoding: .utf8) == "inner\n")
            try await bed.service.copyOut("files", from: "/data/sub/f", to: out + "/renamed")
            #expect(try String(contentsOfFile: out + "/renamed", encoding: .utf8) == "inner\n")

            let source = bed.directory + "/in.txt"
            try "from host\n".write(toFile: source, atomically: true, encoding: .utf8)
            try await bed.service.copyIn("files", from: source, to: "/data")
            try await bed.service.copyIn("files", from: source, to: "/data/other.txt")
            // Through a symlink to / inside the container: lands in the container's /tmp, not the host's.
            let unique = "scrt-cp-\(UInt32.random(in: 0...UInt32.max))"
            try await bed.service.copyIn("files", from: source, to: "/data/root-link/tmp/\(unique)")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/\(unique)"))
            let check = bed.collect(try await bed.service.exec("files", options: ExecOptions(command: ["cat", "/data/in.txt", "/data/other.txt", "/tmp/\(unique)"])))
            #expect(check.1 == "from host\nfrom host\nfrom host\n")
            await #expect(throws: EngineError.self) { try await bed.service.copyOut("files", from: "/nope", to: out) }
        }
    }
}

@Suite("RuntimeWatch", .serialized)
struct RuntimeWatchTests {
    @Test func watchDeliversHealthAndExitWithoutPolling() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "sleep 0.6; exit 5"])
            var check = ContainerSpec.HealthcheckSpec(test: ["CMD", "true"])
            check.interval = 100_000_000
            spec.healthcheck = check
            let record = try await bed.service.create(spec, image: bed.busybox())
            try await bed.service.start(record.id)
            var seen: [String] = []
            for await state in try await bed.service.watch(record.id) {
                seen.append("\(state.status.rawValue)/\(state.health ?? "-")")
                if state.status == .exited { break }
            }
            #expect(seen.contains("running/healthy"))
            #expect(seen.last == "exited/healthy")
            #expect(try await bed.service.inspect(record.id).run.exitCode == 5)
        }
    }
}
