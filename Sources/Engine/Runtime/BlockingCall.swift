import Glibc
import SystemSupport

/// Runs blocking work (waiting on a monitor's socket, following a log) on a thread of its
/// own, so an orchestrator awaiting many containers never starves Swift's small
/// cooperative pool (two threads on a two-core machine).
enum BlockingCall {
    private final class Job: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a detached thread of its own (a long blocking read, e.g. `watch`).
    static func detach(_ body: @escaping @Sendable () -> Void) {
        _ = start(Job(body))
    }

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(EngineError) -> T) async throws(EngineError) -> T {
        let result: Result<T, EngineError> = await withCheckedContinuation { continuation in
            let job = Job {
                do throws(EngineError) { continuation.resume(returning: .success(try body())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            // Without a thread of its own, the caller's does the work rather than never.
            if !start(job) { job.body() }
        }
        return try result.get()
    }

    /// Starts a detached thread running `job`; false when none could be created.
    private static func start(_ job: Job) -> Bool {
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
            job.body()
            return nil
        }, Unmanaged.passRetained(job).toOpaque())
        guard started == 0 else {
            Unmanaged.passUnretained(job).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
