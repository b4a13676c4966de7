import Glibc
import SystemSupport

/// One entry of a tar archive (ustar, GNU long names, PAX extended headers).
struct TarEntry {
    enum Kind { case file, hardLink, symlink, characterDevice, blockDevice, directory, fifo }
    var path: String
    var kind: Kind
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: Int
    var modified: Int64
    var linkTarget: String
    var deviceMajor: UInt32
    var deviceMinor: UInt32
    var xattrs: [(String, [UInt8])]
}

/// Where a tar stream comes from: a file (ByteSource) or a layer being unpacked (LayerStream).
protocol TarSource: AnyObject {
    /// Reads up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads a tar stream entry by entry.
final class TarReader {
    private let source: any TarSource
    private let name: String
    private var block = [UInt8](repeating: 0, count: 512)
    private var remaining = 0      // content bytes of the current entry not yet read
    private var padding = 0
    /// Refuse absurd sizes rather than trusting a header (64 GiB per file).
    static let maximumEntrySize = 64 << 30

    init(source: any TarSource, name: String) {
        self.source = source
        self.name = name
    }

    private func readFully(_ buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        var offset = 0
        while offset < buffer.count {
            let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
            if count == 0 {
                if offset == 0 { return false }
                throw truncated()
            }
            offset += count
        }
        return true
    }

    private func truncated() -> EngineError {
        EngineError(.corrupt, "\(name): the archive is truncated")
    }

    private func readBlock() throws -> Bool {
        try block.withUnsafeMutableBytes { (buffer) throws -> Bool in try readFully(buffer) }
    }

