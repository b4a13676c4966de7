import Glibc
import SystemSupport

/// Writes a tar stream (ustar, with PAX extended headers for what ustar cannot hold) to a
/// file descriptor, hashing every byte written: the digest of an uncompressed layer is
/// its diff ID. Entries are `TarEntry` values, the same model the reader produces.
final class TarWriter {
    private let fd: Int32
    private let name: String
    private var hasher = SHA256Hasher()
    private(set) var bytesWritten: Int64 = 0

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    /// Appends one entry; for a regular file, `content` supplies exactly `entry.size` bytes.
    func append(_ entry: TarEntry, content: Int32? = nil, bytes: [UInt8]? = nil) throws(EngineError) {
        var extended: [(String, [UInt8])] = []
        let (prefix, base) = Self.split(entry.path)
        if base == nil { extended.append(("path", Array(entry.path.utf8))) }
        if entry.linkTarget.utf8.count > 100 { extended.append(("linkpath", Array(entry.linkTarget.utf8))) }
        if entry.size > 0o77777777777 { extended.append(("size", Array(String(entry.size).utf8))) }
        for (key, value) in entry.xattrs { extended.append(("SCHILY.xattr." + key, value)) }
        if !extended.isEmpty {
            let records = extended.flatMap(Self.paxRecord)
            let paxName = String(decoding: ("PaxHeaders/" + (entry.path.split(separator: "/").last.map(String.init) ?? "entry")).utf8.prefix(100),
                                 as: UTF8.self)
            let pax = TarEntry(path: paxName, kind: .file, mode: 0o644, uid: 0, gid: 0, size: records.count,
                               modified: entry.modified, linkTarget: "", deviceMajor: 0, deviceMinor: 0, xattrs: [])
            try write(header(pax, prefix: "", base: paxName, type: UInt8(ascii: "x")))
            try write(records)
            try pad(records.count)
        }
        try write(header(entry, prefix: prefix, base: base ?? String(entry.path.suffix(100)), type: Self.typeFlag(entry.kind)))
        guard entry.kind == .file, entry.size > 0 else { return }
        if let bytes {
            try write(bytes)
            try pad(bytes.count)
            return
        }
        guard let content else { throw EngineError(.invalidArgument, "\(name): no content for \(entry.path)") }
        var remaining = entry.size
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while remaining > 0 {
            let count = buffer.withUnsafeMutableBytes { read(content, $0.baseAddress, min($0.count, remaining)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw EngineError(.system, "\(name): \(entry.path) changed size while it was archived") }
            try write(Array(buffer[0..<count]))
            remaining -= count
        }
        try pad(entry.size)
    }

    /// Appends a regular file whose content is `bytes`.
    func append(file path: String, bytes: [UInt8], mode: UInt32 = 0o644, modified: Int64 = 0) throws(EngineError) {
        let entry = TarEntry(path: path, kind: .file, mode: mode, uid: 0, gid: 0, size: bytes.count, modified: modified,
                             linkTarget: "", deviceMajor: 0, deviceMinor: 0, xattrs: [])
        try append(entry, content: nil, bytes: bytes)
    }

    /// Ends the archive (two zero blocks) and returns the digest of everything written.
    func finish() throws(EngineError) -> String {
        try write([UInt8](repeating: 0, count: 1024))
        var done = SHA256Hasher()
        swap(&done, &hasher)
        return done.finalize()
    }

    // MARK: encoding

    private static func typeFlag(_ kind: TarEntry.Kind) -> UInt8 {
        switch kind {
        case .file: UInt8(ascii: "0")
        case .hardLink: UInt8(ascii: "1")
        case .symlink: UInt8(ascii: "2")
        case .characterDevice: UInt8(ascii: "3")
        case .blockDevice: UInt8(ascii: "4")
        case .directory: UInt8(ascii: "5")
        case .fifo: UInt8(ascii: "6")
        }
    }

    /// ustar keeps a path as prefix (155 bytes) + "/" + name (100 bytes); nil when it cannot.
    private static func split(_ path: String) -> (String, String?) {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ("", path) }
        for index in stride(from: min(bytes.count - 1, 155), to: 0, by: -1) where bytes[index] == UInt8(ascii: "/") {
            let name = bytes[(index + 1)...]
            if name.count <= 100, !name.isEmpty {
                return (String(decoding: bytes[..<index], as: UTF8.self), String(decoding: name, as: UTF8.self))
            }
            break
        }
        return ("", nil)
    }

    /// A PAX record is "<length> key=value\n" where length counts the whole record.
    private static func paxRecord(_ pair: (String, [UInt8])) -> [UInt8] {
        let body = Array(" \(pair.0)=".utf8) + pair.1 + [UInt8(ascii: "\n")]
        var length = body.count + 1
        while String(length).utf8.count + body.count > length { length += 1 }
        return Array(String(length).utf8) + body
    }

    private func header(_ entry: TarEntry, prefix: String, base: String, type: UInt8) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            // Values too large for the field went into the PAX header; keep the field valid.
            let text = String(min(value, (1 << (3 * (width - 1))) - 1), radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - text.count)) + text, at: offset, width: width - 1)
        }
        put(base, at: 0, width: 100)
        octal(Int64(entry.mode & 0o7777), at: 100, width: 8)
        octal(Int64(entry.uid), at: 108, width: 8)
        octal(Int64(entry.gid), at: 116, width: 8)
        octal(entry.kind == .file ? Int64(entry.size) : 0, at: 124, width: 12)
        octal(max(0, entry.modified), at: 136, width: 12)
        block[156] = type
        put(entry.linkTarget, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        if entry.kind == .characterDevice || entry.kind == .blockDevice {
            octal(Int64(entry.deviceMajor), at: 329, width: 8)
            octal(Int64(entry.deviceMinor), at: 337, width: 8)
        }
        put(prefix, at: 345, width: 155)
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int64($1) }
        octal(sum, at: 148, width: 7)
        block[155] = UInt8(ascii: " ")
        return block
    }

    // MARK: output

    private func pad(_ size: Int) throws(EngineError) {
        let remainder = size % 512
        if remainder != 0 { try write([UInt8](repeating: 0, count: 512 - remainder)) }
    }

    private func write(_ bytes: [UInt8]) throws(EngineError) {
        hasher.update(bytes)
        do throws(SystemCallError) {
            try Syscall.writeAll(fd, bytes[...], name)
        } catch {
            throw EngineError(.system, "writing \(name)", cause: error)
        }
        bytesWritten += Int64(bytes.count)
    }
}
