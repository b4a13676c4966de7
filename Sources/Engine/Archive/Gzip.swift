import CZlib
import Glibc
import SystemSupport

/// A byte source: a file descriptor, possibly gzip-compressed (detected by its magic).
final class ByteSource {
    private let fd: Int32
    private let path: String
    private var stream = z_stream()
    private var compressed = false
    var isCompressed: Bool { compressed }
    private var input = [UInt8](repeating: 0, count: 1 << 18)
    private var inputStart = 0, inputEnd = 0
    private var finished = false

    /// Bytes read from the underlying file, for progress.
    private(set) var consumed = 0

    init(fd: Int32, path: String) throws {
        self.fd = fd
        self.path = path
        try fill()
        if inputEnd - inputStart >= 2, input[inputStart] == 0x1f, input[inputStart + 1] == 0x8b {
            compressed = true
            // 15 + 32: a gzip header, detected automatically.
            guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw EngineError(.system, "cannot initialise zlib")
            }
        }
    }

    deinit {
        if compressed { inflateEnd(&stream) }
    }

    private func fill() throws {
        if inputStart < inputEnd { return }
        let count = input.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count < 0 { throw EngineError(.system, "reading \(path)", cause: SystemCallError("read", path)) }
        inputStart = 0
        inputEnd = count
        consumed += count
    }

    /// Reads up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished { return 0 }
        try fill()
        if !compressed {
            let count = min(buffer.count, inputEnd - inputStart)
            input.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + inputStart, byteCount: count) }
            inputStart += count
            if count == 0 { finished = true }
            return count
        }
        while true {
            try fill()
            let available = inputEnd - inputStart
            let status: Int32 = input.withUnsafeMutableBytes { inputBytes in
                stream.next_in = inputBytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + inputStart
                stream.avail_in = UInt32(available)
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(buffer.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            inputStart = inputEnd - Int(stream.avail_in)
            let produced = buffer.count - Int(stream.avail_out)
            if status == Z_STREAM_END {
                finished = true
                return produced
            }
            if status != Z_OK && status != Z_BUF_ERROR {
                throw EngineError(.corrupt, "\(path): corrupt gzip data (zlib error \(status))")
            }
            if produced > 0 { return produced }
            if available == 0 && inputEnd == 0 {
                throw EngineError(.corrupt, "\(path): truncated gzip data")
            }
        }
    }
}
