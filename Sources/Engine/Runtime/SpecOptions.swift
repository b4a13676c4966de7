import Glibc
import Monitor
import SystemSupport

/// `security_opt` values: no-new-privileges and seccomp; label/apparmor are accepted and
/// ignored (this engine has no LSM profiles).
struct SecurityOptions: Equatable {
    var noNewPrivileges = false
    var seccompUnconfined = false
    var seccompProfile: String?       // a profile file in Docker's JSON format

    static func parse(_ options: [String]) throws(EngineError) -> SecurityOptions {
        var result = SecurityOptions()
        for option in options {
            let parts = option.split(maxSplits: 1, whereSeparator: { $0 == "=" || $0 == ":" }).map(String.init)
            let value = parts.count > 1 ? parts[1] : "true"
            switch parts.first ?? "" {
            case "no-new-privileges": result.noNewPrivileges = value != "false"
            case "seccomp":
                if value == "unconfined" { result.seccompUnconfined = true } else { result.seccompProfile = value }
            case "label", "apparmor", "systempaths": break
            default:
                throw EngineError(.invalidArgument, "invalid security_opt \"\(option)\"; use no-new-privileges or seccomp=unconfined")
            }
        }
        return result
    }
}

/// Ulimit names (`nofile`, `nproc`, …) → rlimits.
enum Ulimits {
    static let resources: [String: Int32] = [
        "cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7, "memlock": 8,
        "as": 9, "locks": 10, "sigpending": 11, "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15,
    ]

    static func resolve(_ ulimits: [String: ContainerSpec.Ulimit]) throws(EngineError) -> [LaunchConfig.Rlimit] {
        try ulimits.keys.sorted().map { (name) throws(EngineError) -> LaunchConfig.Rlimit in
            guard let resource = resources[name] else { throw EngineError(.invalidArgument, "invalid ulimit type: \(name)") }
            let limit = ulimits[name]!
            let value = { (v: Int64) in v < 0 ? UInt64.max : UInt64(v) }
            return LaunchConfig.Rlimit(resource: resource, soft: value(limit.soft), hard: value(limit.hard))
        }
    }
}

/// Docker's byte sizes: `512`, `64k`, `10m`, `1.5g` (binary multiples, optional `b`).
public enum ByteSize {
    public static func parse(_ text: String?) throws(EngineError) -> Int64? {
        guard var text = text?.lowercased(), !text.isEmpty else { return nil }
        if text.hasSuffix("b") { text.removeLast() }
        if text.hasSuffix("i") { text.removeLast() }
        var multiplier: Double = 1
        if let last = text.last, let power = ["k": 1, "m": 2, "g": 3, "t": 4][String(last)] {
            multiplier = Double(1 << (10 * power))
            text.removeLast()
        }
        guard let number = Double(text), number >= 0 else {
            throw EngineError(.invalidArgument, "invalid size \"\(text)\"; use a number with an optional unit: 512, 64k, 10m, 1g")
        }
        return Int64(number * multiplier)
    }
}

/// The healthcheck to run: spec fields over the image's, Docker's defaults for the rest.
enum HealthcheckResolver {
    static func resolve(spec: ContainerSpec.HealthcheckSpec?, image: ContainerSpec.HealthcheckSpec?) -> LaunchConfig.Healthcheck? {
        let test = spec?.test ?? image?.test ?? []
        guard let kind = test.first, kind != "NONE" else { return nil }
        let command: [String]
        switch kind {
        case "CMD": command = Array(test.dropFirst())
        case "CMD-SHELL": command = ["/bin/sh", "-c", test.dropFirst().joined(separator: " ")]
        default: command = ["/bin/sh", "-c", test.joined(separator: " ")]
        }
        guard !command.isEmpty else { return nil }
        let seconds: Int64 = 1_000_000_000
        func pick(_ a: Int64?, _ b: Int64?, _ fallback: Int64) -> Int64 { a.flatMap { $0 > 0 ? $0 : nil } ?? b.flatMap { $0 > 0 ? $0 : nil } ?? fallback }
        return LaunchConfig.Healthcheck(
            test: command, interval: pick(spec?.interval, image?.interval, 30 * seconds),
            timeout: pick(spec?.timeout, image?.timeout, 30 * seconds),
            startPeriod: pick(spec?.startPeriod, image?.startPeriod, 0),
            startInterval: pick(spec?.startInterval, image?.startInterval, 5 * seconds),
            retries: spec?.retries ?? image?.retries ?? 3)
    }
}

/// Every device node directly under the host's /dev (for `--privileged`).
enum HostDevices {
    static func all() -> [ContainerSpec.DeviceSpec] {
        guard let directory = opendir("/dev") else { return [] }
        defer { closedir(directory) }
        var result: [ContainerSpec.DeviceSpec] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let type = entry.pointee.d_type
            guard type == UInt8(DT_CHR) || type == UInt8(DT_BLK), !["console", "tty", "ptmx"].contains(name),
                  !DefaultFilesystem.devices.contains(where: { $0.path == "/dev/" + name }) else { continue }
            result.append(ContainerSpec.DeviceSpec(hostPath: "/dev/" + name))
        }
        return result
    }
}

/// Docker's rule for `sysctls`: only namespaced ones, since a container writing any other
/// would change the host (net.* only with a network namespace of its own).
enum SysctlPolicy {
    static let ipc: Set<String> = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
                                   "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]

    static func validated(_ sysctls: [String: String], hostNetwork: Bool) throws(EngineError) -> [String: String] {
        for key in sysctls.keys.sorted() {
            let allowed = ipc.contains(key) || key.hasPrefix("fs.mqueue.") || (key.hasPrefix("net.") && !hostNetwork)
            guard allowed, !key.contains("/"), !key.contains("..") else {
                throw EngineError(.invalidArgument, "sysctl \"\(key)\" is not allowed: only namespaced kernel parameters "
                    + "(kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, and net.* without --network host) can be set per container")
            }
        }
        return sysctls
    }
}
