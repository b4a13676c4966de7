// Everything between clone and exec of a container process, in C: no Swift runs in the
// child. The caller (the monitor) prepares every value beforehand — mount list, device
// list, capability mask, seccomp BPF program — and this code only executes it.
#ifndef CRUNTIME_H
#define CRUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

// A mount performed inside the container's mount namespace, before pivot_root. The target
// is a path inside the rootfs, resolved with RESOLVE_IN_ROOT so a symlink in the image
// can never redirect it outside; missing directories (or the file, for a file bind) are
// created the same way.
struct cr_mount {
    const char *source;     // host path for binds; a name ("proc", "tmpfs") otherwise
    const char *target;     // absolute path inside the container
    const char *fstype;     // NULL for a bind mount
    const char *data;       // mount options string, or NULL
    unsigned long flags;    // MS_* flags; for binds, ro/nosuid/nodev/noexec are applied by a remount
    int target_is_file;     // create a file (not a directory) when the target is missing
    const char *content;    // non-NULL: bind a file of this content, made in the container's /dev tmpfs
    size_t content_length;
};

// A device node created in the container's /dev.
struct cr_device {
    const char *path;       // absolute, inside the container
    mode_t mode;            // S_IFCHR/S_IFBLK | permissions
    unsigned int major, minor;
    uid_t uid;
    gid_t gid;
};

struct cr_rlimit {
    int resource;
    uint64_t soft, hard;
};

struct cr_process {
    char *const *argv;      // argv[0] is searched in the PATH of envp when it has no '/'
    char *const *envp;
    const char *cwd;        // created (owned by uid:gid) when missing
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int group_count;
    uint64_t capabilities;  // effective = permitted = bounding; inheritable and ambient empty
    int no_new_privileges;
    const void *seccomp_filter;  // struct sock_filter[], or NULL for unconfined
    size_t seccomp_filter_len;   // in instructions
    int stdin_fd, stdout_fd, stderr_fd;  // installed as 0, 1, 2
    int tty;                // make stdin the controlling terminal
    int console_socket;     // with tty: open a pty in the container's /dev/pts, send its master here (-1: use the fds)
    int init;               // run a tiny init as pid 1 that reaps and forwards signals
};

struct cr_container {
    const char *rootfs;            // host directory the container's / is made from
    const char *rootfs_fstype;     // e.g. "overlay" to mount the rootfs inside the namespace; NULL binds rootfs
    const char *rootfs_data;       // its options (lowerdir=…,upperdir=…,workdir=…)
    int namespaces;                // CLONE_NEW* flags to create (CLONE_NEWCGROUP is unshared after joining cgroups)
    const char *const *join_namespaces;  // paths (e.g. a netns from the network layer) to setns into
    int join_namespace_count;
    const char *join_pid_namespace;  // another container's /proc/<pid>/ns/pid to start in (pid: container:<id>), or NULL
    const int *cgroup_procs_fds;   // files the child writes "0" into to join its cgroup (v1 tasks, v2 cgroup.procs)
    int cgroup_procs_fd_count;
    const char *hostname;
    const char *domainname;
    const struct cr_mount *mounts;
    int mount_count;
    const struct cr_device *devices;
    int device_count;
    const char *const *symlinks;   // pairs: link path, target
    int symlink_count;             // number of pairs
    const char *const *masked_paths;
    int masked_path_count;
    const char *const *readonly_paths;
    int readonly_path_count;
    int readonly_rootfs;
    const char *const *sysctls;    // pairs: key (dots), value
    int sysctl_count;              // number of pairs
    const struct cr_rlimit *rlimits;
    int rlimit_count;
    int oom_score_adj;
    int set_oom_score_adj;
};

// The CLONE_NEW* flags (a _GNU_SOURCE name in C, invisible to Swift).
enum {
    CR_NEWNS = 0x00020000, CR_NEWCGROUP = 0x02000000, CR_NEWUTS = 0x04000000,
    CR_NEWIPC = 0x08000000, CR_NEWPID = 0x20000000, CR_NEWNET = 0x40000000,
};

// Docker's exit codes for a failure before the program runs.
enum { CR_EXIT_SETUP = 125, CR_EXIT_CANNOT_INVOKE = 126, CR_EXIT_NOT_FOUND = 127 };

// Starts a container. On success returns 0 and the pid (in the caller's namespace).
// On failure returns the Docker exit code and a one-line message in `error`.
int cr_spawn(const struct cr_container *container, const struct cr_process *process,
             pid_t *pid, char *error, size_t error_size);

// Starts a process inside the namespaces and cgroups of the running container whose
// init is `target_pid`; the new process is a child of the caller. Same results.
int cr_exec(pid_t target_pid, const int *cgroup_procs_fds, int cgroup_procs_fd_count,
            const struct cr_process *process, pid_t *pid, char *error, size_t error_size);

// GNU-only calls the monitor needs (glibc hides them from Swift without _GNU_SOURCE).
int cr_pipe(int fds[2]);                          // pipe2(O_CLOEXEC)
int cr_accept(int listener, int nonblocking);      // accept4 with SOCK_CLOEXEC
int cr_child_signal_fd(void);                      // blocks SIGCHLD/SIGTERM/SIGINT/SIGHUP; signalfd for SIGCHLD
void cr_drain_signal_fd(int fd);
void cr_become_subreaper(void);
int cr_console_pair(int fds[2]);                   // a socketpair for a console master, close-on-exec
int cr_receive_fd(int socket);                     // the fd sent over a console socket, or -1
int cr_remove_tree(const char *path);              // rm -rf without following symlinks
int cr_pidfd_open(pid_t pid);                      // a pidfd (readable once pid exits), or -1

// Drops this process's resident pages of read-only mappings of its own executable (they
// are re-read from the page cache when next touched). The monitor calls it once it is up:
// start-up code it never runs again would otherwise stay counted in its RSS.
void cr_trim_executable_pages(void);

// Runs a static program (opened before chroot) chrooted into `root`, from `cwd` inside
// it, with the given stdin/stdout (-1: /dev/null). Every path the program touches then
// resolves inside `root` — how `cp` reads and writes a container's files without a
// symlink in the container reaching the host. Returns the pid, or -1 with errno.
// With `mount_type` (e.g. "overlay"), the child first mounts it on `root` in a private
// mount namespace of its own (a stopped container's layers), leaving nothing on the host.
pid_t cr_chroot_spawn(const char *program, const char *root, const char *cwd, char *const argv[],
                      int stdin_fd, int stdout_fd, const char *mount_type, const char *mount_data);

#endif
