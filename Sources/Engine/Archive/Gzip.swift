import CZlib
import CZstd
import Glibc
import SystemSupport

/// A byte source: a file descriptor, possibly gzip- or zstd-compressed (detected by
/// their magic numbers).
final class ByteSource: TarSource {
    enum Compression { case none, gzip, zstd }

    private let fd: Int32
    private let path: String
    private var stream = z_stream()
    private var zstdStream: OpaquePointer?
    private(set) var compression = Compression.none
    var isCompressed: Bool { compression != .none }
    private var input = [UInt8](repeating: 0, count: 1 << 18)
    private var inputStart = 0, inputEnd = 0
    private var finished = false
    private var frameComplete = true

    /// Bytes read from the underlying file, for progress.
    private(set) var consumed = 0
    /// Sees every byte read from the file, as read (compressed): for a blob's digest.
    private let inputObserver: ((UnsafeRawBufferPointer) -> Void)?

    init(fd: Int32, path: String, inputObserver: ((UnsafeRawBufferPointer) -> Void)? = nil) throws {
        self.fd = fd
        self.path = path
        self.inputObserver = inputObserver
        try fill()
        if inputEnd - inputStart >= 2, input[inputStart] == 0x1f, input[inputStart + 1] == 0x8b {
            compression = .gzip
            // 15 + 32: a gzip header, detected automatically.
            guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw EngineError(.system, "cannot initialise zlib")
            }
        } else if inputEnd - inputStart >= 4, Array(input[inputStart..<(inputStart + 4)]) == [0x28, 0xB5, 0x2F, 0xFD] {
            compression = .zstd
            zstdStream = ZSTD_createDStream()
            guard zstdStream != nil else { throw EngineError(.system, "cannot initialise zstd") }
        }
    }

    deinit {
        switch compression {
        case .gzip: inflateEnd(&stream)
        case .zstd: ZSTD_freeDStream(zstdStream)
        case .none: break
        }
    }

    private func fill() throws {
        if inputStart < inputEnd { return }
        let count = input.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count < 0 { throw EngineError(.system, "reading \(path)", cause: SystemCallError("read", path)) }
        inputStart = 0
        inputEnd = count
        consumed += count
        if let inputObserver, count > 0 { input.withUnsafeBytes { inputObserver(UnsafeRawBufferPointer(rebasing: $0[0..<count])) } }
    }

    /// Reads what is left of the file, past the end of the compressed stream, so that the
    /// input observer has seen every byte.
    func readRemainingInput() throws {
        inputStart = inputEnd
        while true {
            try fill()
            if inputEnd == 0 { return }
            inputStart = inputEnd
        }
    }

    /// Reads up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished { return 0 }
        try fill()
        if compression == .zstd { return try readZstd(into: buffer) }
        if compression == .none {
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

    /// zstd frames, one after another, until the input ends.
    private func readZstd(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            try fill()
            let available = inputEnd - inputStart
            if available == 0 {
                finished = true
                if !frameComplete { throw EngineError(.corrupt, "\(path): truncated zstd data") }
                return 0
            }
            var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let (status, consumedBytes): (Int, Int) = input.withUnsafeBytes { inputBytes in
                var inputBuffer = ZSTD_inBuffer(src: inputBytes.baseAddress! + inputStart, size: available, pos: 0)
                let status = ZSTD_decompressStream(zstdStream, &output, &inputBuffer)
                return (status, inputBuffer.pos)
            }
            inputStart += consumedBytes
            if ZSTD_isError(status) != 0 {
                throw EngineError(.corrupt, "\(path): corrupt zstd data (\(String(cString: ZSTD_getErrorName(status))))")
            }
            frameComplete = status == 0
            if output.pos > 0 { return output.pos }
        }
    }
}
