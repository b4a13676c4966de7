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

    /// Reads /proc/self/mountinfo (or the given text, for tests).
    public static func detect(mountinfo: String? = nil, root: String = "/sys/fs/cgroup") -> CgroupHierarchy {
        let text = mountinfo ?? ((try? AtomicFile.read("/proc/self/mountinfo")) ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? ""
        var mounts: [V1Mount] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 4, fields[4] == root, line.contains(" - cgroup2 ") {
                return CgroupHierarchy(version: .v2, root: root, v1Mounts: [])
            }
            // … mountpoint … - fstype source superoptions
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3, right[0] == "cgroup" else { continue }
            let controllers = right[2].split(separator: ",").map(String.init).filter { wanted.contains($0) }
            guard !controllers.isEmpty else { continue }
            let path = String(left[4])
            mounts.append(V1Mount(name: String(path.split(separator: "/").last ?? ""), path: path,
                                  controllers: controllers, options: controllers.joined(separator: ",")))
        }
        return CgroupHierarchy(version: .v1, root: root, v1Mounts: mounts)
    }

    /// The v1 mount that holds `controller`.
    func mount(for controller: String) -> V1Mount? { v1Mounts.first { $0.controllers.contains(controller) } }
}
