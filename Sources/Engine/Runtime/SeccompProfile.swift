import CSeccomp
import Glibc
import SystemSupport

/// Docker's default seccomp profile, compiled to a BPF program with libseccomp: an
/// allow-list (everything else fails with EPERM), `clone` without namespace flags,
/// `personality` with the harmless values, and extra calls for the capabilities a
/// container holds (CAP_SYS_ADMIN allows mount, unshare, setns …).
public enum SeccompProfile {
    static let allowed = """
        accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32 \
        clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 \
        clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 \
        epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old \
        eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate \
        fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync \
        fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync \
        ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv futex_wake futimesat \
        getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups \
        getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid \
        getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt \
        get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init \
        inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents \
        io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule \
        landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr \
        llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise map_shadow_stack membarrier \
        memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect \
        mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend \
        mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap \
        name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_getfd pidfd_open \
        pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 \
        preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read \
        readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages \
        removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending \
        rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 \
        rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max \
        sched_get_priority_min sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 \
        sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select semctl \
        semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid \
        setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority \
        setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit \
        set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat \
        shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall \
        socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs \
        sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 \
        timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime \
        timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime \
        utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev \
        arch_prctl modify_ldt ptrace process_vm_readv process_vm_writev
        """

    /// Calls allowed only with the capability (Docker's `includes.caps`).
    static let byCapability: [String: String] = [
        "SYS_ADMIN": """
            bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr \
            move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog \
            umount umount2 unshare
            """,
        "SYS_BOOT": "reboot",
        "SYS_CHROOT": "chroot",
        "SYS_MODULE": "delete_module init_module finit_module",
        "SYS_PACCT": "acct",
        "SYS_PTRACE": "kcmp pidfd_getfd process_madvise",
        "SYS_RAWIO": "iopl ioperm",
        "SYS_TIME": "settimeofday stime clock_settime clock_settime64",
        "SYS_TTY_CONFIG": "vhangup",
        "SYS_NICE": "get_mempolicy mbind set_mempolicy set_mempolicy_home_node",
        "SYSLOG": "syslog",
        "BPF": "bpf",
        "PERFMON": "perf_event_open",
        "DAC_READ_SEARCH": "open_by_handle_at",
    ]

    static let namespaceFlags: UInt64 = 0x7E02_0000  // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
    static let actionAllow: UInt32 = 0x7FFF_0000
    static func actionErrno(_ code: Int32) -> UInt32 { 0x0005_0000 | (UInt32(code) & 0xFFFF) }

    /// The compiled program for `capabilities`, kept under `<root>/seccomp/` and shared by
    /// every container with the same capabilities (named by a hash of the profile, so a
    /// changed profile compiles anew).
    public static func cachedDefault(capabilities: UInt64, state: StateRoot) throws(EngineError) -> String {
        let profile = allowed + byCapability.keys.sorted().map { $0 + ":" + byCapability[$0]! }.joined()
        let path = state.path("seccomp", "default-\(cacheKey("\(profile)|\(capabilities)")).bpf")
        if access(path, R_OK) == 0 { return path }
        // Unique per caller: containers of one `up` start in parallel in the same process.
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do { try makeDirectories(state.path("seccomp")) } catch {
            throw EngineError(.system, "cannot create \(state.path("seccomp"))", cause: error)
        }
        try compileDefault(capabilities: capabilities, to: temporary)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw EngineError(.system, "cannot store the seccomp program", cause: SystemCallError("rename", path))
        }
        return path
    }

    /// FNV-1a (64 bits, hex) of `text`. A cache name needs no cryptographic digest, and a
    /// SHA-256 here was a container start's only use of OpenSSL, whose first use costs ~0.7 ms.
    static func cacheKey(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Compiles the profile for a container holding `capabilities` into a BPF program at `path`.
    public static func compileDefault(capabilities: UInt64, to path: String) throws(EngineError) {
        guard let context = seccomp_init(actionErrno(EPERM)) else {
            throw EngineError(.system, "libseccomp could not start a filter")
        }
        defer { seccomp_release(context) }
        var names = Set(allowed.split(separator: " ").map(String.init))
        for (capability, calls) in byCapability {
            guard let bit = Capabilities.number(capability), capabilities & (1 << UInt64(bit)) != 0 else { continue }
            names.formUnion(calls.split(separator: " ").map(String.init))
        }
        let sysAdmin = Capabilities.number("SYS_ADMIN").map { capabilities & (1 << UInt64($0)) != 0 } ?? false
        for name in names.sorted() {
            let number = seccomp_syscall_resolve_name(name)
            guard number >= 0 else { continue }  // not a call on this architecture
            if name == "clone" && !sysAdmin { continue }
            _ = seccomp_rule_add_array(context, actionAllow, number, 0, nil)
        }
        if !sysAdmin {
            // clone without new namespaces; clone3 cannot be inspected, so ENOSYS makes libc fall back to clone.
            var condition = scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: namespaceFlags, datum_b: 0)
            _ = seccomp_rule_add_array(context, actionAllow, seccomp_syscall_resolve_name("clone"), 1, &condition)
            _ = seccomp_rule_add_array(context, actionErrno(ENOSYS), seccomp_syscall_resolve_name("clone3"), 0, nil)
        }
        for persona: UInt64 in [0x0, 0x0008, 0x20000, 0x20008, 0xFFFF_FFFF] {
            var condition = scmp_arg_cmp(arg: 0, op: SCMP_CMP_EQ, datum_a: persona, datum_b: 0)
            _ = seccomp_rule_add_array(context, actionAllow, seccomp_syscall_resolve_name("personality"), 1, &condition)
        }
        // socket: every family but AF_VSOCK (40).
        var notVsock = scmp_arg_cmp(arg: 0, op: SCMP_CMP_NE, datum_a: 40, datum_b: 0)
        _ = seccomp_rule_add_array(context, actionAllow, seccomp_syscall_resolve_name("socket"), 1, &notVsock)
        try export(context, to: path)
    }

    static func export(_ context: scmp_filter_ctx, to path: String) throws(EngineError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EngineError(.system, "cannot write the seccomp program", cause: SystemCallError("open", path)) }
        defer { close(fd) }
        let result = seccomp_export_bpf(context, fd)
        guard result == 0 else {
            throw EngineError(.system, "libseccomp could not export the filter",
                              cause: SystemCallError("seccomp_export_bpf", path, errno: Int32(-result)))
        }
    }
}
