import Foundation
import Monitor
import SystemSupport
import Testing
@testable import Engine

/// What `docker run` guarantees by default, checked from inside real containers.
@Suite("RuntimeIsolation", .serialized)
struct RuntimeIsolationTests {
    func sh(_ script: String, _ configure: (inout ContainerSpec) -> Void = { _ in }) -> ContainerSpec {
        var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", script])
        configure(&spec)
        return spec
    }

    @Test func capabilitiesAndSeccompAreDockersDefaults() async throws {
        try await withRuntimeBed { bed in
            let result = try await bed.run(sh("grep -E '^(CapEff|CapBnd|CapInh|Seccomp|NoNewPrivs):' /proc/self/status"))
            #expect(result.out.contains("CapEff:\t00000000a80425fb"))
            #expect(result.out.contains("CapBnd:\t00000000a80425fb"))
            #expect(result.out.contains("CapInh:\t0000000000000000"))
            #expect(result.out.contains("Seccomp:\t2"))
            #expect(result.out.contains("NoNewPrivs:\t0"))
            let added = try await bed.run(sh("grep CapEff /proc/self/status") {
                $0.capAdd = ["NET_ADMIN"]; $0.capDrop = ["CHOWN"]; $0.securityOpt = ["no-new-privileges"]
            })
            // a80425fb - CHOWN (bit 0) + NET_ADMIN (bit 12)
            #expect(added.out == "CapEff:\t00000000a80435fa\n")
        }
    }

    @Test func aSyscallOutsideTheProfileFailsAndUnconfinedAllowsIt() async throws {
        try await withRuntimeBed { bed in
            // unshare(CLONE_NEWUSER) needs no capability; only seccomp stops it.
            let blocked = try await bed.run(sh("unshare -U true"))
            #expect(blocked.code != 0)
            #expect(blocked.err.contains("Operation not permitted"))
            let unconfined = try await bed.run(sh("unshare -U true; grep Seccomp: /proc/self/status") { $0.securityOpt = ["seccomp=unconfined"] })
            #expect(unconfined.out.contains("Seccomp:\t0"))
        }
    }

    @Test func hostMountsAreInvisibleAndProcIsTheContainers() async throws {
        try await withRuntimeBed { bed in
            let result = try await bed.run(sh("cat /proc/mounts; echo ---; ps -o pid,comm"))
            // Only the container's own mounts (its root overlay names its layers, as Docker's does).
            let mounts = result.out.components(separatedBy: "---\n")[0].split(separator: "\n").filter { !$0.hasPrefix("overlay / overlay ") }
            #expect(!mounts.contains { $0.contains(bed.directory) || $0.contains("/work") })
            #expect(result.out.hasPrefix("overlay / overlay "))
            #expect(result.out.contains("proc /proc proc"))
            // Only the container's own processes, numbered from 1 (busybox sh may exec ps in place).
            let pids = result.out.components(separatedBy: "---\n")[1].split(separator: "\n").dropFirst()
                .compactMap { Int($0.split(separator: " ").first ?? "") }
            #expect(!pids.isEmpty && pids.allSatisfy { $0 <= 2 })
        }
    }

    @Test func userSwitchByNameWithGroups() async throws {
        try await withRuntimeBed { bed in
            let result = try await bed.run(sh("id; echo $HOME; pwd; grep CapEff /proc/self/status") {
                $0.user = "app"; $0.workingDir = "/work/dir"; $0.groupAdd = ["nogroup"]
            })
            #expect(result.out.hasPrefix("uid=1000(app) gid=1000(app) groups=29(audio),65534(nogroup)"), "\(result)")
            #expect(result.out.contains("\n/home/app\n/work/dir\n"))
            #expect(result.out.contains("CapEff:\t0000000000000000"))
            await #expect(throws: EngineError.self) { try await bed.run(sh("true") { $0.user = "nosuchuser" }) }
        }
    }

    @Test func readOnlyRootfsMaskedAndReadOnlyPaths() async throws {
        try await withRuntimeBed { bed in
            let result = try await bed.run(sh("""
                touch /newfile 2>/dev/null && echo rootfs-writable; \
                touch /tmp/x 2>/dev/null && echo tmpfs-writable; \
                wc -c < /proc/timer_list; \
                echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo sys-writable; \
                ls /sys/firmware | wc -l; echo done
                """) { $0.readOnly = true; $0.mounts = [ContainerSpec.MountSpec(kind: .tmpfs, source: "", target: "/tmp")] })
            #expect(result.code == 0)
            #expect(!result.out.contains("rootfs-writable"))
            #expect(result.out.contains("tmpfs-writable"))
            #expect(!result.out.contains("sys-writable"))
            #expect(result.out.hasSuffix("0\n0\ndone\n"))
        }
    }

