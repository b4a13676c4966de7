import Glibc

/// What `docker run` puts in every container's filesystem: the kernel filesystems, a
/// minimal /dev, and the masked and read-only paths of /proc and /sys.
enum DefaultFilesystem {
    static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ]
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    static let nosuid = UInt(MS_NOSUID), nodev = UInt(MS_NODEV), noexec = UInt(MS_NOEXEC), rdonly = UInt(MS_RDONLY)

    static func mounts(shmSize: Int64, privileged: Bool, cgroups: CgroupHierarchy) -> [LaunchMount] {
        var mounts: [LaunchMount] = [
            LaunchMount(source: "proc", target: "/proc", type: "proc", flags: nosuid | noexec | nodev),
            LaunchMount(source: "tmpfs", target: "/dev", type: "tmpfs", data: "mode=755,size=65536k",
                        flags: nosuid | UInt(MS_STRICTATIME)),
            LaunchMount(source: "devpts", target: "/dev/pts", type: "devpts",
                        data: "newinstance,ptmxmode=0666,mode=0620,gid=5", flags: nosuid | noexec),
            LaunchMount(source: "sysfs", target: "/sys", type: "sysfs",
                        flags: nosuid | noexec | nodev | (privileged ? 0 : rdonly)),
            LaunchMount(source: "mqueue", target: "/dev/mqueue", type: "mqueue", flags: nosuid | noexec | nodev),
            LaunchMount(source: "shm", target: "/dev/shm", type: "tmpfs", data: "mode=1777,size=\(shmSize)",
                        flags: nosuid | noexec | nodev),
        ]
        // The container's own cgroups, seen through its cgroup namespace, read-only.
        let cgroupFlags = nosuid | noexec | nodev | (privileged ? 0 : rdonly)
        switch cgroups.version {
        case .v2:
            mounts.append(LaunchMount(source: "cgroup", target: "/sys/fs/cgroup", type: "cgroup2", flags: cgroupFlags))
        case .v1:
            mounts.append(LaunchMount(source: "tmpfs", target: "/sys/fs/cgroup", type: "tmpfs", data: "mode=755",
                                      flags: nosuid | noexec | nodev))
            for mount in cgroups.v1Mounts {
                mounts.append(LaunchMount(source: "cgroup", target: "/sys/fs/cgroup/" + mount.name, type: "cgroup",
                                          data: mount.options, flags: cgroupFlags))
            }
        }
        return mounts
    }

    static let devices: [LaunchDevice] = [
        ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8),
        ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
    ].map { LaunchDevice(path: $0.0, mode: UInt32(S_IFCHR) | 0o666, major: $0.1, minor: $0.2) }

    static let symlinks: [[String]] = [
        ["/dev/fd", "/proc/self/fd"], ["/dev/stdin", "/proc/self/fd/0"], ["/dev/stdout", "/proc/self/fd/1"],
        ["/dev/stderr", "/proc/self/fd/2"], ["/dev/ptmx", "pts/ptmx"], ["/dev/core", "/proc/kcore"],
    ]
}
