import Glibc
import SystemSupport

/// Walks the build context (minus `.dockerignore`) and hashes what COPY reads: names,
/// modes, sizes, contents and link targets — not times, so a touched but unchanged file
/// keeps the cache.
enum ContentHash {
    /// Visits every context entry below `root` in sorted order; `visit` returns whether to
    /// descend into a directory.
    static func walk(_ root: String, relative: String = "", ignore: DockerIgnore, visit: (String, Bool) -> Bool) {
        let directory = relative.isEmpty ? root : root + "/" + relative
        var names = [String]()
        guard let handle = opendir(directory) else { return }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(handle)
        for name in names.sorted() {
            let path = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(root + "/" + path, &info) == 0 else { continue }
            let isDirectory = info.st_mode & S_IFMT == S_IFDIR
            if ignore.ignores(path) {
                // A `!` rule may take back something inside an ignored directory.
                if isDirectory && ignore.hasExclusions { walk(root, relative: path, ignore: ignore, visit: visit) }
                continue
            }
            if visit(path, isDirectory) && isDirectory { walk(root, relative: path, ignore: ignore, visit: visit) }
        }
    }

    /// Adds a source (file, link or directory tree) to `hasher`. `contextPath` places it in
    /// the context, so `.dockerignore` applies inside directories; nil for other sources.
    static func add(_ path: String, contextPath: String?, ignore: DockerIgnore, to hasher: inout SHA256Hasher) {
        addEntry(path, name: ".", to: &hasher)
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return }
        let rules = contextPath == nil ? DockerIgnore("") : ignore
        let prefix = contextPath.map { $0.isEmpty ? "" : $0 + "/" } ?? ""
        walk(path, ignore: DockerIgnore("")) { relative, _ in
            if !rules.rules.isEmpty, rules.ignores(prefix + relative) { return false }
            addEntry(path + "/" + relative, name: relative, to: &hasher)
            return true
        }
    }

    private static func addEntry(_ path: String, name: String, to hasher: inout SHA256Hasher) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        hasher.update(Array("\(name)\u{0}\(info.st_mode)\u{0}\(info.st_size)\u{0}".utf8))
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &buffer, buffer.count - 1)
            if count > 0 { hasher.update(buffer[0..<count].map { UInt8(bitPattern: $0) }) }
        default:
            break
        }
    }
}
