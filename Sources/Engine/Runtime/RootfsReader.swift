import Glibc
import SystemSupport

/// Reads small files (/etc/passwd, /etc/group) of a container's rootfs before it runs,
/// looking through overlay layers top-first the way overlayfs would.
struct RootfsReader {
    let layers: [String]

    init(_ rootfs: ContainerImage.Rootfs) {
        switch rootfs {
        case .directory(let path): layers = [path]
        case .overlay(let lower, let upper, _): layers = [upper] + lower
        }
    }

    func read(_ path: String) -> String? {
        for layer in layers {
            let full = layer + path
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            // A 0:0 character device is an overlay whiteout: the file was deleted above.
            if info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0 { return nil }
            guard info.st_mode & S_IFMT == S_IFREG, let bytes = (try? AtomicFile.read(full)) ?? nil else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
        return nil
    }
}

/// The user a container process runs as, resolved in the container's /etc/passwd and
/// /etc/group the way Docker does.
public struct ResolvedUser: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var groups: [UInt32]
    public var home: String

    /// `spec` is `user[:group]` (names or ids); `groupAdd` adds supplementary groups.
    static func resolve(_ spec: String?, groupAdd: [String], passwd: String?, group: String?) throws(EngineError) -> ResolvedUser {
        let users = (passwd ?? "").split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 7 }
        let groups = (group ?? "").split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 4 }
        let parts = (spec ?? "").split(separator: ":", maxSplits: 1).map(String.init)
        let userPart = parts.first.flatMap { $0.isEmpty ? nil : $0 } ?? "0"
        var result = ResolvedUser(uid: 0, gid: 0, groups: [], home: "/")
        var userName: String?
        if let entry = users.first(where: { $0[0] == userPart }) ?? users.first(where: { $0[2] == userPart && UInt32(userPart) != nil }) {
            result.uid = UInt32(entry[2]) ?? 0
            result.gid = UInt32(entry[3]) ?? 0
            result.home = entry[5].isEmpty ? "/" : entry[5]
            userName = entry[0]
        } else if let uid = UInt32(userPart) {
            result.uid = uid
        } else {
            throw EngineError(.invalidArgument, "unable to find user \(userPart): no matching entries in passwd file")
        }
        if parts.count == 2, !parts[1].isEmpty {
            result.gid = try groupID(parts[1], groups)
        }
        if let userName, parts.count < 2 {
            result.groups = groups.filter { $0[3].split(separator: ",").contains(Substring(userName)) }.compactMap { UInt32($0[2]) }
        }
        for extra in groupAdd { result.groups.append(try groupID(extra, groups)) }
        return result
    }

    private static func groupID(_ name: String, _ groups: [[String]]) throws(EngineError) -> UInt32 {
        if let entry = groups.first(where: { $0[0] == name }), let gid = UInt32(entry[2]) { return gid }
        if let gid = UInt32(name) { return gid }
        throw EngineError(.invalidArgument, "unable to find group \(name): no matching entries in group file")
    }
}
