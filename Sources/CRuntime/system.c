#define _GNU_SOURCE
#include "CRuntime.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int cr_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int cr_accept(int listener, int nonblocking) {
    return accept4(listener, NULL, NULL, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
}

int cr_child_signal_fd(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

void cr_drain_signal_fd(int fd) {
    struct signalfd_siginfo info;
    while (read(fd, &info, sizeof info) > 0) {}
}

void cr_become_subreaper(void) { prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st; (void)ftw;
    if (flag == FTW_DP) rmdir(path); else unlink(path);
    return 0;
}

int cr_remove_tree(const char *path) { return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

int cr_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

pid_t cr_chroot_spawn(const char *program, const char *root, const char *cwd, char *const argv[],
                      int stdin_fd, int stdout_fd, const char *mount_type, const char *mount_data) {
    int binary = open(program, O_RDONLY | O_CLOEXEC);
    if (binary < 0) return -1;
    pid_t pid = fork();
    if (pid != 0) {
        close(binary);
        return pid;
    }
    int null = open("/dev/null", O_RDWR);
    dup2(stdin_fd >= 0 ? stdin_fd : null, 0);
    dup2(stdout_fd >= 0 ? stdout_fd : null, 1);
    if (mount_type) {
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount(mount_type, root, mount_type, 0, mount_data) != 0) _exit(125);
    }
    if (chroot(root) != 0 || chdir(cwd) != 0) _exit(126);
    static char *const environment[] = {"PATH=/bin", NULL};
    fexecve(binary, argv, environment);
    _exit(127);
}

void cr_trim_executable_pages(void) {
    char self[4096];
    ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (length <= 0) return;
    self[length] = 0;
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps) return;
    char line[4096 + 256];
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char permissions[5];
        int path_offset = 0;
        if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &end, permissions, &path_offset) < 3 || path_offset == 0) continue;
        char *path = line + path_offset;
        path[strcspn(path, "\n")] = 0;
        // Only read-only, file-backed views of our binary: their pages are clean.
        if (permissions[1] == 'w' || strcmp(path, self) != 0) continue;
        madvise((void *)start, end - start, MADV_DONTNEED);
    }
    fclose(maps);
}

int cr_console_pair(int fds[2]) { return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); }

int cr_receive_fd(int socket) {
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space};
    ssize_t got;
    do { got = recvmsg(socket, &message, MSG_CMSG_CLOEXEC); } while (got < 0 && errno == EINTR);
    if (got <= 0) return -1;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (!header || header->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(header), sizeof fd);
    return fd;
}
