import Foundation
import Monitor
import NetworkServices
import SystemSupport
import Testing
@testable import Engine

@Suite("RuntimeUnit")
struct RuntimeUnitTests {
    @Test func jsonParsesAndPrintsRoundTrip() throws {
        let text = #"{"a":[1,2.5,-3e2,true,false,null],"b":"x\"y\\z\n\u00e9\ud83d\ude00","c":{}}"#
        let value = try JSONValue.parse(text)
        #expect(value["a"]?.arrayValue?.count == 6)
        #expect(value["a"]?.arrayValue?[2].intValue == -300)
        #expect(value["b"]?.stringValue == "x\"y\\z\né😀")
        #expect(try JSONValue.parse(value.serialized) == value)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse("{\"a\":}") }
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse("[1,2") }
    }

    @Test func launchConfigSurvivesJSON() throws {
        var process = LaunchConfig.Process(arguments: ["sh", "-c", "echo"], environment: ["A=1"], workingDirectory: "/w")
        process.capabilities = 0xa80425fb
        process.groups = [1, 2]
        process.seccompProgram = "/x/seccomp.bpf"
        var config = LaunchConfig(id: "abc", directory: "/d", controlSocket: "/s", rootfs: "/r", process: process)
        config.mounts = [LaunchConfig.Mount(source: "/h", target: "/c", flags: 1, targetIsFile: true)]
        config.rlimits = [LaunchConfig.Rlimit(resource: 7, soft: 1024, hard: UInt64.max)]
        config.sysctls = ["net.ipv4.ip_forward": "1"]
        config.healthcheck = LaunchConfig.Healthcheck(test: ["true"], interval: 1, timeout: 2, startPeriod: 3, startInterval: 4, retries: 5)
        config.symlinks = [["/dev/fd", "/proc/self/fd"]]
        config.proxiedPorts = [PortBinding(hostIP: .anyIPv6, hostPort: 8080, containerIP: IPv4Address(172, 18, 0, 2), containerPort: 80),
                               PortBinding(hostIP: .v6(IPv6Address(1)), hostPort: 53, transport: .udp,
                                           containerIP: IPv4Address(172, 18, 0, 2), containerPort: 5353)]
        let decoded = try LaunchConfig(json: try JSONValue.parse(config.json.serialized))
        #expect(decoded == config)
    }

    @Test func runStateSurvivesJSON() throws {
        var state = ContainerRunState()
        state.status = .exited
        state.exitCode = 137
        state.oomKilled = true
        state.startedAt = 1_795_550_786_364_222_911
        state.health = "unhealthy"
        state.healthLog = [ContainerRunState.HealthResult(start: 1_000_000_000_123, end: 2_000_000_000_000, exitCode: 1, output: "no")]
        #expect(ContainerRunState(json: try JSONValue.parse(state.json.serialized)) == state)
    }

    @Test func timestampsAreRFC3339WithNanoseconds() {
        #expect(Timestamp.rfc3339(1_795_550_786_000_000_005) == "2026-11-24T20:06:26.000000005Z")
        #expect(Timestamp.parse("2026-11-24T20:06:26.000000005Z") == 1_795_550_786_000_000_005)
        #expect(Timestamp.parse("2026-11-24T20:06:26.5Z") == 1_795_550_786_500_000_000)
        #expect(Timestamp.rfc3339(0) == "0001-01-01T00:00:00Z")
    }

    @Test func restartPoliciesAndBackoff() {
        var never = RestartDecision(policy: "no", maxRetries: 0)
        #expect(never.next(exitCode: 1, restartCount: 0, stoppedByUser: false, ranFor: 0) == nil)
        var always = RestartDecision(policy: "always", maxRetries: 0)
        #expect(always.next(exitCode: 0, restartCount: 0, stoppedByUser: false, ranFor: 0) == 100_000_000)
        #expect(always.next(exitCode: 0, restartCount: 1, stoppedByUser: false, ranFor: 0) == 200_000_000)
        #expect(always.next(exitCode: 0, restartCount: 2, stoppedByUser: false, ranFor: 0) == 400_000_000)
        #expect(always.next(exitCode: 0, restartCount: 3, stoppedByUser: false, ranFor: 11_000_000_000) == 100_000_000)
        #expect(always.next(exitCode: 0, restartCount: 4, stoppedByUser: true, ranFor: 0) == nil)
        var onFailure = RestartDecision(policy: "on-failure", maxRetries: 2)
        #expect(onFailure.next(exitCode: 0, restartCount: 0, stoppedByUser: false, ranFor: 0) == nil)
        #expect(onFailure.next(exitCode: 1, restartCount: 1, stoppedByUser: false, ranFor: 0) != nil)
        #expect(onFailure.next(exitCode: 1, restartCount: 2, stoppedByUser: false, ranFor: 0) == nil)
        var capped = RestartDecision(policy: "unless-stopped", maxRetries: 0)
        for count in 0..<20 { _ = capped.next(exitCode: 1, restartCount: count, stoppedByUser: false, ranFor: 0) }
        #expect(capped.delay == RestartDecision.maximumDelay)
    }

    @Test func healthTransitions() {
        let check = LaunchConfig.Healthcheck(test: ["true"], interval: 10, timeout: 5, startPeriod: 100, startInterval: 2, retries: 2)
        var tracker = HealthTracker(check: check)
        tracker.containerStarted(at: 0)
        #expect(tracker.nextProbe(after: 0) == 2)  // start interval during the start period
        let fail = ContainerRunState.HealthResult(start: 0, end: 0, exitCode: 1, output: "")
        let pass = ContainerRunState.HealthResult(start: 0, end: 0, exitCode: 0, output: "")
        tracker.record(fail, at: 50)  // in the start period: not counted
        #expect(tracker.status == "starting" && tracker.failingStreak == 0)
        tracker.record(pass, at: 60)
        #expect(tracker.status == "healthy")
        #expect(tracker.nextProbe(after: 60) == 70)
        tracker.record(fail, at: 70)
        #expect(tracker.status == "healthy" && tracker.failingStreak == 1)
        tracker.record(fail, at: 80)
        #expect(tracker.status == "unhealthy" && tracker.failingStreak == 2)
        for time in 0..<10 { tracker.record(fail, at: 200 + Int64(time)) }
        #expect(tracker.log.count == HealthTracker.keptResults)
    }

    @Test func commandAndEnvironmentFollowDocker() throws {
        let image = ContainerImage.Config(entrypoint: ["/entry"], cmd: ["default"], env: ["PATH=/custom", "A=image"])
        var spec = ContainerSpec(image: "x")
        #expect(try LaunchConfigBuilder.arguments(spec: spec, image: image) == ["/entry", "default"])
        spec.command = ["mine"]
        #expect(try LaunchConfigBuilder.arguments(spec: spec, image: image) == ["/entry", "mine"])
        spec.command = nil
        spec.entrypoint = ["/other"]
        #expect(try LaunchConfigBuilder.arguments(spec: spec, image: image) == ["/other"])  // image CMD dropped
        spec.entrypoint = []
        #expect(throws: EngineError.self) { try LaunchConfigBuilder.arguments(spec: spec, image: image) }
        spec.environment = ["A": "spec", "B": "2"]
        spec.tty = true
        let env = LaunchConfigBuilder.environment(spec: spec, image: image, hostname: "h", home: "/root")
        #expect(env == ["PATH=/custom", "HOSTNAME=h", "A=spec", "B=2", "TERM=xterm", "HOME=/root"])
    }

    @Test func usersResolveFromPasswdAndGroup() throws {
        let passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n"
        let group = "root:x:0:\napp:x:1001:\nstaff:x:50:app,other\nwheel:x:10:\n"
        let app = try ResolvedUser.resolve("app", groupAdd: ["wheel", "77"], passwd: passwd, group: group)
        #expect(app == ResolvedUser(uid: 1000, gid: 1001, groups: [50, 10, 77], home: "/home/app"))
        #expect(try ResolvedUser.resolve("1000:staff", groupAdd: [], passwd: passwd, group: group).gid == 50)
        #expect(try ResolvedUser.resolve("4242", groupAdd: [], passwd: passwd, group: group) == ResolvedUser(uid: 4242, gid: 0, groups: [], home: "/"))
        #expect(try ResolvedUser.resolve(nil, groupAdd: [], passwd: passwd, group: group).home == "/root")
        #expect(throws: EngineError.self) { try ResolvedUser.resolve("ghost", groupAdd: [], passwd: passwd, group: group) }
        #expect(throws: EngineError.self) { try ResolvedUser.resolve("app:nogroup", groupAdd: [], passwd: passwd, group: group) }
    }

    @Test func cgroupHierarchyIsDetectedFromMountinfo() {
        let hybrid = """
            30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            32 30 0:28 / /sys/fs/cgroup/memory rw,relatime shared:7 master:1 - cgroup cgroup rw,memory
            33 30 0:29 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            34 30 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            """
        let v1 = CgroupHierarchy.detect(mountinfo: hybrid)
        #expect(v1.version == .v1)
        #expect(v1.v1Mounts.map(\.name) == ["cpu", "memory", "cpu,cpuacct"])
        #expect(v1.mount(for: "memory")?.path == "/sys/fs/cgroup/memory")
        let unified = CgroupHierarchy.detect(mountinfo: "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n")
        #expect(unified.version == .v2)
        let manager = CgroupManager(hierarchy: unified, id: "abc")
        #expect(manager.directories == ["/sys/fs/cgroup/swiftcompose/abc"])
        #expect(manager.oomCounter == "/sys/fs/cgroup/swiftcompose/abc/memory.events")
    }

    @Test func seccompProgramsAreCachedPerProfileAndCapabilities() throws {
        // FNV-1a 64 reference values.
        #expect(SeccompProfile.cacheKey("") == "cbf29ce484222325")
        #expect(SeccompProfile.cacheKey("a") == "af63dc4c8601ec8c")
        #expect(SeccompProfile.cacheKey("foobar") == "85944171f73967e8")
        let directory = "/tmp/scseccomp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = StateRoot(root: directory, run: directory + "/run")
        let defaults = try Capabilities.effective(privileged: false, add: [], drop: [], bounding: ~0)
        let first = try SeccompProfile.cachedDefault(capabilities: defaults, state: state)
        #expect(try SeccompProfile.cachedDefault(capabilities: defaults, state: state) == first)
        let withAdmin = try SeccompProfile.cachedDefault(capabilities: defaults | 1 << 21, state: state)
        #expect(withAdmin != first)
        #expect(FileManager.default.fileExists(atPath: first) && FileManager.default.fileExists(atPath: withAdmin))
    }

    @Test func kernelReleasesCompareByMajorAndMinor() {
        #expect(KernelRelease("6.8.0-45-generic").atLeast(5, 10))
        #expect(KernelRelease("5.10.1").atLeast(5, 10))
        #expect(!KernelRelease("5.4.0-150-generic").atLeast(5, 10))
        #expect(!KernelRelease("4.19.90").atLeast(5, 10))
        #expect(!KernelRelease("").atLeast(5, 10))
    }

    @Test func etcFilesLookLikeDockers() {
        let hosts = EtcFiles.hosts(hostname: "web", domainname: "example.org", addresses: ["172.18.0.2"], aliases: ["app"],
                                   extraHosts: ["db:10.0.0.5", "v6=[::1]"])
        #expect(hosts.hasPrefix("127.0.0.1\tlocalhost\n"))
        #expect(hosts.contains("10.0.0.5\tdb\n"))
        #expect(hosts.contains("::1\tv6\n"))
        #expect(hosts.hasSuffix("172.18.0.2\tweb.example.org web app\n"))
        let host = "nameserver 127.0.0.53\nnameserver 192.168.1.1\nsearch lan\noptions edns0\n"
        #expect(EtcFiles.resolvConf(dns: [], search: [], options: [], host: host) == "nameserver 192.168.1.1\nsearch lan\noptions edns0\n")
        #expect(EtcFiles.resolvConf(dns: [], search: [], options: [], host: "nameserver 127.0.0.1\n") == "nameserver 8.8.8.8\nnameserver 8.8.4.4\n")
        #expect(EtcFiles.resolvConf(dns: ["10.0.0.1"], search: ["a"], options: ["ndots:2"], host: host)
            == "nameserver 10.0.0.1\nsearch a\noptions ndots:2\n")
    }

    @Test func sizesSignalsCapabilitiesAndOptions() throws {
        #expect(try ByteSize.parse("64m") == 64 << 20)
        #expect(try ByteSize.parse("1.5g") == 3 << 29)
        #expect(try ByteSize.parse("512") == 512)
        #expect(try ByteSize.parse("10MB") == 10 << 20)
        #expect(throws: EngineError.self) { try ByteSize.parse("lots") }
        #expect(try SignalNames.number("SIGTERM") == 15)
        #expect(try SignalNames.number("kill") == 9)
        #expect(try SignalNames.number("10") == 10)
        #expect(throws: EngineError.self) { try SignalNames.number("SIGNOPE") }
        let all: UInt64 = 0x1ff_feff_ffff  // a bounding set without CAP_SYS_RESOURCE (24)
        #expect(try Capabilities.effective(privileged: false, add: [], drop: [], bounding: all) == 0xa804_25fb)
        #expect(try Capabilities.effective(privileged: true, add: [], drop: [], bounding: all) == all)
        #expect(try Capabilities.effective(privileged: false, add: ["ALL"], drop: [], bounding: all) == all)
        #expect(try Capabilities.effective(privileged: false, add: ["CAP_NET_RAW"], drop: ["all"], bounding: all) == 1 << 13)
        #expect(try Capabilities.effective(privileged: false, add: ["SYS_RESOURCE"], drop: [], bounding: all) == 0xa804_25fb)
        #expect(throws: EngineError.self) { try Capabilities.effective(privileged: false, add: ["FLY"], drop: [], bounding: all) }
        #expect(try SecurityOptions.parse(["no-new-privileges:true", "seccomp=unconfined"]) == SecurityOptions(noNewPrivileges: true, seccompUnconfined: true))
        #expect(throws: EngineError.self) { try SecurityOptions.parse(["bogus"]) }
        #expect(HealthcheckResolver.resolve(spec: ContainerSpec.HealthcheckSpec(test: ["CMD-SHELL", "curl x"]), image: nil)?.test == ["/bin/sh", "-c", "curl x"])
        #expect(HealthcheckResolver.resolve(spec: ContainerSpec.HealthcheckSpec(test: ["NONE"]), image: ContainerSpec.HealthcheckSpec(test: ["CMD", "x"])) == nil)
        #expect(try SysctlPolicy.validated(["net.core.somaxconn": "1", "kernel.shmmax": "2"], hostNetwork: false).count == 2)
        #expect(throws: EngineError.self) { try SysctlPolicy.validated(["kernel.panic": "1"], hostNetwork: false) }
        #expect(throws: EngineError.self) { try SysctlPolicy.validated(["net.ipv4.ip_forward": "1"], hostNetwork: true) }
        #expect(ContainerNames.isValid("web-1.a_b") && !ContainerNames.isValid("-web") && !ContainerNames.isValid("a b"))
    }
}

@Suite("DetachKeys") struct DetachKeysTests {
    @Test func keysParseAsDockerSpellsThem() throws {
        #expect(try DetachKeys(parsing: "ctrl-p,ctrl-q") == .standard)
        #expect(try DetachKeys(parsing: "a,ctrl-@,ctrl-[,ctrl-_").sequence == [97, 0, 27, 31])
        for bad in ["ctrl-1", "ab", "ctrl-", ""] {
            #expect(throws: EngineError.self, "\(bad)") { try DetachKeys(parsing: bad) }
        }
    }

    @Test func theSequenceIsFoundAcrossReadsAndABrokenOneIsPassedOn() {
        var scanner = DetachKeys.Scanner(.standard)
        #expect(scanner.scan([65, 16]) == ([65], false))
        #expect(scanner.scan([66]) == ([16, 66], false))
        #expect(scanner.scan([16, 16]) == ([16], false))
        #expect(scanner.scan([17, 67]) == ([], true))
    }
}
