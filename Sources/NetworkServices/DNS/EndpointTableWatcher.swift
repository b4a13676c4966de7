import Glibc
import SystemSupport

/// Keeps `LocalNames` in step with the endpoint table file: it is read at start and again
/// whenever the engine renames a new version into place (inotify on its directory).
public enum EndpointTableWatcher {
    /// Loads the table now and starts a thread that reloads it on every change.
    public static func watch(_ path: String, into names: LocalNames) throws(SystemCallError) {
        let slash = path.lastIndex(of: "/") ?? path.startIndex
        let directory = slash == path.startIndex ? "." : String(path[..<slash])
        let fileName = String(path[path.index(after: slash)...])
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw SystemCallError("inotify_init1") }
        guard inotify_add_watch(fd, directory, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE)) >= 0 else {
            let error = SystemCallError("inotify_add_watch", directory)
            close(fd)
            throw error
        }
        reload(path, into: names)
        startThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return }
                if mentions(fileName, in: buffer[0..<count]) { reload(path, into: names) }
            }
        }
    }

    static func reload(_ path: String, into names: LocalNames) {
        guard let bytes = try? AtomicFile.read(path) else { return }
        names.replace(EndpointTable(parsing: String(decoding: bytes, as: UTF8.self)))
    }

    /// Whether any inotify event in `events` names `fileName`.
    static func mentions(_ fileName: String, in events: ArraySlice<UInt8>) -> Bool {
        var offset = events.startIndex
        let wanted = Array(fileName.utf8)
        // struct inotify_event: wd (4), mask (4), cookie (4), len (4), name[len].
        while offset + 16 <= events.endIndex {
            let length = Int(events[offset + 12]) | Int(events[offset + 13]) << 8
                | Int(events[offset + 14]) << 16 | Int(events[offset + 15]) << 24
            let name = events[(offset + 16)..<min(offset + 16 + length, events.endIndex)].prefix { $0 != 0 }
            if Array(name) == wanted { return true }
            offset += 16 + length
        }
        return false
    }
}