    @Test func bindMountsAndEtcFiles() async throws {
        try await withRuntimeBed { bed in
            let host = bed.directory + "/shared"
            try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
            try "from host\n".write(toFile: host + "/note", atomically: true, encoding: .utf8)
            let result = try await bed.run(sh("cat /data/note; echo inside > /data/back; cat /etc/hostname; grep web /etc/hosts; grep nameserver /etc/resolv.conf") {
                $0.hostname = "web"; $0.addresses = ["10.1.2.3"]; $0.extraHosts = ["db:10.0.0.9"]; $0.dns = ["10.0.0.2"]
                $0.mounts = [ContainerSpec.MountSpec(kind: .bind, source: host, target: "/data")]
            })
            #expect(result.out == "from host\nweb\n10.1.2.3\tweb\nnameserver 10.0.0.2\n")
            #expect(try String(contentsOfFile: host + "/back", encoding: .utf8) == "inside\n")
        }
    }

    @Test func aSymlinkInTheImageCannotRedirectAMountOutside() async throws {
        try await withRuntimeBed { bed in
            let image = try bed.busybox()
            let rootfs = try bed.upper(image)  // what the container sees on top of the image
            try FileManager.default.createDirectory(atPath: rootfs + "/tmp", withIntermediateDirectories: true)
            // An absolute symlink to /tmp: followed on the host it would reach the host's /tmp.
            let unique = "scrt-escape-\(UInt32.random(in: 0...UInt32.max))"
            try? FileManager.default.removeItem(atPath: rootfs + "/escape")
            try FileManager.default.createSymbolicLink(atPath: rootfs + "/escape", withDestinationPath: "/tmp")
            let result = try await bed.run(sh("ls -d /escape/\(unique) && echo mounted") {
                $0.mounts = [ContainerSpec.MountSpec(kind: .tmpfs, source: "", target: "/escape/" + unique)]
            }, image: image)
            #expect(result.out.contains("mounted"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/" + unique))
            #expect(FileManager.default.fileExists(atPath: rootfs + "/tmp/" + unique))
            try? FileManager.default.removeItem(atPath: rootfs + "/tmp/" + unique)
            try? FileManager.default.removeItem(atPath: rootfs + "/escape")
        }
    }

    @Test func initReapsAndForwardsSignals() async throws {
        try await withRuntimeBed { bed in
            var spec = sh("trap 'echo got-term; exit 7' TERM; while true; do sleep 0.1; done") { $0.initProcess = true }
            spec.name = "with-init"
            _ = try await bed.service.create(spec, image: bed.busybox())
            try await bed.service.start("with-init")
            try await Task.sleep(nanoseconds: 300_000_000)
            try await bed.service.stop("with-init", timeout: 5)
            let info = try await bed.service.inspect("with-init")
            #expect(info.run.exitCode == 7)
            #expect(await collectLogs(bed, "with-init").map(\.text) == ["got-term\n"])
        }
    }
}

@Suite("RuntimeLimits", .serialized)
struct RuntimeLimitsTests {
    @Test func memoryLimitKillsWithOOMAnd137() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo survived"])
            spec.resources.memory = 16 << 20
            spec.resources.memorySwap = 16 << 20
            let result = try await bed.run(spec)
            #expect(result.code == 137)
            let info = try await bed.service.inspect(result.id)
            #expect(info.run.oomKilled)
            #expect(info.run.exitCode == 137)
        }
    }

    @Test func pidsLimitIsEnforced() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done 2>&1; echo spawned"])
            spec.resources.pidsLimit = 5
            let result = try await bed.run(spec)
            #expect((result.out + result.err).contains("can't fork: Resource temporarily unavailable"))
        }
    }
}

