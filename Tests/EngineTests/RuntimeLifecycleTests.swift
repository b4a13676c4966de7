import CRuntime
import EngineTestSupport
import Foundation
import Monitor
import SystemSupport
import Testing
@testable import Engine

@Suite("RuntimeLifecycle", .serialized)
struct RuntimeLifecycleTests {
    @Test func echoRunsAsPidOneWithItsOwnHostname() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "echo pid=$$; hostname; echo oops >&2; exit 3"])
            spec.hostname = "box1"
            let result = try await bed.run(spec)
            #expect(result.code == 3)
            #expect(result.out == "pid=1\nbox1\n")
            #expect(result.err == "oops\n")
            let info = try await bed.service.inspect(result.id)
            #expect(info.status == .exited)
            #expect(info.run.exitCode == 3)
        }
    }

    @Test func startFailuresCarryDockersExitCodesAndOneLine() async throws {
        try await withRuntimeBed { bed in
            let missing = try await bed.run(ContainerSpec(image: "busybox", command: ["/app/run"]))
            #expect(missing.code == 127)
            #expect(missing.err == #"exec: "/app/run": no such file or directory"#)
            let notInPath = try await bed.run(ContainerSpec(image: "busybox", command: ["nosuchcommand"]))
            #expect(notInPath.code == 127)
            #expect(notInPath.err == #"exec: "nosuchcommand": executable file not found in $PATH"#)
            let notExecutable = try await bed.run(ContainerSpec(image: "busybox", command: ["/etc/passwd"]))
            #expect(notExecutable.code == 126)
            #expect(notExecutable.err == #"exec: "/etc/passwd": permission denied"#)
            // Detached start reports the same failure as an error with the exit status.
            let record = try await bed.service.create(ContainerSpec(image: "busybox", command: ["/app/run"]), image: bed.busybox())
            await #expect(throws: EngineError.self) { try await bed.service.start(record.id) }
            #expect(try await bed.service.inspect(record.id).run.exitCode == 127)
        }
    }

    @Test func detachedContainerLogsStopsAndIsRemovedWithoutLeftovers() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo hello; sleep 0.2; echo warn >&2; while true; do sleep 0.1; done"])
            spec.name = "web"
            spec.labels = ["com.example.role": "test"]
            let record = try await bed.service.create(spec, image: bed.busybox())
            try await bed.service.start("web")
            #expect(try await eventually { try await bed.service.list(all: false).contains { $0.id == record.id && $0.status == .running } })
            #expect(try await eventually { await collectLogs(bed, "web").count == 2 })
            let logs = await collectLogs(bed, "web")
            #expect(logs.map(\.text) == ["hello\n", "warn\n"])
            #expect(logs.map(\.stream) == ["stdout", "stderr"])
            // The json-file format on disk, with nanosecond times.
            let raw = try String(contentsOfFile: ContainerPaths(state: bed.state, id: record.id).log, encoding: .utf8)
            #expect(raw.hasPrefix(#"{"log":"hello\n","stream":"stdout","time":"20"#))

            let info = try await bed.service.inspect(record.id)
            let pid = info.run.pid
            let monitor = info.run.monitorPid
            #expect(kill(pid, 0) == 0)
            try await bed.service.stop("web", timeout: 5)
            let stopped = try await bed.service.inspect("web")
            #expect(stopped.status == .exited)
            #expect(stopped.run.exitCode == 0)
            #expect(await collectLogs(bed, "web").last?.text == "bye\n")
            #expect(try await bed.service.wait("web") == 0)

            let cgroups = CgroupManager(hierarchy: CgroupHierarchy.detect(), id: record.id).directories
            try await bed.service.remove("web")
            #expect(cgroups.allSatisfy { access($0, F_OK) != 0 })
            #expect(access(ContainerPaths(state: bed.state, id: record.id).directory, F_OK) != 0)
            #expect(access(ContainerPaths(state: bed.state, id: record.id).controlSocket, F_OK) != 0)
            #expect(kill(pid, 0) != 0)
            #expect(try await eventually { kill(monitor, 0) != 0 })
            #expect(!(try MountTable.current()).contains(record.id))
            #expect(try await bed.service.list(all: true).isEmpty)
        }
    }

    @Test func forcedRemoveKillsARunningContainer() async throws {
        try await withRuntimeBed { bed in
            let record = try await bed.service.create(ContainerSpec(image: "busybox", command: ["sleep", "100"]), image: bed.busybox())
            try await bed.service.start(record.id)
            let pid = try await bed.service.inspect(record.id).run.pid
            await #expect(throws: EngineError.self) { try await bed.service.remove(record.id) }
            try await bed.service.remove(record.id, force: true)
            #expect(kill(pid, 0) != 0)
            #expect(try await bed.service.list().isEmpty)
        }
    }

    @Test func killingTheCLIWithSigkillLeavesTheContainerRunning() async throws {
        try await withRuntimeBed { bed in
            _ = try bed.busybox()  // imported into the bed's store
            let cli = URL(fileURLWithPath: PendingMonitor.executable()).deletingLastPathComponent().appendingPathComponent("swiftcompose").path
            let environment = ["SWIFTCOMPOSE_ROOT=\(bed.state.root)", "SWIFTCOMPOSE_RUN=\(bed.state.run)"]
            let cliPid = try spawnProcess([cli, "container", "run", "--name", "survivor", "busybox", "sh", "-c", "echo up; sleep 100"],
                                          environment: environment, errors: bed.directory + "/cli.err")
            let appeared = try await eventually(20) { try await bed.service.list(all: false).contains { $0.name == "survivor" } }
            #expect(appeared, "\((try? String(contentsOfFile: bed.directory + "/cli.err", encoding: .utf8)) ?? "")")
            kill(cliPid, SIGKILL)
            var status: Int32 = 0
            waitpid(cliPid, &status, 0)
            try await Task.sleep(nanoseconds: 200_000_000)
            let listed = try await bed.service.list(all: false)
            #expect(listed.first { $0.name == "survivor" }?.status == .running)
            #expect(await collectLogs(bed, "survivor").map(\.text) == ["up\n"])
            try await bed.service.kill("survivor")
            #expect(try await bed.service.wait("survivor") == 137)
        }
    }

    @Test func aDeadMonitorIsReported() async throws {
        try await withRuntimeBed { bed in
            let record = try await bed.service.create(ContainerSpec(image: "busybox", command: ["sleep", "100"]), image: bed.busybox())
            try await bed.service.start(record.id)
            let info = try await bed.service.inspect(record.id)
            kill(info.run.monitorPid, SIGKILL)
            #expect(try await eventually {
                let now = try await bed.service.inspect(record.id)
                return now.status == .dead && now.monitorLost
            })
            kill(info.run.pid, SIGKILL)
        }
    }
}

