import Glibc
import Monitor
import NetworkServices
import SystemSupport

/// Turns a container record (spec + image config) into the monitor's fully resolved
/// `LaunchConfig`: image defaults applied the Docker way, user resolved in the image,
/// mounts, devices, capabilities, seccomp program, cgroup files, /etc files.
struct LaunchConfigBuilder {
    let record: ContainerRecord
    let paths: ContainerPaths
    let cgroups: CgroupManager

    var spec: ContainerSpec { record.spec }
    var image: ContainerImage.Config { record.imageConfig }

    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// entrypoint + cmd: an overridden entrypoint drops the image's CMD.
    static func arguments(spec: ContainerSpec, image: ContainerImage.Config) throws(EngineError) -> [String] {
        let entrypoint: [String], command: [String]
        if let override = spec.entrypoint {
            entrypoint = override
            command = spec.command ?? []
        } else {
            entrypoint = image.entrypoint ?? []
            command = spec.command ?? image.cmd ?? []
        }
        let arguments = entrypoint + command
        guard !arguments.isEmpty else {
            throw EngineError(.invalidArgument, "no command specified: the image has no CMD or ENTRYPOINT; give a command after the image")
        }
        return arguments
    }

    /// Image env, then the spec's (later wins, order kept); PATH, HOSTNAME, HOME, TERM filled in.
    static func environment(spec: ContainerSpec, image: ContainerImage.Config, hostname: String, home: String) -> [String] {
        var keys: [String] = []
        var values: [String: String] = [:]
        func set(_ key: String, _ value: String) {
            if values[key] == nil { keys.append(key) }
            values[key] = value
        }
        set("PATH", defaultPath)
        set("HOSTNAME", hostname)
        for entry in image.env ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            set(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        for key in spec.environment.keys.sorted() { set(key, spec.environment[key]!) }
        if spec.tty, values["TERM"] == nil { set("TERM", "xterm") }
        if values["HOME"] == nil { set("HOME", home) }
        return keys.map { "\($0)=\(values[$0]!)" }
    }

    /// The published ports on IPv6 host addresses, which the monitor serves (IPv4 ones are
    /// the network layer's kernel rules), towards the container's first IPv4 address.
    func proxiedPorts() throws(EngineError) -> [PortBinding] {
        var result: [PortBinding] = []
        for port in spec.publishedPorts {
            guard let hostIP = port.hostIP.flatMap({ IPAddress($0) }), hostIP.isIPv6 else { continue }
            guard let containerIP = spec.addresses.lazy.compactMap({ IPv4Address($0) }).first else {
                throw EngineError(.invalidArgument, "port \(port.containerPort) is published on \(hostIP.hostText), "
                    + "but the container has no IPv4 address on a network to forward it to")
            }
            guard let hostPort = port.hostPort, hostPort != 0,
                  let transport = PortBinding.Transport(rawValue: port.proto) else {
                throw EngineError(.invalidArgument, "published port \(hostIP.hostText):\(port.hostPort ?? 0)->"
                    + "\(port.containerPort)/\(port.proto) needs a fixed host port and tcp or udp")
            }
            result.append(PortBinding(hostIP: hostIP, hostPort: hostPort, transport: transport,
                                      containerIP: containerIP, containerPort: port.containerPort))
        }
        return result
    }

    func build() throws(EngineError) -> LaunchConfig {
        let reader = RootfsReader(record.rootfs)
        let user = try ResolvedUser.resolve(spec.user ?? image.user, groupAdd: spec.groupAdd,
                                            passwd: reader.read("/etc/passwd"), group: reader.read("/etc/group"))
        let workingDirectory = spec.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? image.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        guard workingDirectory.hasPrefix("/") else {
            throw EngineError(.invalidArgument, "the working directory \"\(workingDirectory)\" is invalid: it needs to be an absolute path")
        }
        var process = LaunchConfig.Process(
            arguments: try LaunchConfigBuilder.arguments(spec: spec, image: image),
            environment: LaunchConfigBuilder.environment(spec: spec, image: image, hostname: record.hostname, home: user.home),
            workingDirectory: workingDirectory)
        process.uid = user.uid
        process.gid = user.gid
        process.groups = user.groups
        process.tty = spec.tty
        process.openStdin = spec.openStdin
        process.initProcess = spec.initProcess
        let security = try SecurityOptions.parse(spec.securityOpt)
        process.capabilities = try Capabilities.effective(privileged: spec.privileged, add: spec.capAdd, drop: spec.capDrop,
                                                          bounding: Capabilities.bounding())
        process.noNewPrivileges = security.noNewPrivileges
        if let file = security.seccompProfile, !spec.privileged {
            let program = paths.directory + "/seccomp.bpf"
            try SeccompProfileFile.compile(file: file, capabilities: process.capabilities, to: program)
            process.seccompProgram = program
        } else if !spec.privileged && !security.seccompUnconfined {
            process.seccompProgram = try SeccompProfile.cachedDefault(capabilities: process.capabilities, state: paths.state)
        }

        var config = LaunchConfig(id: record.id, directory: paths.directory, controlSocket: paths.controlSocket,
                                  rootfs: "", process: process)
        switch record.rootfs {
        case .directory(let path):
            config.rootfs = path
        case .overlay(let lower, let upper, let work):
            // Mounted in the container's own mount namespace only: every container can use
            // the same directory, which need not be made (and removed) for each one.
            config.rootfs = paths.state.runPath("rootfs")
            config.rootfsType = "overlay"
            config.rootfsData = "lowerdir=\(lower.joined(separator: ":")),upperdir=\(upper),workdir=\(work)"
            try make(config.rootfs)
        }
        try namespaces(into: &config)
        config.cgroupProcs = cgroups.joinFiles
        config.cgroupDirectories = cgroups.directories
        config.oomCounter = cgroups.oomCounter
        config.hostname = record.hostname
        config.domainname = spec.domainname
        config.mounts = DefaultFilesystem.mounts(shmSize: spec.resources.shmSize ?? 64 << 20, privileged: spec.privileged,
                                                 cgroups: cgroups.hierarchy)
        config.mounts += etcMounts()
        config.mounts += try userMounts()
        config.devices = DefaultFilesystem.devices + (try devices())
        config.symlinks = DefaultFilesystem.symlinks
        if !spec.privileged {
            config.maskedPaths = DefaultFilesystem.maskedPaths
            config.readonlyPaths = DefaultFilesystem.readonlyPaths
        }
        config.readonlyRootfs = spec.readOnly
        config.sysctls = try SysctlPolicy.validated(spec.sysctls, hostNetwork: spec.networkMode == "host")
        config.rlimits = try Ulimits.resolve(spec.ulimits)
        config.oomScoreAdj = spec.resources.oomScoreAdj
        if spec.logging.driver != "none" {
            config.logPath = paths.log
            config.logMaxSize = try ByteSize.parse(spec.logging.options["max-size"]) ?? 0
            config.logMaxFiles = Int(spec.logging.options["max-file"] ?? "1") ?? 1
        }
        config.restartPolicy = spec.restartPolicy.name
        config.restartMaxRetries = spec.restartPolicy.maximumRetryCount
        config.healthcheck = HealthcheckResolver.resolve(spec: spec.healthcheck, image: image.healthcheck)
        config.stopSignal = try SignalNames.number(spec.stopSignal ?? image.stopSignal ?? "SIGTERM")
        config.stopTimeout = spec.stopGracePeriod ?? 10
        config.autoRemove = spec.autoRemove
        config.proxiedPorts = try proxiedPorts()
        // Its name goes with it, as in `remove`.
        if spec.autoRemove { config.autoRemovePaths = [ContainerStore(state: paths.state).nameEntry(record.name)] }
        // So does the image store's writable layer of this container.
        if spec.autoRemove, case .overlay(_, let upper, _) = record.rootfs,
           let slash = upper.lastIndex(of: "/"), upper.hasPrefix(paths.state.path("images", "rw") + "/") {
            config.autoRemovePaths.append(String(upper[..<slash]))
            // A layer thrown away at exit need not reach the disk: without `volatile`, unmounting
            // the overlay syncs the whole host filesystem holding it. Only for one run: a volatile
            // upper refuses a second mount (never needed, as no restart policy comes with --rm).
            if spec.restartPolicy.name == "no", KernelRelease.current.atLeast(5, 10) {
                config.rootfsData? += ",volatile"
            }
        }
        return config
    }

    private func make(_ directory: String) throws(EngineError) {
        do { try makeDirectories(directory) } catch {
            throw EngineError(.system, "cannot create \(directory)", cause: error)
        }
    }

    private func namespaces(into config: inout LaunchConfig) throws(EngineError) {
        var kinds: Set<String> = ["mount", "uts", "ipc", "pid", "net", "cgroup"]
        switch spec.pidMode {
        case nil, "", "private": break
        case "host": kinds.remove("pid")
        case let mode? where mode.hasPrefix("container:"):
            kinds.remove("pid")
            config.joinPidNamespace = try namespacePath(ofContainer: String(mode.dropFirst(10)), kind: "pid")
        case let mode?:
            throw EngineError(.invalidArgument, "pid mode \"\(mode)\" is not valid; use host, private or container:<name|id>")
        }
        switch spec.ipcMode {
        case nil, "", "private", "shareable": break
        case "host": kinds.remove("ipc")
        case let mode? where mode.hasPrefix("container:"):
            kinds.remove("ipc")
            config.joinNamespaces.append(try namespacePath(ofContainer: String(mode.dropFirst(10)), kind: "ipc"))
        case let mode?:
            throw EngineError(.invalidArgument, "ipc mode \"\(mode)\" is not valid; use host, private, shareable or container:<name|id>")
        }
        if spec.networkMode == "host" {
            kinds.remove("net")
        } else if let path = spec.networkNamespacePath {
            kinds.remove("net")
            config.joinNamespaces.append(path)
        } else if let mode = spec.networkMode, mode.hasPrefix("container:") {
            kinds.remove("net")
            config.joinNamespaces.append(try namespacePath(ofContainer: String(mode.dropFirst(10)), kind: "net"))
        }
        config.namespaces = ["mount", "uts", "ipc", "pid", "net", "cgroup"].filter { kinds.contains($0) }
    }

    /// `/proc/<pid>/ns/<kind>` of another running container (`container:<name|id>` modes).
    private func namespacePath(ofContainer reference: String, kind: String) throws(EngineError) -> String {
        let other = try ContainerStore(state: paths.state).resolve(reference)
        let state = ContainerRunState.read(directory: ContainerPaths(state: paths.state, id: other.id).directory)
        guard state.status == .running, state.pid > 0 else {
            throw EngineError(.conflict, "cannot join the \(kind) namespace of container \(other.name): it is not running")
        }
        return "/proc/\(state.pid)/ns/\(kind)"
    }

    /// /etc/hosts, /etc/hostname and /etc/resolv.conf, made afresh in the container at each
    /// start (see `LaunchMount.content`), unless the user mounts something on the same path.
    private func etcMounts() -> [LaunchMount] {
        let hosts: String
        if spec.networkMode == "host" {
            hosts = ((try? AtomicFile.read("/etc/hosts")) ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? ""
        } else {
            hosts = EtcFiles.hosts(hostname: record.hostname, domainname: spec.domainname, addresses: spec.addresses,
                                   aliases: spec.aliases, extraHosts: spec.extraHosts)
        }
        let hostResolv = ((try? AtomicFile.read("/etc/resolv.conf")) ?? nil).map { String(decoding: $0, as: UTF8.self) }
        let resolv = EtcFiles.resolvConf(dns: spec.dns, search: spec.dnsSearch, options: spec.dnsOptions, host: hostResolv)
        let targets = Set(spec.mounts.map(\.target))
        return [("/etc/hosts", hosts), ("/etc/hostname", record.hostname + "\n"), ("/etc/resolv.conf", resolv)]
            .filter { !targets.contains($0.0) }
            .map { LaunchMount(source: "", target: $0.0, flags: spec.readOnly ? DefaultFilesystem.rdonly : 0,
                               targetIsFile: true, content: $0.1) }
    }

    private func userMounts() throws(EngineError) -> [LaunchMount] {
        var result: [LaunchMount] = []
        for mount in spec.mounts {
            guard mount.target.hasPrefix("/") else {
                throw EngineError(.invalidArgument, "invalid mount target \"\(mount.target)\": it must be an absolute path")
            }
            var flags: UInt = mount.readOnly ? DefaultFilesystem.rdonly : 0
            var data: [String] = []
            for option in mount.options {
                switch option {
                case "ro", "readonly": flags |= DefaultFilesystem.rdonly
                case "rw": flags &= ~DefaultFilesystem.rdonly
                case "nosuid": flags |= DefaultFilesystem.nosuid
                case "nodev": flags |= DefaultFilesystem.nodev
                case "noexec": flags |= DefaultFilesystem.noexec
                case "exec", "suid", "dev", "z", "Z", "rprivate", "private", "rshared", "shared", "rslave", "slave", "nocopy":
                    break
                default: data.append(option)
                }
            }
            switch mount.kind {
            case .bind, .volume:
                var info = stat()
                if stat(mount.source, &info) != 0 {
                    guard mount.kind == .bind else {
                        throw EngineError(.notFound, "the volume directory \(mount.source) for \(mount.target) is missing")
                    }
                    try make(mount.source)  // docker run -v creates a missing host directory
                    _ = stat(mount.source, &info)
                }
                result.append(LaunchMount(source: mount.source, target: mount.target, flags: flags | UInt(MS_REC),
                                          targetIsFile: info.st_mode & S_IFMT != S_IFDIR))
            case .tmpfs:
                if let size = mount.tmpfsSize { data.append("size=\(size)") }
                if let mode = mount.tmpfsMode { data.append("mode=" + String(mode, radix: 8)) }
                result.append(LaunchMount(source: "tmpfs", target: mount.target, type: "tmpfs",
                                          data: data.isEmpty ? nil : data.joined(separator: ","),
                                          flags: flags | DefaultFilesystem.nosuid | DefaultFilesystem.nodev))
            }
        }
        return result
    }

    private func devices() throws(EngineError) -> [LaunchDevice] {
        var requested = spec.devices
        if spec.privileged { requested += HostDevices.all() }
        return try requested.map { (device) throws(EngineError) -> LaunchDevice in
            var info = stat()
            guard stat(device.hostPath, &info) == 0, [S_IFCHR, S_IFBLK].contains(info.st_mode & S_IFMT) else {
                throw EngineError(.invalidArgument, "error gathering device information while adding device \"\(device.hostPath)\": not a device node")
            }
            return LaunchDevice(path: device.containerPath, mode: UInt32(info.st_mode),
                                major: UInt32((info.st_rdev >> 8) & 0xfff) | UInt32((info.st_rdev >> 32) & ~0xfff),
                                minor: UInt32(info.st_rdev & 0xff) | UInt32((info.st_rdev >> 12) & ~0xff),
                                uid: info.st_uid, gid: info.st_gid)
        }
    }
}
