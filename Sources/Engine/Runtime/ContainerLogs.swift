import Glibc
import Monitor
import SystemSupport

/// One line of a container's json-file log.
public struct LogEntry: Sendable, Equatable {
    public var stream: String        // stdout or stderr
    public var time: Int64           // nanoseconds since the epoch
    public var text: String          // the line, newline included
}

public struct LogOptions: Sendable {
    public var follow = false
    public var tail: Int?            // last N lines; nil: all
    public var since: Int64?         // nanoseconds since the epoch
    public var until: Int64?
    public init(follow: Bool = false, tail: Int? = nil, since: Int64? = nil, until: Int64? = nil) {
        self.follow = follow; self.tail = tail; self.since = since; self.until = until
    }
}

/// Reads (and follows) a container's log files, oldest rotated file first.
struct LogReader {
    let path: String
    let maxFiles: Int

    static func parse(_ line: ArraySlice<UInt8>) -> LogEntry? {
        guard let json = try? JSONValue.parse(Array(line)), let text = json["log"]?.stringValue else { return nil }
        return LogEntry(stream: json["stream"]?.stringValue ?? "stdout",
                        time: json["time"]?.stringValue.flatMap(Timestamp.parse) ?? 0, text: text)
    }

    func files() -> [String] {
        var result: [String] = []
        for index in stride(from: max(1, maxFiles) - 1, through: 1, by: -1) where access("\(path).\(index)", F_OK) == 0 {
            result.append("\(path).\(index)")
        }
        return result + [path]
    }

    /// Complete lines from `offset` of the current file; the new offset.
    static func read(_ file: String, from offset: Int) -> ([LogEntry], Int) {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return ([], offset) }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var position = offset
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(position)) }
            if count <= 0 { break }
            data += chunk[0..<count]
            position += count
        }
        var entries: [LogEntry] = []
        var start = 0
        var consumed = 0
        for index in data.indices where data[index] == 10 {
            if let entry = parse(data[start..<index]) { entries.append(entry) }
            start = index + 1
            consumed = start
        }
        return (entries, offset + consumed)
    }
}

extension ContainerService {
    /// The container's log lines; with `follow`, keeps delivering until it stops running.
    public func logs(_ reference: String, options: LogOptions = LogOptions()) async throws(EngineError) -> AsyncStream<LogEntry> {
        let record = try store.resolve(reference)
        guard record.spec.logging.driver != "none" else {
            throw EngineError(.unsupported, "container \(record.name) has logging driver \"none\": there are no logs to show")
        }
        let paths = store.paths(record.id)
        let reader = LogReader(path: paths.log, maxFiles: Int(record.spec.logging.options["max-file"] ?? "1") ?? 1)
        var initial: [LogEntry] = []
        var offset = 0
        for file in reader.files() {
            let (entries, end) = LogReader.read(file, from: 0)
            initial += entries
            if file == paths.log { offset = end }
        }
        let keep: @Sendable (LogEntry) -> Bool = { entry in
            (options.since.map { entry.time >= $0 } ?? true) && (options.until.map { entry.time <= $0 } ?? true)
        }
        initial = initial.filter(keep)
        if let tail = options.tail, tail >= 0 { initial = Array(initial.suffix(tail)) }
        let directory = paths.directory
        let startOffset = offset
        let backlog = initial
        let logPath = paths.log
        return AsyncStream { continuation in
            for entry in backlog { continuation.yield(entry) }
            guard options.follow else { continuation.finish(); return }
            let task = Task.detached {
                var offset = startOffset
                while !Task.isCancelled {
                    let running = [.running, .restarting].contains(ContainerRunState.read(directory: directory).status)
                    var (entries, end) = LogReader.read(logPath, from: offset)
                    if end < offset { (entries, end) = LogReader.read(logPath, from: 0) }  // rotated
                    offset = end
                    for entry in entries where keep(entry) { continuation.yield(entry) }
                    if !running { break }
                    try? await Task.sleep(nanoseconds: 50_000_000)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
