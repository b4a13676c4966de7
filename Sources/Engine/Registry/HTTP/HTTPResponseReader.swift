import SystemSupport

/// What an HTTP exchange runs over: a TCP connection, a TLS session on one, or a test's bytes.
protocol HTTPTransport: AnyObject {
    /// Fills some of `buffer`; 0 at the end of the stream.
    func read(_ buffer: UnsafeMutableRawBufferPointer) throws(EngineError) -> Int
    func write(_ bytes: UnsafeRawBufferPointer) throws(EngineError) -> Int
}

extension HTTPTransport {
    func writeAll(_ bytes: [UInt8]) throws(EngineError) {
        var offset = 0
        while offset < bytes.count {
            // withUnsafeBytes rethrows untyped: the error travels in a Result.
            let written = try bytes.withUnsafeBytes { raw in
                Result { () throws(EngineError) in try write(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }.get()
            offset += written
        }
    }
}

/// Reads one response from a transport: the head, then the body however it is framed
/// (Content-Length, chunked, or until the connection closes), handed on in pieces.
final class HTTPResponseReader {
    private let transport: any HTTPTransport
    private let origin: String          // for messages: who answered
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0, end = 0
    /// A head longer than this is not an HTTP server we want to talk to.
    static let maximumHeadSize = 1 << 20

    init(_ transport: any HTTPTransport, origin: String) {
        self.transport = transport
        self.origin = origin
    }

    private func malformed(_ what: String) -> EngineError {
        EngineError(.network, "\(origin) sent a malformed HTTP answer (\(what))")
    }

    /// More bytes into the buffer; false at the end of the stream.
    private func fill() throws(EngineError) -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            if start > 0 {
                buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                end -= start
                start = 0
            } else {
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
        }
        let got = try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(EngineError) in try transport.read(UnsafeMutableRawBufferPointer(rebasing: raw[end...])) }
        }.get()
        end += got
        return got > 0
    }

    /// One line without its CRLF (or LF).
    private func line(limit: Int = maximumHeadSize) throws(EngineError) -> String {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                var lineEnd = newline
                if lineEnd > start, buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                let text = String(decoding: buffer[start..<lineEnd], as: UTF8.self)
                start = newline + 1
                return text
            }
            guard end - start < limit else { throw malformed("a line longer than \(limit) bytes") }
            guard try fill() else { throw malformed("the connection closed in the middle of a line") }
        }
    }

    /// The status line and headers; informational (1xx) answers are skipped.
    func head() throws(EngineError) -> HTTPResponse {
        while true {
            let status = try line()
            let parts = status.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]), (100...999).contains(code) else {
                throw malformed("status line \"\(status.prefix(80))\"")
            }
            var headers: [(name: String, value: String)] = []
            var size = status.utf8.count
            while true {
                let header = try line()
                if header.isEmpty { break }
                size += header.utf8.count
                guard size < Self.maximumHeadSize else { throw malformed("headers larger than 1 MiB") }
                guard let colon = header.firstIndex(of: ":"), colon > header.startIndex else {
                    throw malformed("header line \"\(header.prefix(80))\"")
                }
                headers.append((String(header[..<colon]), header[header.index(after: colon)...].trimmed(of: " \t")))
            }
            if code >= 100, code < 200 { continue }
            return HTTPResponse(statusCode: code, headers: headers)
        }
    }

    /// Hands the body of `response` (to `method`) to `sink` piece by piece.
    func body(of response: HTTPResponse, method: String,
              into sink: (UnsafeRawBufferPointer) throws(EngineError) -> Void) throws(EngineError) {
        if method == "HEAD" || response.statusCode == 204 || response.statusCode == 304 { return }
        if let encoding = response.header("Transfer-Encoding"), encoding.lowercased().contains("chunked") {
            while true {
                let sizeLine = try line(limit: 1024)
                let digits = sizeLine.prefix { $0 != ";" }.trimmed(of: " \t")
                guard let size = Int(digits, radix: 16), size >= 0 else { throw malformed("chunk size \"\(sizeLine.prefix(40))\"") }
                if size == 0 { break }
                try copy(size, into: sink)
                guard try line(limit: 2).isEmpty else { throw malformed("a chunk longer than its size") }
            }
            while try !line().isEmpty {}  // trailers
            return
        }
        if let lengthText = response.header("Content-Length") {
            guard let length = Int(lengthText), length >= 0 else { throw malformed("Content-Length \"\(lengthText.prefix(40))\"") }
            try copy(length, into: sink)
            return
        }
        while true {
            if start < end {
                try hand(start..<end, to: sink)
                start = end
            }
            guard try fill() else { return }
        }
    }

    /// Exactly `count` bytes to `sink`.
    private func copy(_ count: Int, into sink: (UnsafeRawBufferPointer) throws(EngineError) -> Void) throws(EngineError) {
        var remaining = count
        while remaining > 0 {
            if start == end {
                guard try fill() else { throw EngineError(.network, "\(origin) closed the connection \(remaining) bytes before the end of the answer") }
            }
            let piece = min(remaining, end - start)
            try hand(start..<(start + piece), to: sink)
            start += piece
            remaining -= piece
        }
    }

    private func hand(_ range: Range<Int>, to sink: (UnsafeRawBufferPointer) throws(EngineError) -> Void) throws(EngineError) {
        try buffer.withUnsafeBytes { raw in
            Result { () throws(EngineError) in try sink(UnsafeRawBufferPointer(rebasing: raw[range])) }
        }.get()
    }
}
