import Glibc

/// Starts a detached thread (no Foundation, no Dispatch: the monitor and netd stay small);
/// its resources go when it ends.
public func startThread(_ body: @escaping () -> Void) {
    final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    // Relays, resolvers and blocking waits need little stack; 256 KiB keeps many of them cheap.
    pthread_attr_setstacksize(&attributes, 256 * 1024)
    let created = pthread_create(&thread, &attributes, { raw in
        Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, Unmanaged.passRetained(Work(body)).toOpaque())
    pthread_attr_destroy(&attributes)
    precondition(created == 0, "pthread_create failed: \(created)")
    pthread_detach(thread)
}
