import Dispatch
import Glibc
import Synchronization
import SystemSupport

/// A layer blob read for unpacking. A thread of its own reads and decompresses it a few
/// chunks ahead of the reader and computes the two digests a store needs — of the blob as
/// stored (its digest) and of the uncompressed tar (its diff ID) — and, when asked, copies
/// the blob as it goes. Unpacking is disk-bound on the reader's side (creating files); this
/// moves the CPU-bound half (inflate, SHA-256) to the other core.
final class LayerStream: TarSource {
    struct Summary: Sendable {
        var digest: String
        var diffID: String
        var size: Int64
        var compression: ByteSource.Compression
    }

    private enum Item: Sendable {
        case data([UInt8], Int)
        case end(Summary)
        case failure(EngineError)
    }

    private static let chunkSize = 1 << 20
    private static let chunksAhead = 4

    /// What the two threads share; the producer holds this, not the stream, so that a
    /// stream dropped half-read still stops (and waits for) its producer.
    private final class Channel: Sendable {
        let queue = Mutex<[Item]>([])
        let filled = DispatchSemaphore(value: 0)
        /// Started at 0 and signalled up: libdispatch refuses to free a semaphore left
        /// below the value it was created with.
        let free = DispatchSemaphore(value: 0)
        let stopped = DispatchSemaphore(value: 0)
        let cancelled = Atomic<Bool>(false)

        init() {
            for _ in 0..<LayerStream.chunksAhead { free.signal() }
        }
    }

    private let channel = Channel()
    private var current: [UInt8] = []
    private var currentEnd = 0
    private var offset = 0
    private var summary: Summary?

    /// Starts reading `fd` (which must stay open until `finish()` returns or this stream
    /// is released); with `copy`, every byte of the blob is also written there.
    /// `progress` hears the bytes of the blob read so far, after each chunk.
    init(fd: Int32, path: String, copy: Int32? = nil, progress: (@Sendable (Int64) -> Void)? = nil) throws {
        let producer = try Producer(fd: fd, copy: copy, path: path, progress: progress)
        let channel = channel
        BlockingCall.detach {
            Self.produce(producer, channel)
            channel.stopped.signal()
        }
    }

    deinit {
        channel.cancelled.store(true, ordering: .relaxed)
        channel.free.signal()
        channel.stopped.wait()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while offset == currentEnd {
            if summary != nil { return 0 }
            channel.filled.wait()
            let item = channel.queue.withLock { $0.removeFirst() }
            channel.free.signal()
            switch item {
            case .data(let bytes, let count): (current, currentEnd, offset) = (bytes, count, 0)
            case .end(let result): summary = result
            case .failure(let error): throw error
            }
        }
        let count = min(buffer.count, currentEnd - offset)
        current.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
        offset += count
        return count
    }

    /// Reads to the end of the blob and returns its digests.
    func finish() throws -> Summary {
        var scratch = [UInt8](repeating: 0, count: 65536)
        while try scratch.withUnsafeMutableBytes({ (buffer) throws -> Int in try read(into: buffer) }) > 0 {}
        return summary!
    }

    /// The producing side's state, touched only by its thread.
    private final class Producer: @unchecked Sendable {
        private var source: ByteSource!
        let path: String
        var blobHasher = SHA256Hasher()
        var tarHasher = SHA256Hasher()
        var copyFailure: SystemCallError?

        let progress: (@Sendable (Int64) -> Void)?

        init(fd: Int32, copy: Int32?, path: String, progress: (@Sendable (Int64) -> Void)?) throws {
            self.path = path
            self.progress = progress
            // The observer sees the blob from its first byte (ByteSource reads on creation).
            source = try ByteSource(fd: fd, path: path) { [unowned self] bytes in
                blobHasher.update(bytes)
                guard let copy, copyFailure == nil else { return }
                do throws(SystemCallError) { try Syscall.writeAll(copy, bytes, "copy of \(path)") } catch { copyFailure = error }
            }
        }

        /// The next chunk of the tar stream (count 0 at its end, with the digests final).
        func next() throws -> ([UInt8], Int) {
            var chunk = [UInt8](repeating: 0, count: LayerStream.chunkSize)
            var count = 0
            while count < chunk.count {
                let read = try chunk.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
                if read == 0 { break }
                count += read
            }
            chunk.withUnsafeBytes { tarHasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            progress?(Int64(source.consumed))
            if count == 0 { try source.readRemainingInput() }
            if let copyFailure { throw copyFailure }
            return (chunk, count)
        }

        func summary() -> Summary {
            var blob = SHA256Hasher(), tar = SHA256Hasher()
            swap(&blob, &blobHasher)
            swap(&tar, &tarHasher)
            return Summary(digest: blob.finalize(), diffID: tar.finalize(), size: Int64(source.consumed), compression: source.compression)
        }
    }

    private static func produce(_ producer: Producer, _ channel: Channel) {
        while true {
            channel.free.wait()
            if channel.cancelled.load(ordering: .relaxed) { return }
            let item: Item
            do {
                let (chunk, count) = try producer.next()
                item = count == 0 ? .end(producer.summary()) : .data(chunk, count)
            } catch let error as EngineError {
                item = .failure(error)
            } catch {
                item = .failure(EngineError(.system, "reading \(producer.path)", cause: error))
            }
            channel.queue.withLock { $0.append(item) }
            channel.filled.signal()
            if case .data = item { continue }
            return
        }
    }
}
