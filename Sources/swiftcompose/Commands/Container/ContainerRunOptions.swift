import ArgumentParser
import Engine
import Foundation
import SystemSupport

/// The flags `container run` and `container create` share (docker run's names).
struct ContainerRunOptions: ParsableArguments {
    @Option(name: .long, help: "Assign a name to the container.") var name: String?
    @Flag(name: [.customShort("i"), .long], help: "Keep standard input open.") var interactive = false
    @Flag(name: [.customShort("t"), .long], help: "Allocate a pseudo-terminal.") var tty = false
    @Option(name: [.customShort("e"), .long], help: "Set an environment variable (NAME=value, or NAME to copy it).") var env: [String] = []
    @Option(name: .customLong("env-file"), help: "Read environment variables from a file.") var envFile: [String] = []
    @Option(name: [.customShort("u"), .long], help: "User to run as: name|uid[:group|gid].") var user: String?
    @Option(name: .customLong("group-add"), help: "Add a supplementary group.") var groupAdd: [String] = []
    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container.") var workdir: String?
    @Option(name: [.customShort("h"), .long], help: "Container hostname.") var hostname: String?
    @Option(name: .long, help: "Container NIS domain name.") var domainname: String?
    @Option(name: .long, help: "Override the image's ENTRYPOINT (\"\" clears it).") var entrypoint: String?
    @Option(name: [.customShort("v"), .long], help: "Bind mount: /host/path:/container/path[:ro].") var volume: [String] = []
    @Option(name: .long, help: "Mount a tmpfs: /path[:size=64m,mode=1777].") var tmpfs: [String] = []
    @Flag(name: .customLong("read-only"), help: "Mount the container's root filesystem read-only.") var readOnly = false
    @Flag(name: .long, help: "Give all capabilities and lift seccomp, masked paths and device limits.") var privileged = false
    @Option(name: .customLong("cap-add"), help: "Add a Linux capability.") var capAdd: [String] = []
    @Option(name: .customLong("cap-drop"), help: "Drop a Linux capability.") var capDrop: [String] = []
    @Option(name: .customLong("security-opt"), help: "Security options: no-new-privileges, seccomp=unconfined|FILE (Docker's JSON profile format).") var securityOpt: [String] = []
    @Option(name: .long, help: "Add a host device: /dev/x[:/dev/y[:rwm]].") var device: [String] = []
    @Option(name: .long, help: "Set a namespaced kernel parameter (name=value).") var sysctl: [String] = []
    @Option(name: .long, help: "Set a ulimit: name=soft[:hard].") var ulimit: [String] = []
    @Option(name: [.customShort("m"), .long], help: "Memory limit (e.g. 64m).") var memory: String?
    @Option(name: .customLong("memory-swap"), help: "Memory plus swap limit; -1 for unlimited swap.") var memorySwap: String?
    @Option(name: .customLong("memory-reservation"), help: "Memory soft limit.") var memoryReservation: String?
    @Option(name: .long, help: "Number of CPUs (e.g. 1.5).") var cpus: Double?
    @Option(name: [.customShort("c"), .customLong("cpu-shares")], help: "CPU shares (relative weight).") var cpuShares: Int64?
    @Option(name: .customLong("cpuset-cpus"), help: "CPUs allowed (0-3, 0,1).") var cpusetCpus: String?
    @Option(name: .customLong("pids-limit"), help: "Maximum number of processes (-1 unlimited).") var pidsLimit: Int64?
    @Option(name: .customLong("shm-size"), help: "Size of /dev/shm (default 64m).") var shmSize: String?
    @Option(name: .customLong("oom-score-adj"), help: "Tune the OOM killer's preference (-1000 to 1000).") var oomScoreAdj: Int?
    @Flag(name: .long, help: "Run an init inside the container that forwards signals and reaps processes.") var `init` = false
    @Option(name: .customLong("stop-signal"), help: "Signal to stop the container (default SIGTERM).") var stopSignal: String?
    @Option(name: .customLong("stop-timeout"), help: "Seconds to wait before killing the container on stop.") var stopTimeout: Int?
    @Option(name: [.customShort("l"), .long], help: "Set a label (key=value).") var label: [String] = []
    @Option(name: .long, help: "Restart policy: no, always, unless-stopped, on-failure[:max-retries].") var restart: String = "no"
    @Option(name: .long, help: "Network: none (own loopback only) or host.") var network: String?
    @Option(name: .long, help: "PID namespace: host, or private (default).") var pid: String?
    @Option(name: .long, help: "IPC namespace: host, private, shareable, container:<name|id>.") var ipc: String?
    @Option(name: .customLong("add-host"), help: "Add a line to /etc/hosts (host:ip).") var addHost: [String] = []
    @Option(name: .long, help: "DNS server.") var dns: [String] = []
    @Option(name: .customLong("dns-search"), help: "DNS search domain.") var dnsSearch: [String] = []
    @Option(name: .customLong("dns-option"), help: "DNS resolver option.") var dnsOption: [String] = []
    @Option(name: .customLong("health-cmd"), help: "Command to check health (run with /bin/sh -c).") var healthCmd: String?
    @Option(name: .customLong("health-interval"), help: "Time between health checks (e.g. 30s).") var healthInterval: String?
    @Option(name: .customLong("health-timeout"), help: "Maximum time a check may take.") var healthTimeout: String?
    @Option(name: .customLong("health-retries"), help: "Consecutive failures before unhealthy.") var healthRetries: Int?
    @Option(name: .customLong("health-start-period"), help: "Start period during which failures do not count.") var healthStartPeriod: String?
    @Option(name: .customLong("health-start-interval"), help: "Time between checks during the start period.") var healthStartInterval: String?
    @Flag(name: .customLong("no-healthcheck"), help: "Disable the image's healthcheck.") var noHealthcheck = false
    @Option(name: .customLong("log-driver"), help: "Logging driver: json-file (default) or none.") var logDriver: String = "json-file"
    @Option(name: .customLong("log-opt"), help: "Log option: max-size=10m, max-file=3.") var logOpt: [String] = []
    @Option(name: .long, help: ArgumentHelp("Run on this directory as the root filesystem instead of an image.", valueName: "dir"))
    var rootfs: String?

