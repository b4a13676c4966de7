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

    /// Writes every byte of `bytes` to `fd`, through short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ subject: String? = nil) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            let written = try retrying("write", subject) { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else { throw SystemCallError("write", subject, errno: EIO) }
            offset += written
        }
    }

    /// `writeAll` of an array (or a slice of one).
    public static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>, _ subject: String? = nil) throws(SystemCallError) {
        let failure = bytes.withUnsafeBytes { buffer -> SystemCallError? in
            do throws(SystemCallError) { try writeAll(fd, buffer, subject) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Reads until end of file (or of stream), through short reads and EINTR.
    public static func readToEnd(_ fd: Int32, _ subject: String? = nil) throws(SystemCallError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try retrying("read", subject) { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
            if count == 0 { return result }
            result += chunk[0..<count]
        }
    }
}
