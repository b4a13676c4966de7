import Foundation
import Glibc
import SystemSupport

/// An image's layers mounted on the host for the builder: writable (a fresh upper
/// directory that becomes the next layer, for COPY/ADD/WORKDIR) or read-only (the source
/// of `COPY --from`). Always unmounted and removed by `release()`.
final class BuildMount {
    let merged: String
    let upper: String?
    private let directory: String

    init(store: ImageStore, layers: [LayerRecord], writable: Bool) throws(EngineError) {
        directory = store.state.path("images") + "/build/" + UUID().uuidString.lowercased()
        merged = directory + "/merged"
        upper = writable ? directory + "/upper" : nil
        do {
            try makeDirectories(merged)
            var lower = store.lowerDirectories(layers)
            let empty = try store.emptyLayerDirectory()
            // overlayfs wants two lower layers when there is no upper one.
            if lower.isEmpty || !writable { lower.append(empty) }
            var options = "lowerdir=" + lower.joined(separator: ":")
            if let upper {
                try makeDirectories(upper, mode: 0o755)
                try makeDirectories(directory + "/work", mode: 0o700)
                options += ",upperdir=\(upper),workdir=\(directory)/work"
            }
            let status = options.withCString { mount("overlay", merged, "overlay", writable ? 0 : UInt(MS_RDONLY), $0) }
            guard status == 0 else { throw SystemCallError("mount overlay", merged) }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw EngineError(.system, "cannot mount the image layers for the build", cause: error)
        }
    }

    /// Unmounts (keeping the upper directory until `remove()`).
    func unmount() {
        umount2(merged, Int32(MNT_DETACH))
    }

    func remove() {
        unmount()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