    func spec(image: String, command: [String], autoRemove: Bool) throws -> ContainerSpec {
        var spec = ContainerSpec(image: image, command: command.isEmpty ? nil : command)
        spec.name = name
        spec.tty = tty
        spec.openStdin = interactive
        for file in envFile {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.trimmingCharacters(in: .whitespaces).isEmpty {
                try addEnvironment(String(line), to: &spec)
            }
        }
        for entry in env { try addEnvironment(entry, to: &spec) }
        spec.user = user
        spec.groupAdd = groupAdd
        spec.workingDir = workdir
        spec.hostname = hostname
        spec.domainname = domainname
        if let entrypoint { spec.entrypoint = entrypoint.isEmpty ? [] : [entrypoint] }
        for entry in volume { spec.mounts.append(try bindMount(entry)) }
        for entry in tmpfs {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            var mount = ContainerSpec.MountSpec(kind: .tmpfs, source: "", target: parts[0])
            for option in (parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []) {
                if option.hasPrefix("size=") { mount.tmpfsSize = try ByteSize.parse(String(option.dropFirst(5))) }
                else if option.hasPrefix("mode=") { mount.tmpfsMode = UInt32(option.dropFirst(5), radix: 8) }
                else { mount.options.append(option) }
            }
            spec.mounts.append(mount)
        }
        spec.readOnly = readOnly
        spec.privileged = privileged
        spec.capAdd = capAdd
        spec.capDrop = capDrop
        spec.securityOpt = securityOpt
        spec.devices = device.map {
            let parts = $0.split(separator: ":").map(String.init)
            return ContainerSpec.DeviceSpec(hostPath: parts[0], containerPath: parts.count > 1 ? parts[1] : nil,
                                            permissions: parts.count > 2 ? parts[2] : "rwm")
        }
        for entry in sysctl {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("invalid sysctl \"\(entry)\"; use name=value") }
            spec.sysctls[parts[0]] = parts[1]
        }
        for entry in ulimit {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let values = parts.count == 2 ? parts[1].split(separator: ":").compactMap { Int64($0) } : []
            guard parts.count == 2, !values.isEmpty else { throw ValidationError("invalid ulimit \"\(entry)\"; use name=soft[:hard]") }
            spec.ulimits[parts[0]] = ContainerSpec.Ulimit(soft: values[0], hard: values.count > 1 ? values[1] : values[0])
        }
        spec.resources.memory = try ByteSize.parse(memory)
        spec.resources.memorySwap = memorySwap == "-1" ? -1 : try ByteSize.parse(memorySwap)
        spec.resources.memoryReservation = try ByteSize.parse(memoryReservation)
        spec.resources.nanoCPUs = cpus.map { Int64($0 * 1e9) }
        spec.resources.cpuShares = cpuShares
        spec.resources.cpusetCPUs = cpusetCpus
        spec.resources.pidsLimit = pidsLimit
        spec.resources.shmSize = try ByteSize.parse(shmSize)
        spec.resources.oomScoreAdj = oomScoreAdj
        spec.initProcess = `init`
        spec.stopSignal = stopSignal
        spec.stopGracePeriod = stopTimeout
        for entry in label {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            spec.labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let restartParts = restart.split(separator: ":").map(String.init)
        guard ["no", "always", "unless-stopped", "on-failure"].contains(restartParts.first ?? "") else {
            throw ValidationError("invalid restart policy \"\(restart)\"; use no, always, unless-stopped or on-failure[:max-retries]")
        }
        spec.restartPolicy = ContainerSpec.RestartPolicy(name: restartParts[0], maximumRetryCount: restartParts.count > 1 ? Int(restartParts[1]) ?? 0 : 0)
        if autoRemove && spec.restartPolicy.name != "no" {
            throw ValidationError("conflicting options: cannot specify both --restart and --rm")
        }
        switch network {
        case nil, "none", "bridge", "default": spec.networkMode = network == "none" ? "none" : nil
        case "host": spec.networkMode = "host"
        case let other?: throw ValidationError("network \"\(other)\" is not available to a single container yet; use none or host")
        }
        spec.pidMode = pid
        spec.ipcMode = ipc
        spec.extraHosts = addHost
        spec.dns = dns
        spec.dnsSearch = dnsSearch
        spec.dnsOptions = dnsOption
        if noHealthcheck {
            spec.healthcheck = ContainerSpec.HealthcheckSpec(test: ["NONE"])
        } else if healthCmd != nil || healthInterval != nil || healthRetries != nil {
            var check = ContainerSpec.HealthcheckSpec(test: healthCmd.map { ["CMD-SHELL", $0] })
            check.interval = try healthInterval.map(DurationParser.nanoseconds)
            check.timeout = try healthTimeout.map(DurationParser.nanoseconds)
            check.startPeriod = try healthStartPeriod.map(DurationParser.nanoseconds)
            check.startInterval = try healthStartInterval.map(DurationParser.nanoseconds)
            check.retries = healthRetries
            spec.healthcheck = check
        }
        spec.logging.driver = logDriver
        for entry in logOpt {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("invalid log option \"\(entry)\"; use key=value") }
            spec.logging.options[parts[0]] = parts[1]
        }
        spec.autoRemove = autoRemove
        return spec
    }

    private func addEnvironment(_ entry: String, to spec: inout ContainerSpec) throws {
        let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2 { spec.environment[parts[0]] = parts[1] }
        else if let value = ProcessInfo.processInfo.environment[parts[0]] { spec.environment[parts[0]] = value }
    }

    private func bindMount(_ entry: String) throws -> ContainerSpec.MountSpec {
        let parts = entry.split(separator: ":").map(String.init)
        guard parts.count >= 2 else {
            throw ValidationError("anonymous volumes (\"-v \(entry)\") need the volume layer; give /host/path:/container/path")
        }
        guard parts[0].hasPrefix("/") || parts[0].hasPrefix(".") else {
            throw ValidationError("named volume \"\(parts[0])\" needs the volume layer; give an absolute host path")
        }
        let source = URL(fileURLWithPath: parts[0]).standardizedFileURL.path
        let options = parts.count > 2 ? parts[2].split(separator: ",").map(String.init) : []
        return ContainerSpec.MountSpec(kind: .bind, source: source, target: parts[1], readOnly: options.contains("ro"),
                                       options: options.filter { $0 != "ro" && $0 != "rw" })
    }

    /// The image to run on: an image of the store, or with `--rootfs DIR` a plain directory.
    func image(_ reference: String, state: StateRoot) throws -> ContainerImage {
        guard let rootfs else {
            return try ImageStore(state: state).containerImage(reference)
        }
        let path = URL(fileURLWithPath: rootfs).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("--rootfs \(rootfs): no such directory") }
        return ContainerImage(reference: reference, id: "rootfs:" + path,
                              config: ContainerImage.Config(cmd: ["/bin/sh"]), rootfs: .directory(path))
    }
}
