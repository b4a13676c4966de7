import CFileSystem
import Glibc
import SystemSupport

/// Applies one layer tar to a snapshot directory the way overlayfs expects it: whiteouts
/// (`.wh.name`) become 0:0 character devices, opaque markers (`.wh..wh..opq`) the
/// `trusted.overlay.opaque` attribute. Every path is resolved component by component
/// from the snapshot's directory descriptor without following symlinks, so no entry —
/// `..`, an absolute path, a path through a symlink, a hard link to outside — can write
/// anywhere but inside the snapshot; each such attempt stops the extraction with an error.
struct LayerExtractor {
    let root: Int32
    let archiveName: String
    private var directories: [(path: [String], entry: TarEntry)] = []
    /// The directory of the last entry, kept open: entries come grouped by directory, and
    /// walking the path again per entry was most of the extraction's system calls. It stays
    /// valid — an entry only ever replaces children of its own directory.
    private var lastParent: (path: ArraySlice<String>, fd: Int32)?

    init(root: Int32, archiveName: String) {
        self.root = root
        self.archiveName = archiveName
    }

    static func extract(_ reader: TarReader, into directory: String, archiveName: String) throws {
        let root = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw EngineError(.system, "cannot open \(directory)", cause: SystemCallError("open", directory)) }
        defer { close(root) }
        var extractor = LayerExtractor(root: root, archiveName: archiveName)
        defer { extractor.forgetParent() }
        while let entry = try reader.next() {
            try extractor.apply(entry, reader)
        }
        try extractor.finishDirectories()
    }

    private mutating func forgetParent() {
        if let lastParent { close(lastParent.fd) }
        lastParent = nil
    }

    /// The directory holding the last component, borrowed (the extractor closes it).
    private mutating func parent(_ parts: [String], entry: String) throws -> Int32 {
        let path = parts.dropLast()
        if let lastParent, lastParent.path == path { return lastParent.fd }
        forgetParent()
        let fd = try openParent(parts, entry: entry)
        lastParent = (path, fd)
        return fd
    }

    private func refuse(_ entry: String, _ why: String) -> EngineError {
        EngineError(.unsafe, "\(archiveName): refusing entry \"\(entry)\": \(why)")
    }

    /// Archive path → components, refusing absolute paths and `..`.
    private func components(_ path: String, entry: String) throws -> [String] {
        if path.hasPrefix("/") { throw refuse(entry, "absolute paths are not allowed in a layer") }
        var parts: [String] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { throw refuse(entry, "it climbs out with \"..\"") }
            parts.append(String(part))
        }
        return parts
    }

    /// Opens the directory holding the last component, creating missing directories,
    /// never following a symlink.
    private func openParent(_ parts: [String], entry: String) throws -> Int32 {
        var fd = dup(root)
        for part in parts.dropLast() {
            var next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT {
                mkdirat(fd, part, 0o755)
                next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if next < 0 {
                let code = errno
                close(fd)
                if code == ELOOP || code == ENOTDIR { throw refuse(entry, "a parent directory is a symlink or not a directory") }
                throw EngineError(.system, "\(archiveName): \(entry)", cause: SystemCallError("openat", part, errno: code))
            }
            close(fd)
            fd = next
        }
        return fd
    }

    private func removeExisting(_ parent: Int32, _ name: String, keepDirectory: Bool) {
        var info = stat()
        guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            if keepDirectory { return }
            removeTree(parent, name)
        } else {
            unlinkat(parent, name, 0)
        }
    }

    private func removeTree(_ parent: Int32, _ name: String) {
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0, let dir = fdopendir(fd) {
            var children: [String] = []
            while let item = readdir(dir) {
                let child = withUnsafeBytes(of: item.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if child != "." && child != ".." { children.append(child) }
            }
            for child in children {
                var info = stat()
                if fstatat(fd, child, &info, AT_SYMLINK_NOFOLLOW) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                    removeTree(fd, child)
                } else {
                    unlinkat(fd, child, 0)
                }
            }
            closedir(dir)
        }
        unlinkat(parent, name, AT_REMOVEDIR)
    }

    mutating func apply(_ entry: TarEntry, _ reader: TarReader) throws {
        let parts = try components(entry.path, entry: entry.path)
        guard let name = parts.last else { return } // the root itself: "./"
        let parent = try parent(parts, entry: entry.path)
        if name == ".wh..wh..opq" {
            let value = Array("y".utf8)
            guard fsetxattr(parent, "trusted.overlay.opaque", value, value.count, 0) == 0 else {
                throw EngineError(.system, "\(archiveName): marking \(entry.path) opaque", cause: SystemCallError("fsetxattr", entry.path))
            }
            return
        }
        if name.hasPrefix(".wh.") {
            let hidden = String(name.dropFirst(4))
            guard !hidden.isEmpty, hidden != "..", hidden != "." else { throw refuse(entry.path, "malformed whiteout") }
            removeExisting(parent, hidden, keepDirectory: false)
            guard mknodat(parent, hidden, S_IFCHR | 0o000, 0) == 0 else {
                throw EngineError(.system, "\(archiveName): whiteout \(entry.path)", cause: SystemCallError("mknodat", hidden))
            }
            return
        }
        switch entry.kind {
        case .directory:
            // Made first, replaced only when something is there (a lower layer's entry).
            if mkdirat(parent, name, 0o700) != 0 {
                removeExisting(parent, name, keepDirectory: true)
                if mkdirat(parent, name, 0o700) != 0 && errno != EEXIST {
                    throw EngineError(.system, "\(archiveName): \(entry.path)", cause: SystemCallError("mkdirat", entry.path))
                }
            }
            directories.append((parts, entry))
        case .file:
            let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
            var fd = openat(parent, name, flags, 0o600)
            if fd < 0 && errno == EEXIST {
                removeExisting(parent, name, keepDirectory: false)
                fd = openat(parent, name, flags, 0o600)
            }
            guard fd >= 0 else { throw EngineError(.system, "\(archiveName): \(entry.path)", cause: SystemCallError("openat", entry.path)) }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 1 << 18)
            while true {
                let count = try buffer.withUnsafeMutableBytes { try reader.readContent(into: $0) }
                if count == 0 { break }
                do throws(SystemCallError) {
                    try Syscall.writeAll(fd, buffer[0..<count], entry.path)
                } catch {
                    throw EngineError(.system, "\(archiveName): writing \(entry.path)", cause: error)
                }
            }
            fchown(fd, entry.uid, entry.gid)
            fchmod(fd, mode_t(entry.mode))
            setXattrs(fd, entry)
            var times = [timespec(tv_sec: Int(entry.modified), tv_nsec: 0), timespec(tv_sec: Int(entry.modified), tv_nsec: 0)]
            futimens(fd, &times)
        case .symlink:
            removeExisting(parent, name, keepDirectory: false)
            // The target is stored as written: it is never followed while extracting.
            guard symlinkat(entry.linkTarget, parent, name) == 0 else {
                throw EngineError(.system, "\(archiveName): \(entry.path)", cause: SystemCallError("symlinkat", entry.path))
            }
            fchownat(parent, name, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW)
            var times = [timespec(tv_sec: Int(entry.modified), tv_nsec: 0), timespec(tv_sec: Int(entry.modified), tv_nsec: 0)]
            utimensat(parent, name, &times, AT_SYMLINK_NOFOLLOW)
        case .hardLink:
            let targetParts = try components(entry.linkTarget.hasPrefix("/") ? String(entry.linkTarget.drop { $0 == "/" }) : entry.linkTarget,
                                             entry: entry.path)
            guard let targetName = targetParts.last else { throw refuse(entry.path, "hard link to the layer root") }
            let targetParent = try openParent(targetParts, entry: entry.path)
            defer { close(targetParent) }
            removeExisting(parent, name, keepDirectory: false)
            // Flags 0: a link to a symlink links the symlink itself, never what it points to.
            guard linkat(targetParent, targetName, parent, name, 0) == 0 else {
                throw EngineError(.unsafe, "\(archiveName): hard link \(entry.path) → \(entry.linkTarget) has no target inside the layer",
                                  cause: SystemCallError("linkat", entry.linkTarget))
            }
        case .characterDevice, .blockDevice, .fifo:
            removeExisting(parent, name, keepDirectory: false)
            let type: mode_t = entry.kind == .fifo ? S_IFIFO : entry.kind == .characterDevice ? S_IFCHR : S_IFBLK
            let device = makedev(entry.deviceMajor, entry.deviceMinor)
            guard mknodat(parent, name, type | mode_t(entry.mode), entry.kind == .fifo ? 0 : device) == 0 else {
                throw EngineError(.system, "\(archiveName): \(entry.path)", cause: SystemCallError("mknodat", entry.path))
            }
            fchownat(parent, name, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW)
        }
    }

    private func setXattrs(_ fd: Int32, _ entry: TarEntry) {
        for (key, value) in entry.xattrs {
            _ = value.withUnsafeBytes { fsetxattr(fd, key, $0.baseAddress, $0.count, 0) }
        }
    }

    private func makedev(_ major: UInt32, _ minor: UInt32) -> dev_t {
        let major = dev_t(major), minor = dev_t(minor)
        return ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) | (minor & 0xff)
    }

    /// Directory ownership, modes and times last, so that writing their children did not change them.
    mutating func finishDirectories() throws {
        for (parts, entry) in directories.reversed() {
            let parent = try parent(parts, entry: entry.path)
            let fd = openat(parent, parts.last!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            fchown(fd, entry.uid, entry.gid)
            fchmod(fd, mode_t(entry.mode))
            setXattrs(fd, entry)
            var times = [timespec(tv_sec: Int(entry.modified), tv_nsec: 0), timespec(tv_sec: Int(entry.modified), tv_nsec: 0)]
            futimens(fd, &times)
            close(fd)
        }
    }
}
