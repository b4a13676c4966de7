import ArgumentParser
import Engine
import Foundation
import SystemSupport
import Monitor

struct ContainerInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show containers in detail (JSON, docker's field names).")
    @OptionGroup var engine: EngineOptions
    @Argument(help: "Containers (names or ids).") var containers: [String]

    func run() async throws {
        var objects: [[String: Any]] = []
        var failed = false
        for name in containers {
            do { objects.append(Self.object(try await engine.service.inspect(name))) } catch let error as EngineError {
                FileHandle.standardError.write(Data("swiftcompose: \(error.message)\n".utf8))
                failed = true
            }
        }
        let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
        if failed { throw ExitCode(1) }
    }

    static func object(_ info: ContainerInfo) -> [String: Any] {
        let run = info.run, spec = info.record.spec
        var state: [String: Any] = [
            "Status": info.status.rawValue, "Running": info.isRunning, "Paused": info.status == .paused,
            "Restarting": info.status == .restarting, "OOMKilled": run.oomKilled, "Dead": info.status == .dead,
            "Pid": info.isRunning ? Int(run.pid) : 0, "ExitCode": run.exitCode, "Error": run.error,
            "StartedAt": Timestamp.rfc3339(run.startedAt), "FinishedAt": Timestamp.rfc3339(run.finishedAt),
            "MonitorPid": Int(run.monitorPid), "MonitorLost": info.monitorLost,
        ]
        if let health = run.health {
            state["Health"] = [
                "Status": health, "FailingStreak": run.failingStreak,
                "Log": run.healthLog.map {
                    ["Start": Timestamp.rfc3339($0.start), "End": Timestamp.rfc3339($0.end), "ExitCode": $0.exitCode, "Output": $0.output] as [String: Any]
                },
            ] as [String: Any]
        }
        let image = info.record.imageConfig
        return [
            "Id": info.id, "Name": "/" + info.name, "Created": Timestamp.rfc3339(info.record.created),
            "Image": info.record.imageID, "RestartCount": run.restartCount, "State": state,
            "Path": (spec.entrypoint ?? image.entrypoint ?? []).first ?? (spec.command ?? image.cmd ?? []).first ?? "",
            "Config": [
                "Hostname": info.record.hostname, "Domainname": spec.domainname ?? "", "User": spec.user ?? image.user ?? "",
                "Tty": spec.tty, "OpenStdin": spec.openStdin, "Image": info.record.imageReference,
                "Env": spec.environment.keys.sorted().map { "\($0)=\(spec.environment[$0]!)" },
                "Cmd": spec.command ?? image.cmd ?? [], "Entrypoint": spec.entrypoint ?? image.entrypoint ?? [],
                "WorkingDir": spec.workingDir ?? image.workingDir ?? "", "Labels": spec.labels,
                "StopSignal": spec.stopSignal ?? image.stopSignal ?? "SIGTERM",
            ] as [String: Any],
            "HostConfig": [
                "Privileged": spec.privileged, "ReadonlyRootfs": spec.readOnly, "CapAdd": spec.capAdd, "CapDrop": spec.capDrop,
                "SecurityOpt": spec.securityOpt, "Memory": spec.resources.memory ?? 0, "NanoCpus": spec.resources.nanoCPUs ?? 0,
                "PidsLimit": spec.resources.pidsLimit ?? 0, "Init": spec.initProcess, "AutoRemove": spec.autoRemove,
                "RestartPolicy": ["Name": spec.restartPolicy.name, "MaximumRetryCount": spec.restartPolicy.maximumRetryCount],
                "NetworkMode": spec.networkMode ?? "none",
            ] as [String: Any],
            "Mounts": spec.mounts.map {
                ["Type": $0.kind.rawValue, "Source": $0.source, "Destination": $0.target, "RW": !$0.readOnly] as [String: Any]
            },
        ]
    }
}

struct ContainerLogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show a container's output.")
    @OptionGroup var engine: EngineOptions
    @Flag(name: [.customShort("f"), .long], help: "Follow the output until the container stops.") var follow = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines from the end (all by default).") var tail: String = "all"
    @Option(name: .long, help: "Only lines since this time (RFC 3339 or Unix seconds) or duration ago (e.g. 10m).") var since: String?
    @Flag(name: [.customShort("t"), .long], help: "Prefix every line with its timestamp.") var timestamps = false
    @Argument(help: "Container (name or id).") var container: String

    func run() async throws {
        let sinceTime = try since.map { try LogTimeArgument.nanoseconds($0, flag: "--since") }
        do {
            let lines = try await engine.service.logs(container, options: LogOptions(
                follow: follow, tail: tail == "all" ? nil : Int(tail), since: sinceTime))
            for await entry in lines {
                let text = timestamps ? Timestamp.rfc3339(entry.time) + " " + entry.text : entry.text
                FileHandle(fileDescriptor: entry.stream == "stderr" ? 2 : 1).write(Data(text.utf8))
            }
        } catch { failAndExit(error) }
    }
}
