import Glibc
import Monitor
import SystemSupport

public typealias LaunchMount = LaunchConfig.Mount
public typealias LaunchDevice = LaunchConfig.Device

/// Which cgroup hierarchy this host uses, found at run time: v2 when /sys/fs/cgroup is
/// itself cgroup2 (unified); otherwise v1, one mount per controller group — including
/// "hybrid" hosts whose cgroup2 mount (e.g. /sys/fs/cgroup/unified) holds no controllers
/// we use.
public struct CgroupHierarchy: Sendable, Equatable {
    public enum Version: String, Sendable { case v1, v2 }

    public struct V1Mount: Sendable, Equatable {
        public var name: String          // directory name under /sys/fs/cgroup, e.g. "cpu,cpuacct"
        public var path: String          // mount point
        public var controllers: [String]
        public var options: String       // mount data that selects the same controllers
    }

    public var version: Version
    public var root: String              // v2: the unified mount
    public var v1Mounts: [V1Mount]

    static let wanted: Set<String> = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"]

    /// Reads /proc/self/mountinfo (or the given text, for tests). Works on bytes: every
    /// command that touches containers starts here, and splitting Strings cost it 0.3 ms.
    public static func detect(mountinfo: String? = nil, root: String = "/sys/fs/cgroup") -> CgroupHierarchy {
        let text: [UInt8] = mountinfo.map { Array($0.utf8) } ?? ((try? AtomicFile.read("/proc/self/mountinfo")) ?? nil) ?? []
        let space = UInt8(ascii: " ")
        let rootBytes = Array(root.utf8)
        var mounts: [V1Mount] = []
        for line in text.split(separator: UInt8(ascii: "\n")) {
            // id parent major:minor root mountpoint options [optional…] - fstype source superoptions
            let fields = line.split(separator: space)
            guard fields.count >= 5, let dash = fields.firstIndex(where: { $0.elementsEqual([UInt8(ascii: "-")]) }),
                  dash + 3 < fields.count else { continue }
            let fstype = fields[dash + 1]
            if fstype.elementsEqual(Array("cgroup2".utf8)), fields[4].elementsEqual(rootBytes) {
                return CgroupHierarchy(version: .v2, root: root, v1Mounts: [])
            }
            guard fstype.elementsEqual(Array("cgroup".utf8)) else { continue }
            let controllers = fields[dash + 3].split(separator: UInt8(ascii: ","))
                .map { String(decoding: $0, as: UTF8.self) }.filter { wanted.contains($0) }
            guard !controllers.isEmpty else { continue }
            let path = String(decoding: fields[4], as: UTF8.self)
            mounts.append(V1Mount(name: String(path.split(separator: "/").last ?? ""), path: path,
                                  controllers: controllers, options: controllers.joined(separator: ",")))
        }
        return CgroupHierarchy(version: .v1, root: root, v1Mounts: mounts)
    }

    /// The v1 mount that holds `controller`.
    func mount(for controller: String) -> V1Mount? { v1Mounts.first { $0.controllers.contains(controller) } }
}
