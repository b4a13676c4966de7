import Foundation
import Glibc
import SystemSupport

struct CopyFailure: Error { var message: String }

/// Copies COPY/ADD sources into a mounted root, Docker's way: a directory's contents (not
/// the directory itself), missing parents created, modes and times kept, owner root or
/// `--chown`, mode `--chmod`. Every destination is resolved inside the root, so a
/// symlink in the image can never send a file outside it.
struct TreeCopier {
    let root: String
    let ignore: DockerIgnore
    let options: BuildSession.CopyOptions

    /// The host path of `path` (inside the root): parents resolved, the last component not followed.
    private func hostPath(_ path: String) -> String {
        let parent = (path as String).split(separator: "/").dropLast().joined(separator: "/")
        let name = path.split(separator: "/").last.map(String.init) ?? ""
        let resolvedParent = RootedPath.resolve(parent, in: root)
        return name.isEmpty ? resolvedParent : resolvedParent + "/" + name
    }

    func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(RootedPath.resolve(path, in: root), &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    private func owner(_ info: stat) -> (UInt32, UInt32) {
        options.owner ?? (options.keepOwner ? (info.st_uid, info.st_gid) : (0, 0))
    }

    /// Creates the missing directories above `path` (0755, owned by root or `--chown`).
    func makeParents(_ path: String) throws(CopyFailure) {
        var current = ""
        for component in path.split(separator: "/").dropLast() {
            current += "/" + component
            let host = RootedPath.resolve(current, in: root)
            var info = stat()
            if stat(host, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else { throw CopyFailure(message: "\(current) is not a directory") }
                continue
            }
            guard mkdir(host, 0o755) == 0 || errno == EEXIST else {
                throw CopyFailure(message: "cannot create \(current): \(String(cString: strerror(errno)))")
            }
            let (uid, gid) = options.owner ?? (0, 0)
            chown(host, uid, gid)
        }
    }

    func copy(_ source: BuildSession.CopySource, to target: String) throws(CopyFailure) {
        try makeParents(target)
        if let text = source.text {
            let host = hostPath(target)
            try removeNonDirectory(host, target)
            let fd = open(host, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw CopyFailure(message: "cannot create \(target)") }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
                throw CopyFailure(message: "cannot write \(target)")
            }
            let (uid, gid) = options.owner ?? (0, 0)
            fchown(fd, uid, gid)
            fchmod(fd, options.mode ?? 0o644)
            return
        }
        guard let path = source.hostPath else { return }
        try copyEntry(path, contextPath: source.contextPath, to: target)
    }

    private func removeNonDirectory(_ host: String, _ target: String) throws(CopyFailure) {
        var info = stat()
        guard lstat(host, &info) == 0 else { return }
        guard info.st_mode & S_IFMT != S_IFDIR else { throw CopyFailure(message: "cannot replace the directory \(target) with a file") }
        unlink(host)
    }

    private func copyEntry(_ source: String, contextPath: String?, to target: String) throws(CopyFailure) {
        var info = stat()
        guard lstat(source, &info) == 0 else { throw CopyFailure(message: "cannot read \(source)") }
        let (uid, gid) = owner(info)
        let mode = options.mode ?? (info.st_mode & 0o7777)
        var times = [info.st_atim, info.st_mtim]
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            // A directory's contents go into the target, which may be (a link to) a directory already.
            var host = RootedPath.resolve(target, in: root)
            var existing = stat()
            if lstat(host, &existing) != 0 {
                host = hostPath(target)
                guard mkdir(host, 0o755) == 0 else { throw CopyFailure(message: "cannot create \(target)") }
                chown(host, uid, gid)
                chmod(host, mode)
            } else if existing.st_mode & S_IFMT != S_IFDIR {
                throw CopyFailure(message: "cannot copy a directory onto the file \(target)")
            }
            var names: [String] = []
            if let handle = opendir(source) {
                while let entry = readdir(handle) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(handle)
            }
            for name in names.sorted() {
                let childContext = contextPath.map { $0.isEmpty ? name : $0 + "/" + name }
                if let childContext, ignore.ignores(childContext) { continue }
                try copyEntry(source + "/" + name, contextPath: childContext, to: target + "/" + name)
            }
            utimensat(AT_FDCWD, host, &times, 0)
        case S_IFREG:
            let host = hostPath(target)
            try removeNonDirectory(host, target)
            let input = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard input >= 0 else { throw CopyFailure(message: "cannot read \(source)") }
            defer { close(input) }
            let output = open(host, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard output >= 0 else { throw CopyFailure(message: "cannot create \(target)") }
            defer { close(output) }
            var buffer = [UInt8](repeating: 0, count: 1 << 18)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw CopyFailure(message: "cannot read \(source)") }
                if count == 0 { break }
                guard buffer.withUnsafeBytes({ write(output, $0.baseAddress, count) }) == count else {
                    throw CopyFailure(message: "cannot write \(target): \(String(cString: strerror(errno)))")
                }
            }
            fchown(output, uid, gid)
            fchmod(output, mode)
            futimens(output, &times)
        case S_IFLNK:
            let host = hostPath(target)
            try removeNonDirectory(host, target)
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(source, &buffer, buffer.count - 1)
            guard count >= 0 else { throw CopyFailure(message: "cannot read the link \(source)") }
            buffer[count] = 0
            guard symlink(buffer, host) == 0 else { throw CopyFailure(message: "cannot create the link \(target)") }
            lchown(host, uid, gid)
        default:
            return // devices, FIFOs and sockets are not copied
        }
    }

    /// ADD of a local tar (plain or gzip): unpacked into `directory`. False when the file is
    /// no archive (then it is copied as it is).
    func extractArchive(_ path: String, into directory: String) throws(CopyFailure) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CopyFailure(message: "cannot read \(path)") }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 512)
        let count = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 512, 0) }
        let gzip = count >= 2 && header[0] == 0x1f && header[1] == 0x8b
        let tar = count == 512 && Array(header[257..<262]) == Array("ustar".utf8)
        guard gzip || tar else { return false }
        try makeParents(directory + "/x")
        let host = RootedPath.resolve(directory, in: root)
        var info = stat()
        if stat(host, &info) != 0 { mkdir(host, 0o755) }
        do {
            let source = try ByteSource(fd: fd, path: path)
            try LayerExtractor.extract(TarReader(source: source, name: (path as NSString).lastPathComponent), into: host,
                                       archiveName: (path as NSString).lastPathComponent)
        } catch let error as EngineError {
            throw CopyFailure(message: error.message)
        } catch {
            throw CopyFailure(message: "cannot unpack \(path): \(error)")
        }
        return true
    }
}
