#define _GNU_SOURCE
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void reset_signals(void) {
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
}

static int last_capability(void) {
    int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 40;
    char buffer[16] = {0};
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    return n > 0 ? atoi(buffer) : 40;
}

// mkdir -p of the working directory; new directories belong to the container's user.
static void make_working_directory(int error_fd, const struct cr_process *p) {
    char path[4096];
    if (p->cwd == NULL || strlen(p->cwd) >= sizeof path) return;
    strcpy(path, p->cwd);
    for (char *cursor = path + 1;; cursor++) {
        if (*cursor == '/' || *cursor == 0) {
            char saved = *cursor;
            *cursor = 0;
            if (mkdir(path, 0755) == 0) {
                if (chown(path, p->uid, p->gid) != 0)
                    cr_fail(error_fd, CR_EXIT_SETUP, errno, "chown working directory %s", path);
            } else if (errno != EEXIST) {
                cr_fail(error_fd, CR_EXIT_SETUP, errno, "create working directory %s", path);
            }
            *cursor = saved;
            if (saved == 0) break;
        }
    }
}

static void set_identity(int error_fd, const struct cr_process *p) {
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "keep capabilities");
    int last = last_capability();
    for (int cap = 0; cap <= last; cap++) {
        if (cap < 64 && (p->capabilities & (1ULL << cap))) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "drop capability %d from the bounding set", cap);
    }
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        cr_fail(error_fd, CR_EXIT_SETUP, errno, "set no_new_privs");
    // Loaded while still privileged (loading needs CAP_SYS_ADMIN without no_new_privs);
    // the profile allows every call that follows.
    if (p->seccomp_filter) {
        struct sock_fprog program = {
            .len = (unsigned short)p->seccomp_filter_len,
            .filter = (struct sock_filter *)p->seccomp_filter,
        };
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0)
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "load the seccomp profile");
    }
    if (setgroups((size_t)p->group_count, p->groups) != 0)
        cr_fail(error_fd, CR_EXIT_SETUP, errno, "set supplementary groups");
    if (setresgid(p->gid, p->gid, p->gid) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "set group %u", p->gid);
    if (setresuid(p->uid, p->uid, p->uid) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "set user %u", p->uid);
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    data[0].effective = data[0].permitted = (uint32_t)p->capabilities;
    data[1].effective = data[1].permitted = (uint32_t)(p->capabilities >> 32);
    if (syscall(SYS_capset, &header, data) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "set capabilities");
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

static const char *path_of(char *const *envp) {
    for (char *const *entry = envp; entry && *entry; entry++)
        if (strncmp(*entry, "PATH=", 5) == 0) return *entry + 5;
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

// execve with Docker's messages and exit codes: 127 not found, 126 cannot invoke.
static _Noreturn void exec_program(int error_fd, const struct cr_process *p) {
    const char *name = p->argv[0];
    if (name == NULL || *name == 0) cr_fail(error_fd, CR_EXIT_SETUP, 0, "no command specified");
    if (strchr(name, '/')) {
        execve(name, p->argv, p->envp);
        int err = errno;
        if (err == ENOENT || err == ENOTDIR)
            cr_fail(error_fd, CR_EXIT_NOT_FOUND, 0, "exec: \"%s\": no such file or directory", name);
        if (err == EACCES) cr_fail(error_fd, CR_EXIT_CANNOT_INVOKE, 0, "exec: \"%s\": permission denied", name);
        cr_fail(error_fd, CR_EXIT_CANNOT_INVOKE, err, "exec: \"%s\"", name);
    }
    const char *search = path_of(p->envp);
    int denied = 0;
    char candidate[4096];
    while (1) {
        const char *colon = strchr(search, ':');
        size_t length = colon ? (size_t)(colon - search) : strlen(search);
        if (length == 0) length = 1, search = ".";
        if (length + strlen(name) + 2 < sizeof candidate) {
            memcpy(candidate, search, length);
            candidate[length] = '/';
            strcpy(candidate + length + 1, name);
            execve(candidate, p->argv, p->envp);
            if (errno == EACCES) denied = 1;
            else if (errno != ENOENT && errno != ENOTDIR)
                cr_fail(error_fd, CR_EXIT_CANNOT_INVOKE, errno, "exec: \"%s\"", name);
        }
        if (!colon) break;
        search = colon + 1;
    }
    if (denied) cr_fail(error_fd, CR_EXIT_CANNOT_INVOKE, 0, "exec: \"%s\": permission denied", name);
    cr_fail(error_fd, CR_EXIT_NOT_FOUND, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

// The built-in init (`--init`): pid 1 that forwards signals to the program and reaps
// every orphan, exiting with the program's status.
static _Noreturn void run_init(pid_t child) {
    prctl(PR_SET_NAME, "init", 0, 0, 0);
    sigset_t all;
    sigfillset(&all);
    while (1) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue;
        if (sig != SIGCHLD) {
            kill(child, sig);
            continue;
        }
        int status;
        pid_t reaped;
        while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) {
            if (reaped != child) continue;
            if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
            _exit(128 + WTERMSIG(status));
        }
    }
}

// Opens a pty in the container's own /dev/pts (so ttyname works inside), sends the master
// to the monitor, and returns the slave, owned by the process's user.
static int open_console(int error_fd, const struct cr_process *p) {
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "open the container's /dev/ptmx");
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "unlock the terminal");
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "open the terminal");
    if (fchown(slave, p->uid, p->gid) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "chown the terminal");
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &master, sizeof master);
    if (sendmsg(p->console_socket, &message, 0) != 1) cr_fail(error_fd, CR_EXIT_SETUP, errno, "hand the terminal to the monitor");
    close(master);
    close(p->console_socket);
    return slave;
}

_Noreturn void cr_run_process(int error_fd, const struct cr_process *p) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    int fds[3] = {p->stdin_fd, p->stdout_fd, p->stderr_fd};
    if (p->tty && p->console_socket >= 0) {
        int slave = open_console(error_fd, p);
        fds[0] = fds[1] = fds[2] = slave;
    }
    // Move the sources above 2 first so one dup2 cannot clobber another's source.
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0 && fds[i] <= 2) fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    for (int i = 0; i < 3; i++) {
        if (fds[i] < 0) continue;
        if (dup2(fds[i], i) < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "set up standard stream %d", i);
    }
    if (p->tty && ioctl(0, TIOCSCTTY, 0) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "set the controlling terminal");
    make_working_directory(error_fd, p);
    set_identity(error_fd, p);
    if (p->cwd && chdir(p->cwd) != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "chdir to %s", p->cwd);
    if (p->init) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        pid_t child = fork();
        if (child < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "fork the program under init");
        if (child > 0) {
            close(error_fd);
            run_init(child);
        }
        setpgid(0, 0);
        if (p->tty) tcsetpgrp(0, getpid());
    }
    reset_signals();
    exec_program(error_fd, p);
}
