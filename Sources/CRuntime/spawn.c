#define _GNU_SOURCE
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Called by a freshly cloned, single-threaded process: on v1 the fds are `tasks` files, and
// moving the calling thread alone spares the kernel's global threadgroup lock.
static void join_cgroups(int error_fd, const int *fds, int count) {
    for (int i = 0; i < count; i++)
        if (write(fds[i], "0", 1) != 1) cr_fail(error_fd, CR_EXIT_SETUP, errno, "join the container's cgroup");
}

static void write_proc(int error_fd, const char *path, const char *value) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, value, strlen(value)) < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "write %s", path);
    close(fd);
}

// A new network namespace starts with its loopback down; Docker's containers have it up.
static void bring_loopback_up(int error_fd) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &request) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "read the loopback's flags");
    request.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &request) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "bring the loopback up");
    close(fd);
}

static _Noreturn void container_child(int error_fd, const struct cr_container *c, const struct cr_process *p) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    join_cgroups(error_fd, c->cgroup_procs_fds, c->cgroup_procs_fd_count);
    if ((c->namespaces & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) != 0)
        cr_fail(error_fd, CR_EXIT_SETUP, errno, "create the cgroup namespace");
    for (int i = 0; i < c->join_namespace_count; i++) {
        int fd = open(c->join_namespaces[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, 0) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "join namespace %s", c->join_namespaces[i]);
        close(fd);
    }
    if (c->namespaces & CLONE_NEWNET) bring_loopback_up(error_fd);
    if (setsid() < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "setsid");
    cr_setup_mounts(error_fd, c);
    if (chdir(c->rootfs) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "chdir to the rootfs");
    // pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only the rootfs.
    if (syscall(SYS_pivot_root, ".", ".") != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "pivot_root");
    if (umount2(".", MNT_DETACH) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "detach the old root");
    if (chdir("/") != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "chdir /");
    // Before /proc/sys turns read-only.
    for (int i = 0; i < c->sysctl_count; i++) {
        char path[512] = "/proc/sys/";
        size_t length = strlen(path);
        for (const char *key = c->sysctls[2 * i]; *key && length < sizeof path - 1; key++)
            path[length++] = *key == '.' ? '/' : *key;
        path[length] = 0;
        write_proc(error_fd, path, c->sysctls[2 * i + 1]);
    }
    cr_finish_rootfs(error_fd, c);
    if (c->namespaces & CLONE_NEWUTS) {
        if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) != 0)
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "set hostname %s", c->hostname);
        if (c->domainname && setdomainname(c->domainname, strlen(c->domainname)) != 0)
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "set domainname %s", c->domainname);
    }
    if (c->set_oom_score_adj) {
        char value[16];
        snprintf(value, sizeof value, "%d", c->oom_score_adj);
        write_proc(error_fd, "/proc/self/oom_score_adj", value);
    }
    for (int i = 0; i < c->rlimit_count; i++) {
        struct rlimit limit = {.rlim_cur = c->rlimits[i].soft, .rlim_max = c->rlimits[i].hard};
        if (setrlimit(c->rlimits[i].resource, &limit) != 0)
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "set ulimit %d to %llu:%llu", c->rlimits[i].resource,
                    (unsigned long long)c->rlimits[i].soft, (unsigned long long)c->rlimits[i].hard);
    }
    cr_run_process(error_fd, p);
}

