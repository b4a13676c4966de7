import Glibc

/// Crash-safe writes: a record is written to a temporary file beside its destination,
/// fsynced, and renamed over it, so a reader (or a kill -9) sees the old or the new
/// content, never half of one.
public enum AtomicFile {
    /// `durable: false` skips the fsyncs: still all-or-nothing for readers and across a
    /// kill -9, but not across a power cut — for files regenerated on every use.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, durable: Bool = true) throws(SystemCallError) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try Syscall.retrying("open", temporary) { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        var failure: SystemCallError?
        do throws(SystemCallError) {
            try Syscall.writeAll(fd, bytes[...], temporary)
        } catch {
            failure = error
        }
        if failure == nil, durable, fsync(fd) != 0 { failure = SystemCallError("fsync", temporary) }
        close(fd)
        if let failure {
            unlink(temporary)
            throw failure
        }
        if rename(temporary, path) != 0 {
            let error = SystemCallError("rename", path)
            unlink(temporary)
            throw error
        }
        if durable { syncDirectory(of: path) }
    }

    public static func write(_ text: String, to path: String, mode: mode_t = 0o644, durable: Bool = true) throws(SystemCallError) {
        try write(Array(text.utf8), to: path, mode: mode, durable: durable)
    }

    /// Reads a whole file; nil when it does not exist.
    public static func read(_ path: String) throws(SystemCallError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw SystemCallError("open", path)
        }
        defer { close(fd) }
        return try Syscall.readToEnd(fd, path)
    }

    /// Makes a rename durable by syncing the directory that holds it.
    private static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

/// An advisory lock on a file (flock), held until `unlock` or process exit — so a
/// killed holder never leaves a stale lock behind.
public final class FileLock: @unchecked Sendable {
    private let fd: Int32
    public let path: String

    /// Blocks until the exclusive lock on `path` (created if missing) is held.
    public init(exclusive path: String) throws(SystemCallError) {
        self.path = path
        fd = try Syscall.retrying("open", path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        do {
            try Syscall.retrying("flock", path) { flock(fd, LOCK_EX) }
        } catch {
            close(fd)
            throw error
        }
    }

    /// Takes the lock only if nobody holds it; nil otherwise.
    public static func attempt(exclusive path: String) throws(SystemCallError) -> FileLock? {
        let fd = try Syscall.retrying("open", path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw SystemCallError("flock", path, errno: code)
        }
        return FileLock(fd: fd, path: path)
    }

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }
}

/// Creates a directory and its parents (mkdir -p); existing directories are fine.
public func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemCallError) {
    if mkdir(path, mode) == 0 || errno == EEXIST { return }
    guard errno == ENOENT else { throw SystemCallError("mkdir", path) }
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
        try makeDirectories(String(path[..<slash]), mode: mode)
    }
    if mkdir(path, mode) != 0 && errno != EEXIST { throw SystemCallError("mkdir", path) }
}