func collectLogs(_ bed: RuntimeTestBed, _ name: String) async -> [LogEntry] {
    guard let stream = try? await bed.service.logs(name) else { return [] }
    var result: [LogEntry] = []
    for await entry in stream { result.append(entry) }
    return result
}

/// posix_spawn with output to /dev/null; the caller reaps the pid.
func spawnProcess(_ arguments: [String], environment: [String], errors: String = "/dev/null") throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
    guard result == 0 else { throw SystemCallError("posix_spawn", arguments[0], errno: result) }
    return pid
}

/// Names are claimed through the name index (one readlink, not a read of every record).
@Suite("RuntimeNames", .serialized)
struct RuntimeNameTests {
    @Test func aNameIsTakenOnceFreedByRenameAndRemoveAndIndexedFromOldStateRoots() async throws {
        try await withRuntimeBed { bed in
            func create(_ name: String?) async throws -> ContainerRecord {
                var spec = ContainerSpec(image: "busybox", command: ["true"])
                spec.name = name
                return try await bed.service.create(spec, image: bed.busybox())
            }
            let web = try await create("web")
            do {
                _ = try await create("web")
                Issue.record("a name was given twice")
            } catch let error as EngineError {
                #expect(error.code == .conflict && error.message.contains("already in use by container \"\(web.id)\""), "\(error.message)")
            }
            #expect(try await bed.service.inspect("/web").id == web.id)

            try await bed.service.rename("web", to: "api")
            #expect(try await bed.service.inspect("api").id == web.id)
            let second = try await create("web")
            await #expect(throws: EngineError.self) { try await bed.service.rename("api", to: "web") }
            try await bed.service.remove(second.id)
            _ = try await create("web")

            // A state root from before the index: the index is built from the records first.
            let store = ContainerStore(state: bed.state)
            _ = cr_remove_tree(store.namesDirectory)
            await #expect(throws: EngineError.self) { try await create("api") }
            #expect(try await bed.service.inspect("api").id == web.id)
            // An entry whose record is gone is stale, and the name free.
            #expect(symlink(String(repeating: "c", count: 64), store.nameEntry("ghost")) == 0)
            #expect(try await create("ghost").name == "ghost")
            let generated = try await create(nil)
            #expect(try await bed.service.inspect(generated.name).id == generated.id)

            // One writable layer serves one container.
            let image = try bed.busybox()
            var spec = ContainerSpec(image: "busybox", command: ["true"])
            _ = try await bed.service.create(spec, image: image)
            spec.name = "sharer"
            do {
                _ = try await bed.service.create(spec, image: image)
                Issue.record("two containers were given one writable layer")
            } catch let error as EngineError {
                #expect(error.message.contains("already belongs to container"), "\(error.message)")
            }
            #expect(store.holder(ofName: "sharer") == nil)
        }
    }
}