int cr_spawn(const struct cr_container *c, const struct cr_process *p, pid_t *pid, char *error, size_t error_size) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        snprintf(error, error_size, "create a pipe: %s", strerror(errno));
        return CR_EXIT_SETUP;
    }
    // Another container's pid namespace: setns only changes where our next child is born;
    // it is switched back right after the clone.
    int own_pid_ns = -1;
    if (c->join_pid_namespace) {
        own_pid_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        int target = open(c->join_pid_namespace, O_RDONLY | O_CLOEXEC);
        if (own_pid_ns < 0 || target < 0 || setns(target, CLONE_NEWPID) != 0) {
            snprintf(error, error_size, "join the pid namespace %s: %s", c->join_pid_namespace, strerror(errno));
            if (target >= 0) close(target);
            if (own_pid_ns >= 0) close(own_pid_ns);
            close(pipe_fds[0]);
            close(pipe_fds[1]);
            return CR_EXIT_SETUP;
        }
        close(target);
    }
    // A raw clone: fork semantics with new namespaces (the cgroup one comes after joining the cgroup).
    long child = syscall(SYS_clone, (unsigned long)((c->namespaces & ~CLONE_NEWCGROUP) | SIGCHLD), NULL, NULL, NULL, NULL);
    if (child != 0 && own_pid_ns >= 0) {
        setns(own_pid_ns, CLONE_NEWPID);
        close(own_pid_ns);
    }
    if (child == 0) {
        close(pipe_fds[0]);
        container_child(pipe_fds[1], c, p);
    }
    int saved = errno;
    close(pipe_fds[1]);
    if (child < 0) {
        close(pipe_fds[0]);
        snprintf(error, error_size, "clone: %s", strerror(saved));
        return CR_EXIT_SETUP;
    }
    int code = cr_read_failure(pipe_fds[0], error, error_size);
    close(pipe_fds[0]);
    if (code != 0) {
        while (waitpid((pid_t)child, NULL, 0) < 0 && errno == EINTR) {}
        return code;
    }
    *pid = (pid_t)child;
    return 0;
}

int cr_exec(pid_t target, const int *cgroup_fds, int cgroup_fd_count, const struct cr_process *p,
            pid_t *pid, char *error, size_t error_size) {
    static const char *const kinds[] = {"cgroup", "ipc", "uts", "net", "pid", "mnt"};
    enum { KINDS = sizeof kinds / sizeof kinds[0] };
    int ns_fds[KINDS];
    for (int i = 0; i < KINDS; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", target, kinds[i]);
        ns_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (ns_fds[i] < 0) {
            snprintf(error, error_size, "open %s: %s (is the container running?)", path, strerror(errno));
            for (int j = 0; j < i; j++) close(ns_fds[j]);
            return CR_EXIT_SETUP;
        }
    }
    int error_pipe[2], pid_pipe[2];
    if (pipe2(error_pipe, O_CLOEXEC) != 0 || pipe2(pid_pipe, O_CLOEXEC) != 0) {
        snprintf(error, error_size, "create a pipe: %s", strerror(errno));
        return CR_EXIT_SETUP;
    }
    pid_t middle = fork();
    if (middle == 0) {
        // Not dumpable: a container process cannot open our binary through /proc/<pid>/exe.
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        close(error_pipe[0]);
        close(pid_pipe[0]);
        join_cgroups(error_pipe[1], cgroup_fds, cgroup_fd_count);
        for (int i = 0; i < KINDS; i++)
            if (setns(ns_fds[i], 0) != 0) cr_fail(error_pipe[1], CR_EXIT_SETUP, errno, "join the %s namespace", kinds[i]);
        // CLONE_PARENT: the process becomes the caller's child, inside the container's pid namespace.
        long child = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), NULL, NULL, NULL, NULL);
        if (child == 0) {
            close(pid_pipe[1]);
            if (setsid() < 0) cr_fail(error_pipe[1], CR_EXIT_SETUP, errno, "setsid");
            cr_run_process(error_pipe[1], p);
        }
        if (child < 0) cr_fail(error_pipe[1], CR_EXIT_SETUP, errno, "clone into the container");
        pid_t value = (pid_t)child;
        ssize_t ignored = write(pid_pipe[1], &value, sizeof value);
        (void)ignored;
        _exit(0);
    }
    for (int i = 0; i < KINDS; i++) close(ns_fds[i]);
    close(error_pipe[1]);
    close(pid_pipe[1]);
    if (middle < 0) {
        snprintf(error, error_size, "fork: %s", strerror(errno));
        close(error_pipe[0]);
        close(pid_pipe[0]);
        return CR_EXIT_SETUP;
    }
    pid_t child = -1;
    ssize_t got;
    do { got = read(pid_pipe[0], &child, sizeof child); } while (got < 0 && errno == EINTR);
    close(pid_pipe[0]);
    while (waitpid(middle, NULL, 0) < 0 && errno == EINTR) {}
    int code = cr_read_failure(error_pipe[0], error, error_size);
    close(error_pipe[0]);
    if (code != 0) {
        if (got == sizeof child && child > 0) while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        return code;
    }
    if (got != sizeof child || child <= 0) {
        snprintf(error, error_size, "could not start the process in the container");
        return CR_EXIT_SETUP;
    }
    *pid = child;
    return 0;
}
