import Foundation
import Testing

/// The flags docker compose users reach for: --dry-run of up and down, ps --filter, logs
/// --since/--until/--no-log-prefix in time order, up --attach/--no-attach, run -p/-v and
/// down --rmi — through the CLI, with real containers in a fresh state root.
@Suite(.serialized) struct ComposeFlagsTests {
    let cli = ExampleStackTests()

    struct Stack {
        let state: String
        let project: String
        let name: String
        let environment: [String: String]
    }

    func withStack(_ compose: String, _ body: (Stack, ([String]) throws -> (status: Int32, output: String)) throws -> Void) throws {
        let binary = ExampleStackTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("build the CLI first (swift build --build-tests builds it): \(binary)")
            return
        }
        let state = "/tmp/scflags-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let name = "f\(UInt16.random(in: 0...9999))"
        let stack = Stack(state: state, project: state + "/project", name: name,
                          environment: ["SWIFTCOMPOSE_ROOT": state + "/root", "SWIFTCOMPOSE_RUN": state + "/run", "COMPOSE_PROJECT_NAME": name])
        let run = { (arguments: [String]) in try cli.run([binary] + arguments, in: stack.project, environment: stack.environment) }
        defer {
            _ = try? run(["down", "-t", "0", "-v"])
            try? FileManager.default.removeItem(atPath: state)
        }
        try FileManager.default.createDirectory(atPath: stack.project, withIntermediateDirectories: true)
        try compose.write(toFile: stack.project + "/compose.yaml", atomically: true, encoding: .utf8)
        _ = try cli.run([ExampleStackTests.root + "/scripts/make-busybox-image", binary], in: ExampleStackTests.root, environment: stack.environment)
        try body(stack, run)
    }

    @Test(.timeLimit(.minutes(2))) func dryRunPrintsThePlanAndTouchesNothing() throws {
        try withStack("""
            services:
              web: {image: busybox, init: true, command: sleep 300}
              db: {image: busybox, init: true, command: sleep 300, volumes: [data:/data]}
            volumes: {data: {}}
            """) { stack, run in
            let plan = try run(["--dry-run", "up", "-d"])
            #expect(plan.status == 0, "\(plan.output)")
            for line in ["Network \(stack.name)_default  Create", "Volume \(stack.name)_data  Create",
                         "Container \(stack.name)-web-1  Create", "Container \(stack.name)-db-1  Create"] {
                #expect(plan.output.contains("DRY-RUN MODE -  \(line)"), "\(line) missing in:\n\(plan.output)")
            }
            #expect(try run(["ps", "-a", "-q"]).output.isEmpty, "a dry run created containers")
            #expect(!(try run(["volume", "ls", "-q"]).output.contains("\(stack.name)_data")), "a dry run created a volume")

            #expect(try run(["up", "-d"]).status == 0)
            let again = try run(["--dry-run", "up", "-d"])
            #expect(again.output.contains("Container \(stack.name)-web-1  Running") && !again.output.contains("Create"), "\(again.output)")
            let forced = try run(["--dry-run", "up", "-d", "--force-recreate", "web"])
            #expect(forced.output.contains("Container \(stack.name)-web-1  Recreate"), "\(forced.output)")

            let down = try run(["--dry-run", "down", "-v"])
            for line in ["Container \(stack.name)-web-1  Remove", "Network \(stack.name)_default  Remove", "Volume \(stack.name)_data  Remove"] {
                #expect(down.output.contains(line), "\(line) missing in:\n\(down.output)")
            }
            #expect(try run(["ps", "-q"]).output.split(separator: "\n").count == 2, "a dry down removed containers")
            let refused = try run(["--dry-run", "stop"])
            #expect(refused.status != 0 && refused.output.contains("--dry-run is supported by up, down"), "\(refused.output)")
            #expect(try run(["ps", "-q"]).output.split(separator: "\n").count == 2, "a refused dry stop stopped containers")
        }
    }

    @Test(.timeLimit(.minutes(2))) func psFilterAndLogsInTimeOrderWithinATimeWindow() throws {
        try withStack("""
            services:
              early: {image: busybox, init: true, command: sh -c 'sleep 0.3; echo e1; sleep 0.6; echo e2; sleep 300'}
              late: {image: busybox, init: true, command: sh -c 'sleep 0.6; echo l1; sleep 300'}
              once: {image: busybox, command: 'true'}
            """) { stack, run in
            #expect(try run(["up", "-d"]).status == 0)
            usleep(1_500_000)
            let running = try run(["ps", "--filter", "status=running", "--services"])
            #expect(running.output == "early\nlate\n", "\(running.output)")
            let exited = try run(["ps", "--filter", "status=exited", "--services"])
            #expect(exited.output == "once\n", "\(exited.output)")
            let refused = try run(["ps", "--filter", "name=x"])
            #expect(refused.status != 0 && refused.output.contains("status=STATE"), "\(refused.output)")

            let merged = try run(["logs", "--no-log-prefix", "early", "late"])
            #expect(merged.output == "e1\nl1\ne2\n", "lines of several services in time order: \(merged.output)")
            let prefixed = try run(["logs", "--no-color", "late"])
            #expect(prefixed.output == "late-1  | l1\n", "\(prefixed.output)")
            #expect(try run(["logs", "--since", "2100-01-01T00:00:00Z"]).output.isEmpty)
            #expect(try run(["logs", "--until", "2000-01-01T00:00:00Z"]).output.isEmpty)
            #expect(try run(["logs", "--no-log-prefix", "--since", "10m", "late"]).output == "l1\n")
            #expect(try run(["logs", "--since", "yesterday"]).status != 0)
        }
    }

    @Test(.timeLimit(.minutes(2))) func attachedUpShowsOnlyTheServicesAskedFor() throws {
        try withStack("""
            services:
              shown: {image: busybox, command: sh -c 'echo from-shown; sleep 0.5'}
              hidden: {image: busybox, command: sh -c 'echo from-hidden; sleep 0.5'}
              quiet: {image: busybox, attach: false, command: sh -c 'echo from-quiet; sleep 0.5'}
            """) { _, run in
            let noAttach = try run(["up", "--no-attach", "hidden", "--timestamps"])
            #expect(noAttach.status == 0, "\(noAttach.output)")
            #expect(noAttach.output.contains("from-shown") && !noAttach.output.contains("from-hidden") && !noAttach.output.contains("from-quiet"),
                    "\(noAttach.output)")
            #expect(noAttach.output.range(of: #"shown-1 +\| \d{4}-\d\d-\d\dT"#, options: .regularExpression) != nil, "timestamps: \(noAttach.output)")
            let attach = try run(["up", "--attach", "quiet", "--no-log-prefix"])
            #expect(attach.output.contains("from-quiet\n") && !attach.output.contains("from-shown") && !attach.output.contains("| "),
                    "\(attach.output)")
        }
    }

    @Test(.timeLimit(.minutes(2))) func abortOnContainerFailureIgnoresCleanExits() throws {
        try withStack("""
            services:
              fine: {image: busybox, command: 'true'}
              broken: {image: busybox, command: sh -c 'sleep 1; exit 4'}
              server: {image: busybox, init: true, command: sleep 120}
            """) { _, run in
            let started = Date()
            let up = try run(["up", "--abort-on-container-failure"])
            #expect(up.status == 4, "the failed container's code: \(up.output)")
            #expect(up.output.contains("broken-1 exited with code 4"), "\(up.output)")
            #expect(Date().timeIntervalSince(started) < 60, "the server was stopped, not waited for")
            #expect(try run(["ps", "-q"]).output.isEmpty)
        }
    }

    @Test(.timeLimit(.minutes(2))) func runPublishesAndMountsAndDownRemovesBuiltImages() throws {
        try withStack("""
            services:
              web: {image: busybox, init: true, command: sleep 300}
              app: {build: ., init: true, command: sleep 300, volumes: [shared:/shared]}
            volumes: {shared: {}}
            """) { stack, run in
            try FileManager.default.createDirectory(atPath: stack.project + "/site", withIntermediateDirectories: true)
            try "hello from a bind\n".write(toFile: stack.project + "/site/index.html", atomically: true, encoding: .utf8)
            try "FROM busybox\nRUN echo built > /built\n".write(toFile: stack.project + "/Dockerfile", atomically: true, encoding: .utf8)
            let port = Int.random(in: 20000...29999)
            let started = try run(["run", "-d", "--name", "\(stack.name)-site", "-p", "127.0.0.1:\(port):80", "-v", "./site:/www:ro",
                                   "web", "httpd", "-f", "-p", "80", "-h", "/www"])
            #expect(started.status == 0, "\(started.output)")
            var body = ""
            for _ in 0..<50 {
                body = (try? cli.run(["/usr/bin/curl", "-s", "http://127.0.0.1:\(port)/"], in: stack.project, environment: [:]).output) ?? ""
                if !body.isEmpty { break }
                usleep(100_000)
            }
            #expect(body == "hello from a bind\n", "run -p and -v: \(body)")
            let named = try run(["run", "--rm", "-v", "shared:/data", "web", "sh", "-c", "echo kept > /data/f"])
            #expect(named.status == 0, "\(named.output)")
            #expect(try run(["run", "--rm", "-v", "shared:/data", "web", "cat", "/data/f"]).output.contains("kept"))
            let undeclared = try run(["run", "--rm", "-v", "nosuch:/data", "web", "true"])
            #expect(undeclared.status != 0 && undeclared.output.contains("not declared"), "\(undeclared.output)")
            let ownFlags = try run(["run", "--rm", "-T", "web", "echo", "-f", "-p", "x"])
            #expect(ownFlags.output == "-f -p x\n", "the one-off's own -f and -p are left alone: \(ownFlags.output)")
            let ownDryRun = try run(["run", "--rm", "-T", "web", "echo", "--dry-run"])
            #expect(ownDryRun.status == 0 && ownDryRun.output == "--dry-run\n", "the one-off's own --dry-run is its own: \(ownDryRun.output)")

            #expect(try run(["up", "-d"]).status == 0)
            #expect(try run(["image", "inspect", "\(stack.name)-app"]).status == 0)
            let ids = try run(["images", "-q"]).output.split(separator: "\n")
            #expect(ids.count == 2 && ids.allSatisfy { $0.hasPrefix("sha256:") }, "\(ids)")
            let down = try run(["down", "--rmi", "local", "-t", "0"])
            #expect(down.status == 0, "\(down.output)")
            #expect(try run(["image", "inspect", "\(stack.name)-app"]).status != 0, "the built image is removed")
            #expect(try run(["image", "inspect", "busybox"]).status == 0, "a named image stays with --rmi local")
            #expect(try run(["down", "--rmi", "some"]).status != 0)
        }
    }

    @Test(.timeLimit(.minutes(2))) func hostGatewayReachesAServerOnTheHost() throws {
        let port = Int.random(in: 30000...39999)
        let site = "/tmp/scflags-site-\(getpid())-\(port)"
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        try "served by the host\n".write(toFile: site + "/index.html", atomically: true, encoding: .utf8)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/bin/busybox")
        server.arguments = ["httpd", "-f", "-p", String(port), "-h", site]
        try server.run()
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            try? FileManager.default.removeItem(atPath: site)
        }
        try withStack("""
            services:
              app: {image: busybox, init: true, command: sleep 300, extra_hosts: ["host.docker.internal:host-gateway"]}
            """) { _, run in
            #expect(try run(["up", "-d"]).status == 0)
            let hosts = try run(["exec", "-T", "app", "cat", "/etc/hosts"]).output
            #expect(hosts.range(of: #"\d+\.\d+\.\d+\.\d+\thost\.docker\.internal"#, options: .regularExpression) != nil, "\(hosts)")
            let fetched = try run(["exec", "-T", "app", "wget", "-qO-", "http://host.docker.internal:\(port)/"])
            #expect(fetched.output == "served by the host\n", "\(fetched.output)")
        }
    }

    @Test(.timeLimit(.minutes(2))) func scaleExportAndCommitAServiceContainer() throws {
        try withStack("""
            services:
              web: {image: busybox, init: true, command: sh -c 'echo marked > /marker; sleep 300'}
            """) { stack, run in
            #expect(try run(["up", "-d"]).status == 0)
            let up = try run(["scale", "web=3"])
            #expect(up.status == 0, "\(up.output)")
            #expect(try run(["ps", "-q"]).output.split(separator: "\n").count == 3)
            #expect(try run(["scale", "web=1"]).status == 0)
            #expect(try run(["ps", "--format", "json"]).output.contains("\"Name\":\"\(stack.name)-web-1\""), "the lowest number stays")
            #expect(try run(["ps", "-q"]).output.split(separator: "\n").count == 1)

            let archive = stack.state + "/web.tar"
            #expect(try run(["export", "-o", archive, "web"]).status == 0)
            let listing = try cli.run(["/bin/tar", "-tf", archive], in: stack.project, environment: [:]).output
            #expect(listing.contains("marker") && listing.contains("bin/busybox"), "\(listing.prefix(300))")

            let committed = try run(["commit", "web", "\(stack.name)-snapshot:1"])
            #expect(committed.status == 0 && committed.output.hasPrefix("sha256:"), "\(committed.output)")
            let check = try run(["container", "run", "--rm", "\(stack.name)-snapshot:1", "cat", "/marker"])
            #expect(check.output == "marked\n", "\(check.output)")
            #expect(try run(["scale", "web"]).status != 0, "SERVICE=NUM is required")
        }
    }

    /// Attached `up`, interrupted: the first Ctrl-C stops the stack gracefully, the second
    /// kills what does not stop; the exit code is docker compose's 130.
    @Test(.timeLimit(.minutes(2))) func ctrlCStopsGracefullyAndASecondKills() throws {
        try withStack("""
            services:
              polite: {image: busybox, init: true, command: sh -c 'echo polite-up; sleep 300'}
              stubborn: {image: busybox, stop_grace_period: 90s, command: sh -c 'trap "" TERM INT; echo stubborn-up; while true; do sleep 1; done'}
            """) { stack, run in
            let up = Process()
            up.executableURL = URL(fileURLWithPath: ExampleStackTests.binary)
            up.arguments = ["up", "--no-color"]
            up.currentDirectoryURL = URL(fileURLWithPath: stack.project)
            up.environment = ProcessInfo.processInfo.environment.merging(stack.environment) { $1 }
            let output = Pipe()
            up.standardOutput = output
            up.standardError = output
            let collected = CollectedOutput(output.fileHandleForReading)
            try up.run()
            defer { if up.isRunning { kill(up.processIdentifier, SIGKILL) } }
            #expect(collected.waitFor("stubborn-up") && collected.waitFor("polite-up"), "\(collected.text)")

            let started = Date()
            kill(up.processIdentifier, SIGINT)
            #expect(collected.waitFor("Gracefully stopping"), "\(collected.text)")
            usleep(1_500_000)
            #expect(up.isRunning, "the stubborn container is still being stopped (90 s grace)")
            kill(up.processIdentifier, SIGINT)
            up.waitUntilExit()
            #expect(Date().timeIntervalSince(started) < 30, "the second Ctrl-C killed it")
            #expect(up.terminationStatus == 130, "\(collected.text)")
            #expect(try run(["ps", "-q"]).output.isEmpty, "nothing left running")
            #expect(try run(["ps", "-a", "-q"]).output.split(separator: "\n").count == 2, "stopped, not removed")
        }
    }
}

/// The output of a process, read as it comes, for tests that wait for a line.
final class CollectedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var collected = ""

    init(_ handle: FileHandle) {
        handle.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.collected += String(decoding: data, as: UTF8.self) }
        }
    }

    var text: String { lock.withLock { collected } }

    /// Waits up to 30 s for `needle` to appear.
    func waitFor(_ needle: String) -> Bool {
        for _ in 0..<300 {
            if text.contains(needle) { return true }
            usleep(100_000)
        }
        return false
    }
}
