import ComposeModel
import Engine
import Foundation
import SystemSupport

/// Compose secrets and configs as files: each one a service mounts is written (from its
/// `file:`, `environment:` or `content:`) into a directory of the container's, with the
/// `uid`, `gid` and `mode` asked for, and bind-mounted read-only at its target —
/// `/run/secrets/<name>` for secrets, `/<name>` for configs unless a target is given.
enum SecretFiles {
    static func directory(state: StateRoot, container: String) -> String {
        state.path("secrets", container)
    }

    static func mounts(for service: Service, project: Project, container: String, state: StateRoot) throws(OrchestratorError) -> [ContainerSpec.MountSpec] {
        var result: [ContainerSpec.MountSpec] = []
        let directory = directory(state: state, container: container)
        for (kind, mounts, definitions) in [("secret", service.secrets, project.secrets), ("config", service.configs, project.configs)] {
            for (index, mount) in mounts.enumerated() {
                guard let definition = definitions.first(where: { $0.key == mount.source }) else {
                    throw OrchestratorError("service \"\(service.name)\" uses undefined \(kind) \(mount.source)")
                }
                if definition.external {
                    throw OrchestratorError("service \"\(service.name)\": external \(kind)s (\(mount.source)) need a swarm; use file:, environment: or content:")
                }
                let data: Data
                if let file = definition.file {
                    guard let contents = FileManager.default.contents(atPath: file) else {
                        throw OrchestratorError("\(kind) \(mount.source): cannot read \(file); create the file or fix its path")
                    }
                    data = contents
                } else if let variable = definition.environmentVariable {
                    guard let value = project.environment[variable] else {
                        throw OrchestratorError("\(kind) \(mount.source): environment variable \(variable) is not set")
                    }
                    data = Data(value.utf8)
                } else if let content = definition.content {
                    data = Data(content.utf8)
                } else {
                    throw OrchestratorError("\(kind) \(mount.source) has no file, environment or content")
                }
                let path = directory + "/\(kind)-\(index)-\(mount.source)"
                do {
                    try makeDirectories(directory, mode: 0o700)
                    try AtomicFile.write(Array(data), to: path, mode: mode_t(mount.mode ?? 0o444))
                } catch {
                    throw OrchestratorError("cannot write \(kind) \(mount.source): \(error)")
                }
                chmod(path, mode_t(mount.mode ?? 0o444))
                chown(path, uid_t(mount.uid.flatMap { UInt32($0) } ?? 0), gid_t(mount.gid.flatMap { UInt32($0) } ?? 0))
                let target = mount.target.map { $0.hasPrefix("/") ? $0 : (kind == "secret" ? "/run/secrets/" + $0 : "/" + $0) }
                    ?? (kind == "secret" ? "/run/secrets/\(mount.source)" : "/\(mount.source)")
                result.append(ContainerSpec.MountSpec(kind: .bind, source: path, target: target, readOnly: true))
            }
        }
        return result
    }

    static func remove(state: StateRoot, container: String) {
        try? FileManager.default.removeItem(atPath: directory(state: state, container: container))
    }
}
