import CRuntime
import Glibc
import Monitor
import SystemSupport

/// A change in a container's filesystem against its image (`docker diff`).
public struct FilesystemChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case added = "A", changed = "C", deleted = "D" }
    public var kind: Kind
    public var path: String
}

extension ContainerService {
    /// Writes a tar of the container's root filesystem (without its mounts) to `output`.
    public func export(_ reference: String, to output: Int32) async throws(EngineError) {
        let record = try store.resolve(reference)
        var root: FilesystemRoot
        switch record.rootfs {
        case .directory(let path):
            root = FilesystemRoot(path: path)
        case .overlay(let lower, let upper, _):
            // A second, read-only view of the layers (upper as the top lower layer: no work
            // directory, so it never disturbs a running container's own mount).
            let mountPoint = store.paths(record.id).directory + "/export-root"
            do { try makeDirectories(mountPoint) } catch {
                throw EngineError(.system, "cannot prepare the export of \(record.name)", cause: error)
            }
            root = FilesystemRoot(path: mountPoint, mountType: "overlay",
                                  mountData: "lowerdir=\(upper):\(lower.joined(separator: ":"))")
        }
        let pid = spawn(root: root, cwd: "/", ["tar", "-c", "-f", "-", "."], input: -1, output: output)
        guard pid > 0, reap(pid) == 0 else {
            throw EngineError(.system, "could not export the filesystem of container \(record.name)")
        }
    }

    /// What the container changed in its layers: added, changed and deleted paths.
    public func diff(_ reference: String) async throws(EngineError) -> [FilesystemChange] {
        let record = try store.resolve(reference)
        guard case .overlay(let lower, let upper, _) = record.rootfs else {
            throw EngineError(.unsupported, "container \(record.name) runs on a plain directory, not image layers: there is no base to compare with")
        }
        var changes: [FilesystemChange] = []
        var pending = [""]
        while let directory = pending.popLast() {
            guard let handle = opendir(upper + (directory.isEmpty ? "/" : directory)) else { continue }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                let path = directory + "/" + name
                var info = stat()
                guard lstat(upper + path, &info) == 0 else { continue }
                // A 0:0 character device in the upper layer is overlayfs's mark of a deletion.
                if info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0 {
                    changes.append(FilesystemChange(kind: .deleted, path: path))
                    continue
                }
                let existed = lower.contains { lstat($0 + path, &info) == 0 }
                changes.append(FilesystemChange(kind: existed ? .changed : .added, path: path))
                if entry.pointee.d_type == UInt8(DT_DIR) { pending.append(path) }
            }
        }
        return changes.sorted { $0.path < $1.path }
    }
}
