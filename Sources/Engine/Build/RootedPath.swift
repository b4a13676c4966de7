import Glibc

/// Resolves a path inside a root filesystem as the container would see it: symlinks are
/// followed, but an absolute target or `..` never leaves the root. What the builder uses
/// to place COPY results and read `--from` sources in a mounted image.
enum RootedPath {
    /// The host path of `path` inside `root`; components that do not exist are kept as written.
    static func resolve(_ path: String, in root: String) -> String {
        var resolved: [String] = []
        var pending = path.split(separator: "/").map(String.init)
        var hops = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            if component == "." || component.isEmpty { continue }
            if component == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = root + "/" + (resolved + [component]).joined(separator: "/")
            var info = stat()
            if hops < 40, lstat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(candidate, &buffer, buffer.count - 1)
                if count > 0 {
                    hops += 1
                    let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if target.hasPrefix("/") { resolved = [] }
                    pending = target.split(separator: "/").map(String.init) + pending
                    continue
                }
            }
            resolved.append(component)
        }
        return root + (resolved.isEmpty ? "" : "/" + resolved.joined(separator: "/"))
    }
}
