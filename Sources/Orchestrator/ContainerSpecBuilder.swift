import Foundation
import ComposeModel
import Engine

/// A compose service as the engine's container spec: everything `docker compose` would
/// pass to the Docker engine for one replica, except networking, which the orchestrator
/// attaches separately.
enum ContainerSpecBuilder {
    static func spec(for service: Service, project: Project, name: String, number: Int,
                     volumes: [String: String]) throws(OrchestratorError) -> ContainerSpec {
        guard let image = service.image ?? (service.build != nil ? "\(project.name)-\(service.name)" : nil) else {
            throw OrchestratorError("service \"\(service.name)\" has neither an image nor a build section")
        }
        var spec = ContainerSpec(image: image, command: service.command)
        spec.name = name
        spec.entrypoint = service.entrypoint
        for (key, value) in service.environment {
            if let value { spec.environment[key] = value }
        }
        spec.user = service.user
        spec.groupAdd = service.groupAdd
        spec.workingDir = service.workingDir
        spec.hostname = service.hostname ?? name
        spec.domainname = service.domainname
        spec.tty = service.tty
        spec.openStdin = service.stdinOpen
        spec.readOnly = service.readOnly
        spec.privileged = service.privileged
        spec.capAdd = service.capAdd
        spec.capDrop = service.capDrop
        spec.securityOpt = service.securityOpt
        spec.devices = service.devices.map { ContainerSpec.DeviceSpec(hostPath: $0.source, containerPath: $0.target, permissions: $0.permissions) }
        spec.sysctls = service.sysctls
        for limit in service.ulimits {
            spec.ulimits[limit.name] = ContainerSpec.Ulimit(soft: Int64(limit.soft), hard: Int64(limit.hard))
        }
        spec.resources.memory = service.memoryLimit.map(Int64.init)
        spec.resources.memoryReservation = service.memoryReservation.map(Int64.init)
        spec.resources.memorySwap = service.memorySwapLimit.map(Int64.init)
        spec.resources.nanoCPUs = service.cpus.map { Int64($0 * 1e9) }
        spec.resources.cpuShares = service.cpuShares.map(Int64.init)
        spec.resources.cpusetCPUs = service.cpuset
        spec.resources.pidsLimit = service.pidsLimit.map(Int64.init)
        spec.resources.shmSize = service.shmSize.map(Int64.init)
        spec.resources.oomScoreAdj = service.oomScoreAdj
        spec.initProcess = service.initProcess ?? false
        spec.stopSignal = service.stopSignal
        spec.stopGracePeriod = service.stopGracePeriodNanoseconds.map { Int(($0 + 999_999_999) / 1_000_000_000) }
        spec.pidMode = service.pid
        spec.ipcMode = service.ipc
        spec.extraHosts = service.extraHosts.map { "\($0.host):\($0.address)" }
        spec.dns = service.dns
        spec.dnsSearch = service.dnsSearch
        spec.dnsOptions = service.dnsOptions
        spec.restartPolicy = restartPolicy(service.restart)
        if let health = service.healthcheck {
            var check = ContainerSpec.HealthcheckSpec(test: health.disable ? ["NONE"] : health.test)
            check.interval = health.intervalNanoseconds
            check.timeout = health.timeoutNanoseconds
            check.startPeriod = health.startPeriodNanoseconds
            check.startInterval = health.startIntervalNanoseconds
            check.retries = health.retries
            spec.healthcheck = check
        }
        if let logging = service.logging {
            if let driver = logging.driver { spec.logging.driver = driver == "none" ? "none" : "json-file" }
            spec.logging.options = logging.options
        }
        spec.labels = service.labels
        spec.mounts = try mounts(for: service, volumes: volumes)
        return spec
    }

    static func restartPolicy(_ text: String?) -> ContainerSpec.RestartPolicy {
        guard let text else { return ContainerSpec.RestartPolicy() }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let retries = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        return ContainerSpec.RestartPolicy(name: parts[0], maximumRetryCount: retries)
    }

    /// Bind mounts as given, named volumes at their directories, anonymous volumes at
    /// the directories the orchestrator made for them, tmpfs with size and mode.
    static func mounts(for service: Service, volumes: [String: String]) throws(OrchestratorError) -> [ContainerSpec.MountSpec] {
        var result: [ContainerSpec.MountSpec] = []
        for volume in service.volumes {
            switch volume.type {
            case .bind:
                guard let source = volume.source else { continue }
                // A missing source is made when asked (short syntax always asks, as in
                // docker compose); otherwise it is an error naming the path.
                if !FileManager.default.fileExists(atPath: source) {
                    guard volume.createHostPath else {
                        throw OrchestratorError("service \"\(service.name)\": bind source path \(source) does not exist; "
                            + "create it, or set bind.create_host_path: true")
                    }
                    do { try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true) } catch {
                        throw OrchestratorError("service \"\(service.name)\": cannot create the bind source \(source): \(error.localizedDescription)")
                    }
                }
                var mount = ContainerSpec.MountSpec(kind: .bind, source: source, target: volume.target, readOnly: volume.readOnly)
                if let propagation = volume.propagation { mount.options.append(propagation) }
                result.append(mount)
            case .volume:
                let key = volume.source ?? "anonymous:\(volume.target)"
                guard let directory = volumes[key] else {
                    throw OrchestratorError("service \"\(service.name)\": no directory for volume \(key)")
                }
                var mount = ContainerSpec.MountSpec(kind: .volume, source: directory, target: volume.target, readOnly: volume.readOnly)
                mount.volumeName = volume.source
                result.append(mount)
            case .tmpfs:
                var mount = ContainerSpec.MountSpec(kind: .tmpfs, source: "tmpfs", target: volume.target)
                mount.tmpfsSize = volume.tmpfsSize.map(Int64.init)
                mount.tmpfsMode = volume.tmpfsMode.map(UInt32.init)
                result.append(mount)
            default:
                throw OrchestratorError("service \"\(service.name)\": \(volume.type.rawValue) mounts are not supported")
            }
        }
        for entry in service.tmpfs {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            var mount = ContainerSpec.MountSpec(kind: .tmpfs, source: "tmpfs", target: parts[0])
            if parts.count > 1 { mount.options = parts[1].split(separator: ",").map(String.init) }
            result.append(mount)
        }
        return result
    }
}

/// An orchestration failure, said for people: which service, what happened, what to do.
public struct OrchestratorError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// Docker compose's exit code for it (1 unless a container's own code is passed on).
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}
