import CNetworkSupport
import Glibc
import SystemSupport

/// Network namespaces kept alive by a bind mount of their nsfs file (as `ip netns` does),
/// so a container's namespace — and with it its addresses — outlives its processes.
enum NetworkNamespace {
    /// Creates a fresh namespace and pins it at `path` (a file that must not exist yet).
    static func create(at path: String) throws(SystemCallError) {
        let fd = try Syscall.retrying("open", path) { open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444) }
        close(fd)
        // unshare moves only the calling thread; a throwaway thread keeps ours untouched.
        let result: SystemCallError? = onThrowawayThread {
            if swiftcompose_unshare_network() != 0 { return SystemCallError("unshare", "CLONE_NEWNET") }
            let own = "/proc/thread-self/ns/net"
            if mount(own, path, nil, UInt(MS_BIND), nil) != 0 { return SystemCallError("mount", path) }
            do throws(SystemCallError) {
                let socket = try NetlinkSocket()
                if let loopback = try socket.linkIndex(named: "lo") { try socket.setUp(index: loopback) }
            } catch {
                return error
            }
            return nil
        }
        if let result {
            remove(at: path)
            throw result
        }
    }

    /// Whether `path` is a pinned namespace (an nsfs file), not a stale placeholder left by
    /// a crash between creating the file and mounting the namespace on it.
    /// (A mounted namespace lives on nsfs, another device than its directory's.)
    static func isPinned(at path: String) -> Bool {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        var file = stat()
        var parent = stat()
        guard stat(path, &file) == 0, stat(directory, &parent) == 0 else { return false }
        return file.st_dev != parent.st_dev
    }

    /// Unpins and deletes the namespace file; the namespace dies with its last process.
    static func remove(at path: String) {
        _ = umount2(path, Int32(MNT_DETACH))
        _ = unlink(path)
    }

    /// A netlink socket that acts inside the namespace pinned at `path`.
    static func netlinkSocket(in path: String) throws(SystemCallError) -> NetlinkSocket {
        let result = try run(in: path) { () -> Result<Int32, SystemCallError> in
            let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            return fd < 0 ? .failure(SystemCallError("socket", "AF_NETLINK in \(path)")) : .success(fd)
        }
        return NetlinkSocket(adopting: try result.get())
    }

    /// Runs `body` on a thread inside the namespace pinned at `path`; sockets it opens stay
    /// in that namespace after it returns.
    static func run<T>(in path: String, _ body: @escaping () -> T) throws(SystemCallError) -> T {
        let namespace = try Syscall.retrying("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(namespace) }
        let result: Result<T, SystemCallError> = onThrowawayThread {
            if swiftcompose_enter_network(namespace) != 0 { return .failure(SystemCallError("setns", path)) }
            return .success(body())
        }
        return try result.get()
    }
}

/// Runs `body` on a new thread and waits for it; whatever namespace the thread entered
/// ends with it.
func onThrowawayThread<T>(_ body: @escaping () -> T) -> T {
    let slot = ResultSlot<T>()
    let work = ThreadWork { slot.value = body() }
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { raw in
        Unmanaged<ThreadWork>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, Unmanaged.passRetained(work).toOpaque())
    precondition(created == 0, "pthread_create failed: \(created)")
    pthread_join(thread, nil)
    return slot.value!
}

private final class ThreadWork {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

private final class ResultSlot<T> {
    var value: T?
}
