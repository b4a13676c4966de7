import Glibc
import SystemSupport

extension ContainerService {
    /// Makes an image of the container's filesystem and its effective command, environment,
    /// working directory, user and labels (`docker commit`). The image is a single layer
    /// (the container's whole filesystem): the store has no "parent + changes" import yet.
    public func commit(_ reference: String, as imageReference: String?, comment: String? = nil) async throws(EngineError) -> ImageRecord {
        let record = try store.resolve(reference)
        let tarball = store.paths(record.id).directory + "/commit-\(UInt32.random(in: 0...UInt32.max)).tar"
        let fd = open(tarball, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EngineError(.system, "cannot commit \(record.name)", cause: SystemCallError("open", tarball)) }
        defer { unlink(tarball) }
        do {
            try await export(record.id, to: fd)
            close(fd)
        } catch {
            close(fd)
            throw error
        }
        let spec = record.spec, image = record.imageConfig
        var config = ImageConfiguration.Config()
        config.Entrypoint = spec.entrypoint ?? image.entrypoint
        config.Cmd = spec.entrypoint != nil ? spec.command : (spec.command ?? image.cmd)
        var environment = image.env ?? []
        for key in spec.environment.keys.sorted() {
            environment.removeAll { $0.hasPrefix(key + "=") }
            environment.append("\(key)=\(spec.environment[key]!)")
        }
        config.Env = environment
        config.WorkingDir = spec.workingDir ?? image.workingDir
        config.User = spec.user ?? image.user
        config.StopSignal = spec.stopSignal ?? image.stopSignal
        config.Labels = (image.labels ?? [:]).merging(spec.labels) { $1 }
        return try ImageStore(state: state).importRootfs(tarball: tarball, reference: imageReference, config: config,
                                                         comment: comment ?? "committed from container \(record.name)")
    }
}
