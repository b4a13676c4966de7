import Glibc

/// Every system call the engine makes goes through here: EINTR is retried, and a
/// failure becomes a `SystemCallError` naming the call and what it acted on.
public enum Syscall {
    /// Runs `body` until it does not fail with EINTR; a result of -1 throws.
    @discardableResult
    public static func retrying<T: FixedWidthInteger>(
        _ call: String, _ subject: String? = nil, _ body: () -> T
    ) throws(SystemCallError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemCallError(call, subject, errno: code)
        }
    }
}