@Suite("RuntimeAutoRemove", .serialized)
struct RuntimeAutoRemoveTests {
    @Test func pruneDeletesWhatAKilledMonitorLeftAside() async throws {
        try await withRuntimeBed { bed in
            let leftovers = [ContainerPaths.containersDirectory(bed.state) + "/.removing-" + String(repeating: "a", count: 64),
                             ImageStore(state: bed.state).directory + "/rw/.removing-" + String(repeating: "b", count: 64)]
            for path in leftovers {
                try FileManager.default.createDirectory(atPath: path + "/fs/etc", withIntermediateDirectories: true)
                try "x".write(toFile: path + "/fs/etc/file", atomically: true, encoding: .utf8)
            }
            _ = try await bed.service.prune()
            for path in leftovers { #expect(!FileManager.default.fileExists(atPath: path), "\(path) was left") }
        }
    }

    @Test func detachedAutoRemoveLeavesNothing() async throws {
        try await withRuntimeBed { bed in
            let (spec, image, layer) = try bed.autoRemoving("echo bye")
            let record = try await bed.service.create(spec, image: image)
            try await bed.service.start(record.id)
            let cgroups = CgroupManager(hierarchy: CgroupHierarchy.detect(), id: record.id).directories
            #expect(try await eventually { try await bed.service.list().isEmpty })
            #expect(try await eventually { !FileManager.default.fileExists(atPath: layer) })
            // The cgroups go last, after the monitor told of the exit and let go of the namespaces.
            #expect(try await eventually { cgroups.allSatisfy { access($0, F_OK) != 0 } })
            #expect(access(ContainerPaths(state: bed.state, id: record.id).controlSocket, F_OK) != 0)
        }
    }

    @Test func anAttachedAutoRemoveRunIsGoneWhenItsExitArrives() async throws {
        try await withRuntimeBed { bed in
            let (spec, image, layer) = try bed.autoRemoving("echo bye; exit 4")
            let result = try await bed.run(spec, image: image)
            #expect(result.code == 4)
            #expect(result.out == "bye\n")
            // No waiting: the monitor removed everything before it sent the exit.
            #expect(try await bed.service.list().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: layer))
            #expect(!FileManager.default.fileExists(atPath: ContainerPaths(state: bed.state, id: result.id).directory))
            // Its cgroups go right after the exit is sent.
            #expect(await eventually {
                CgroupManager(hierarchy: CgroupHierarchy.detect(), id: result.id).directories.allSatisfy { access($0, F_OK) != 0 }
            })
            // Its name went with it.
            let names = ContainerStore(state: bed.state).namesDirectory
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: names)) ?? []).allSatisfy { $0.hasPrefix(".removing-") })
            // What was renamed out of sight is deleted right after.
            let aside = [ContainerPaths.containersDirectory(bed.state), names, (layer as NSString).deletingLastPathComponent]
            #expect(await eventually {
                aside.allSatisfy { ((try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? []).allSatisfy { !$0.hasPrefix(".removing-") } }
            })
        }
    }

    @Test func onlyAThrownAwayLayerIsMountedVolatile() async throws {
        try await withRuntimeBed { bed in
            let showRoot = ["sh", "-c", "grep '^overlay / ' /proc/mounts"]
            var removed = ContainerSpec(image: "busybox", command: showRoot)
            removed.autoRemove = true
            let volatile = try await bed.run(removed)
            #expect(volatile.code == 0)
            #expect(volatile.out.contains("volatile"))  // ",volatile", or "fsync=volatile" on newer kernels
            let kept = try await bed.run(ContainerSpec(image: "busybox", command: showRoot))
            #expect(kept.code == 0)
            #expect(kept.out.contains("upperdir=") && !kept.out.contains("volatile"))
        }
    }

    @Test func aWritableLayerServesOneContainerOnly() async throws {
        try await withRuntimeBed { bed in
            let image = try bed.busybox()
            _ = try await bed.service.create(ContainerSpec(image: "busybox", command: ["true"]), image: image)
            await #expect(throws: EngineError.self) {
                try await bed.service.create(ContainerSpec(image: "busybox", command: ["true"]), image: image)
            }
        }
    }

    @Test func aTerminalContainerSeesItsOwnPty() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "tty; [ -t 1 ] && echo yes; exit 2"])
            spec.tty = true
            spec.user = "app"
            let result = try await bed.run(spec)
            #expect(result.code == 2)
            #expect(result.out == "/dev/pts/0\r\nyes\r\n")
        }
    }
}