    /// The next entry, or nil at the end of the archive.
    func next() throws -> TarEntry? {
        try skipContent()
        var longName: String?
        var longLink: String?
        var pax: [String: [UInt8]] = [:]
        while true {
            guard try readBlock() else { return nil }
            if block.allSatisfy({ $0 == 0 }) {
                try drain()
                return nil
            }
            try verifyChecksum()
            let type = block[156]
            let size = try number(124, 12, "size")
            guard size >= 0, size <= Self.maximumEntrySize else {
                throw EngineError(.unsafe, "\(name): entry size \(size) is out of range")
            }
            switch type {
            case UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "x"), UInt8(ascii: "g"):
                guard size <= 1 << 20 else { throw EngineError(.unsafe, "\(name): extended header of \(size) bytes is too large") }
                let data = try readData(size)
                switch type {
                case UInt8(ascii: "L"): longName = cString(data)
                case UInt8(ascii: "K"): longLink = cString(data)
                case UInt8(ascii: "x"): pax.merge(try parsePAX(data)) { $1 }
                default: break // global headers: nothing we honour
                }
                continue
            default:
                break
            }
            var path = longName ?? headerPath()
            if let value = pax["path"] { path = String(decoding: value, as: UTF8.self) }
            var link = longLink ?? field(157, 100)
            if let value = pax["linkpath"] { link = String(decoding: value, as: UTF8.self) }
            let kind: TarEntry.Kind
            switch type {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): kind = path.hasSuffix("/") ? .directory : .file
            case UInt8(ascii: "1"): kind = .hardLink
            case UInt8(ascii: "2"): kind = .symlink
            case UInt8(ascii: "3"): kind = .characterDevice
            case UInt8(ascii: "4"): kind = .blockDevice
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "6"): kind = .fifo
            default:
                throw EngineError(.unsupported, "\(name): unsupported tar entry type \"\(Character(Unicode.Scalar(type)))\" for \(path)")
            }
            var entrySize = kind == .file ? size : 0
            if let value = pax["size"], let parsed = Int(String(decoding: value, as: UTF8.self)) {
                guard parsed >= 0, parsed <= Self.maximumEntrySize else { throw EngineError(.unsafe, "\(name): entry size out of range") }
                entrySize = kind == .file ? parsed : 0
            }
            var xattrs: [(String, [UInt8])] = []
            for (key, value) in pax where key.hasPrefix("SCHILY.xattr.") {
                xattrs.append((String(key.dropFirst("SCHILY.xattr.".count)), value))
            }
            let headerTime = try number(136, 12, "mtime")
            let headerUID = try number(108, 8, "uid")
            let headerGID = try number(116, 8, "gid")
            let paxTime = pax["mtime"].flatMap { Double(String(decoding: $0, as: UTF8.self)) }
            let modified = paxTime.flatMap { $0.isFinite && abs($0) < 1e15 ? Int64($0.rounded(.down)) : nil } ?? Int64(headerTime)
            let uid = pax["uid"].flatMap { UInt32(String(decoding: $0, as: UTF8.self)) } ?? UInt32(truncatingIfNeeded: headerUID)
            let gid = pax["gid"].flatMap { UInt32(String(decoding: $0, as: UTF8.self)) } ?? UInt32(truncatingIfNeeded: headerGID)
            let mode = try number(100, 8, "mode")
            let major = try number(329, 8, "devmajor")
            let minor = try number(337, 8, "devminor")
            let entry = TarEntry(path: path, kind: kind, mode: UInt32(truncatingIfNeeded: mode) & 0o7777,
                                 uid: uid, gid: gid, size: entrySize, modified: modified, linkTarget: link,
                                 deviceMajor: UInt32(truncatingIfNeeded: major),
                                 deviceMinor: UInt32(truncatingIfNeeded: minor), xattrs: xattrs)
            // Entries other than regular files may still carry data in odd archives: skip it.
            remaining = kind == .file ? entrySize : size
            padding = (512 - size % 512) % 512
            if kind == .file, entrySize != size { padding = (512 - entrySize % 512) % 512 }
            return entry
        }
    }

    /// Reads the current entry's content in chunks; returns 0 at its end.
    func readContent(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if remaining == 0 { return 0 }
        let count = min(buffer.count, remaining)
        let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        let complete = try readFully(target)
        guard complete else { throw truncated() }
        remaining -= count
        return count
    }

    private func skipContent() throws {
        var scratch = [UInt8](repeating: 0, count: 65536)
        while remaining > 0 {
            _ = try scratch.withUnsafeMutableBytes { (buffer) throws -> Int in try readContent(into: buffer) }
        }
        if padding > 0 {
            var pad = [UInt8](repeating: 0, count: padding)
            let complete = try pad.withUnsafeMutableBytes { (buffer) throws -> Bool in try readFully(buffer) }
            guard complete else { throw truncated() }
            padding = 0
        }
    }

    /// Reads to the end of the stream (the trailing zero blocks), so that a digest of the
    /// stream covers every byte.
    private func drain() throws {
        var scratch = [UInt8](repeating: 0, count: 65536)
        while try scratch.withUnsafeMutableBytes({ (buffer) throws -> Int in try source.read(into: buffer) }) > 0 {}
    }

    private func readData(_ size: Int) throws -> [UInt8] {
        var data = [UInt8](repeating: 0, count: size)
        if size > 0 {
            let complete = try data.withUnsafeMutableBytes { (buffer) throws -> Bool in try readFully(buffer) }
            guard complete else { throw truncated() }
        }
        let pad = (512 - size % 512) % 512
        if pad > 0 {
            var scratch = [UInt8](repeating: 0, count: pad)
            let complete = try scratch.withUnsafeMutableBytes { (buffer) throws -> Bool in try readFully(buffer) }
            guard complete else { throw truncated() }
        }
        return data
    }

    private func verifyChecksum() throws {
        var sum = 0
        for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        let recorded = try number(148, 8, "checksum")
        guard recorded == sum else { throw EngineError(.corrupt, "\(name): tar header checksum mismatch (not a tar archive, or corrupt)") }
    }

    private func field(_ offset: Int, _ length: Int) -> String {
        cString(Array(block[offset..<(offset + length)]))
    }

    private func cString(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private func headerPath() -> String {
        let name = field(0, 100)
        let isUstar = block[257..<262].elementsEqual(Array("ustar".utf8))
        let prefix = isUstar ? field(345, 155) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// Octal text, or GNU base-256 when the high bit is set.
    private func number(_ offset: Int, _ length: Int, _ what: String) throws -> Int {
        let bytes = block[offset..<(offset + length)]
        if let first = bytes.first, first & 0x80 != 0 {
            var value = Int(first & 0x7f)
            for byte in bytes.dropFirst() {
                guard value < (Int.max >> 8) else { throw EngineError(.unsafe, "\(name): tar \(what) field is out of range") }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        for byte in bytes {
            if byte == 0 || byte == 32 { continue }
            guard byte >= 48, byte <= 55 else { throw EngineError(.corrupt, "\(name): invalid tar \(what) field") }
            guard value < (Int.max >> 3) else { throw EngineError(.unsafe, "\(name): tar \(what) field is out of range") }
            value = value * 8 + Int(byte - 48)
        }
        return value
    }

    private func parsePAX(_ data: [UInt8]) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        var index = 0
        while index < data.count {
            guard let space = data[index...].firstIndex(of: 32),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0,
                  index + length <= data.count,
                  let equals = data[(space + 1)..<(index + length)].firstIndex(of: UInt8(ascii: "=")) else {
                throw EngineError(.corrupt, "\(name): malformed PAX header")
            }
            let key = String(decoding: data[(space + 1)..<equals], as: UTF8.self)
            result[key] = Array(data[(equals + 1)..<(index + length - 1)])
            index += length
        }
        return result
    }
}
