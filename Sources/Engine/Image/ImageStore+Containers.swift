import Foundation
import Glibc
import SystemSupport

extension ImageStore {
    /// What the runtime needs to run a container on `reference`: the image's config and an
    /// overlay of its snapshots (top first) with a fresh writable layer for this container.
    /// Release the writable layer with `releaseContainerLayer` when the container is removed.
    public func containerImage(_ reference: String) throws(EngineError) -> ContainerImage {
        let image = try resolve(reference)
        let layerDirectory = directory + "/rw/" + UUID().uuidString.lowercased()
        do {
            try makeSpreadingDirectory(directory + "/rw")
            try makeDirectories(layerDirectory + "/upper", mode: 0o755)
            try makeDirectories(layerDirectory + "/work", mode: 0o700)
        } catch {
            throw EngineError(.system, "cannot create the container's writable layer", cause: error)
        }
        var lower = image.layers.reversed().map { shortLink($0.chainID) }
        if lower.isEmpty {
            // overlayfs needs a lower layer: an empty one stands for `scratch`.
            let empty = directory + "/empty"
            try? makeDirectories(empty)
            lower = [empty]
        }
        let config = image.configuration.config
        var runtime = ContainerImage.Config(entrypoint: config.Entrypoint, cmd: config.Cmd, env: config.Env,
                                            workingDir: config.WorkingDir, user: config.User, stopSignal: config.StopSignal)
        runtime.labels = config.Labels
        return ContainerImage(reference: image.names.first.map(ImageReferenceFormatting.familiar) ?? reference, id: image.id,
                              config: runtime, rootfs: .overlay(lower: lower, upper: layerDirectory + "/upper", work: layerDirectory + "/work"))
    }

    /// Removes a container's writable layer (after the container is removed).
    public func releaseContainerLayer(_ rootfs: ContainerImage.Rootfs) {
        guard case .overlay(_, let upper, _) = rootfs else { return }
        let layer = (upper as NSString).deletingLastPathComponent
        guard layer.hasPrefix(directory + "/rw/") else { return }
        try? FileManager.default.removeItem(atPath: layer)
    }
}
