import Glibc
import SystemSupport

/// Docker's json-file log: one `{"log":…,"stream":…,"time":…}` line per output line,
/// rotated at `maxSize` bytes keeping `maxFiles` files (`<path>`, `<path>.1`, …).
public final class JSONLogWriter {
    public let path: String
    private let maxSize: Int64
    private let maxFiles: Int
    private var fd: Int32 = -1
    private var size: Int64 = 0
    private var pending: [String: [UInt8]] = [:]
    /// Docker splits lines longer than this into partial messages.
    private let lineLimit = 16 * 1024

    public init(path: String, maxSize: Int64, maxFiles: Int) {
        self.path = path
        self.maxSize = maxSize
        self.maxFiles = max(1, maxFiles)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Opened at the first entry: a container that prints nothing (`run --rm … true`) gets
    /// no file to create and delete again. Readers take a missing log for an empty one.
    private func reopen() {
        if fd >= 0 { close(fd) }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        var info = stat()
        size = fd >= 0 && fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Appends output of `stream` ("stdout"/"stderr"); complete lines are written now.
    public func append(_ bytes: UnsafeRawBufferPointer, stream: String) {
        var buffer = pending[stream] ?? []
        buffer.append(contentsOf: bytes)
        var start = 0
        var index = 0
        while index < buffer.count {
            if buffer[index] == 10 || index - start + 1 >= lineLimit {
                writeEntry(buffer[start...index], stream: stream)
                start = index + 1
            }
            index += 1
        }
        pending[stream] = Array(buffer[start...])
    }

    /// Writes what remains of unterminated lines (at exit).
    public func flush() {
        for (stream, rest) in pending where !rest.isEmpty { writeEntry(rest[...], stream: stream) }
        pending = [:]
    }

    private func writeEntry(_ line: ArraySlice<UInt8>, stream: String) {
        var entry: [UInt8] = Array("{\"log\":".utf8)
        JSONValue.writeString(String(decoding: line, as: UTF8.self), to: &entry)
        entry += Array(",\"stream\":\"\(stream)\",\"time\":\"\(Timestamp.rfc3339(Timestamp.now()))\"}\n".utf8)
        if fd < 0 { reopen() }
        if maxSize > 0, size > 0, size + Int64(entry.count) > maxSize { rotate() }
        guard fd >= 0 else { return }
        // A log that cannot be written (disk full) loses the line, never the container.
        try? Syscall.writeAll(fd, entry[...])
        size += Int64(entry.count)
    }

    private func rotate() {
        if maxFiles <= 1 {
            if fd >= 0 { _ = ftruncate(fd, 0) }
            size = 0
            return
        }
        unlink("\(path).\(maxFiles - 1)")
        var index = maxFiles - 2
        while index >= 1 {
            rename("\(path).\(index)", "\(path).\(index + 1)")
            index -= 1
        }
        rename(path, "\(path).1")
        reopen()
    }
}