@Suite("RuntimeResources", .serialized)
struct RuntimeResourcesTests {
    @Test func limitsReachTheCgroupAndUpdateChangesThem() async throws {
        try await withRuntimeBed { bed in
            var spec = ContainerSpec(image: "busybox", command: ["sleep", "30"])
            spec.name = "limited"
            spec.resources.memory = 48 << 20
            spec.resources.memoryReservation = 32 << 20
            spec.resources.nanoCPUs = 500_000_000
            spec.resources.cpuShares = 512
            spec.resources.cpusetCPUs = "0"
            spec.resources.pidsLimit = 20
            spec.resources.oomScoreAdj = 300
            spec.ulimits = ["nofile": ContainerSpec.Ulimit(soft: 256, hard: 512)]
            spec.sysctls = ["net.ipv4.ip_unprivileged_port_start": "80"]
            let record = try await bed.service.create(spec, image: bed.busybox())
            try await bed.service.start(record.id)
            let manager = CgroupManager(hierarchy: CgroupHierarchy.detect(), id: record.id)
            if manager.hierarchy.version == .v1 {
                #expect(manager.read("memory.limit_in_bytes", controller: "memory") == String(48 << 20))
                #expect(manager.read("memory.soft_limit_in_bytes", controller: "memory") == String(32 << 20))
                #expect(manager.read("cpu.cfs_quota_us", controller: "cpu") == "50000")
                #expect(manager.read("cpu.shares", controller: "cpu") == "512")
                #expect(manager.read("cpuset.cpus", controller: "cpuset") == "0")
                #expect(manager.read("pids.max", controller: "pids") == "20")
            }
            let pid = try await bed.service.inspect(record.id).run.pid
            #expect(try String(contentsOfFile: "/proc/\(pid)/oom_score_adj", encoding: .utf8) == "300\n")
            let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
            #expect(limits.contains { _ in true } && limits.split(separator: "\n").contains { $0.hasPrefix("Max open files") && $0.contains("256") && $0.contains("512") })
            let sysctl = bed.collect(try await bed.service.exec("limited", options: ExecOptions(command: ["cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"])))
            #expect(sysctl.1 == "80\n")

            var more = ContainerSpec.Resources()
            more.pidsLimit = 40
            try await bed.service.update("limited", resources: more)
            if manager.hierarchy.version == .v1 { #expect(manager.read("pids.max", controller: "pids") == "40") }
            #expect(try await bed.service.inspect("limited").record.spec.resources.pidsLimit == 40)
            #expect(try await bed.service.inspect("limited").record.spec.resources.memory == 48 << 20)
        }
    }
}

@Suite("RuntimeSharedNamespaces", .serialized)
struct RuntimeSharedNamespacesTests {
    @Test func pidAndIpcOfAnotherContainer() async throws {
        try await withRuntimeBed { bed in
            var first = ContainerSpec(image: "busybox", command: ["sleep", "30"])
            first.name = "holder"
            let holder = try await bed.service.create(first, image: bed.busybox())
            try await bed.service.start(holder.id)
            let holderPid = try await bed.service.inspect(holder.id).run.pid
            let holderIpc = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(holderPid)/ns/ipc")

            var second = ContainerSpec(image: "busybox", command: ["sh", "-c", "ps -o pid,comm | grep -c sleep; readlink /proc/self/ns/ipc"])
            second.pidMode = "container:holder"
            second.ipcMode = "container:holder"
            let result = try await bed.run(second)
            #expect(result.code == 0)
            #expect(result.out == "1\n\(holderIpc)\n")
            var invalid = ContainerSpec(image: "busybox", command: ["true"])
            invalid.pidMode = "service:web"
            await #expect(throws: EngineError.self) { try await bed.run(invalid) }
        }
    }
}

@Suite("RuntimeSeccompFile", .serialized)
struct RuntimeSeccompFileTests {
    @Test func aProfileFileInDockersFormatIsEnforced() async throws {
        try await withRuntimeBed { bed in
            // Everything allowed except mkdir/mkdirat, which fail with EACCES (13).
            let profile = bed.directory + "/profile.json"
            try #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#
                .write(toFile: profile, atomically: true, encoding: .utf8)
            var spec = ContainerSpec(image: "busybox", command: ["sh", "-c", "mkdir /tmp/x || echo refused; grep Seccomp: /proc/self/status"])
            spec.securityOpt = ["seccomp=\(profile)"]
            let result = try await bed.run(spec)
            #expect(result.out == "refused\nSeccomp:\t2\n")
            #expect(result.err.contains("Permission denied"))
            var broken = ContainerSpec(image: "busybox", command: ["true"])
            broken.securityOpt = ["seccomp=\(bed.directory)/missing.json"]
            await #expect(throws: EngineError.self) { try await bed.run(broken) }
        }
    }
}
