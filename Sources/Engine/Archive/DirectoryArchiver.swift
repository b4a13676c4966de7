import CFileSystem
import Glibc
import SystemSupport

/// Writes a directory tree as a layer tar, in sorted order so that the same tree always
/// gives the same diff ID. An overlayfs upper directory becomes an OCI layer: its 0:0
/// character devices (deletions) become `.wh.<name>` entries and its opaque directories
/// get a `.wh..wh..opq` entry. Hard links within the tree stay hard links.
struct DirectoryArchiver {
    let root: String
    /// Paths (relative, without leading `/`) to leave out, such as mount points the
    /// runtime created in a build container's upper layer.
    var skip: (String) -> Bool = { _ in false }

    private struct Inode: Hashable { var device: UInt64; var number: UInt64 }

    func write(to writer: TarWriter) throws(EngineError) {
        var links: [Inode: String] = [:]
        try walk("", writer, &links)
    }

    private func walk(_ relative: String, _ writer: TarWriter, _ links: inout [Inode: String]) throws(EngineError) {
        let directory = relative.isEmpty ? root : root + "/" + relative
        guard let handle = opendir(directory) else {
            throw EngineError(.system, "cannot read \(directory)", cause: SystemCallError("opendir", directory))
        }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(handle)
        for name in names.sorted() {
            let path = relative.isEmpty ? name : relative + "/" + name
            if skip(path) { continue }
            let full = root + "/" + path
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            var entry = TarEntry(path: path, kind: .file, mode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid,
                                 size: 0, modified: Int64(info.st_mtim.tv_sec), linkTarget: "", deviceMajor: 0, deviceMinor: 0, xattrs: [])
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                entry.kind = .directory
                entry.path += "/"
                try writer.append(entry)
                if Self.isOpaque(full) {
                    try writer.append(Self.marker(path + "/.wh..wh..opq", modified: entry.modified))
                }
                try walk(path, writer, &links)
            case S_IFREG:
                let inode = Inode(device: UInt64(info.st_dev), number: UInt64(info.st_ino))
                if info.st_nlink > 1, let first = links[inode] {
                    entry.kind = .hardLink
                    entry.linkTarget = first
                    try writer.append(entry)
                    continue
                }
                if info.st_nlink > 1 { links[inode] = path }
                entry.size = Int(info.st_size)
                let fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                guard fd >= 0 else { throw EngineError(.system, "cannot read \(full)", cause: SystemCallError("open", full)) }
                defer { close(fd) }
                try writer.append(entry, content: fd)
            case S_IFLNK:
                entry.kind = .symlink
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(full, &buffer, buffer.count - 1)
                guard count >= 0 else { throw EngineError(.system, "cannot read link \(full)", cause: SystemCallError("readlink", full)) }
                entry.linkTarget = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                try writer.append(entry)
            case S_IFCHR where info.st_rdev == 0:
                // overlayfs's mark of a deleted path.
                let parent = (path as String).split(separator: "/").dropLast().joined(separator: "/")
                try writer.append(Self.marker((parent.isEmpty ? "" : parent + "/") + ".wh." + name, modified: entry.modified))
            case S_IFCHR, S_IFBLK:
                entry.kind = info.st_mode & S_IFMT == S_IFCHR ? .characterDevice : .blockDevice
                entry.deviceMajor = UInt32((info.st_rdev >> 8) & 0xfff) | UInt32((info.st_rdev >> 32) & ~0xfff)
                entry.deviceMinor = UInt32(info.st_rdev & 0xff) | UInt32((info.st_rdev >> 12) & ~0xff)
                try writer.append(entry)
            case S_IFIFO:
                entry.kind = .fifo
                try writer.append(entry)
            default:
                continue // sockets have no place in a layer
            }
        }
    }

    private static func marker(_ path: String, modified: Int64) -> TarEntry {
        TarEntry(path: path, kind: .file, mode: 0, uid: 0, gid: 0, size: 0, modified: modified, linkTarget: "",
                 deviceMajor: 0, deviceMinor: 0, xattrs: [])
    }

    private static func isOpaque(_ path: String) -> Bool {
        var value = [UInt8](repeating: 0, count: 4)
        let count = lgetxattr(path, "trusted.overlay.opaque", &value, value.count)
        return count == 1 && value[0] == UInt8(ascii: "y")
    }
}
