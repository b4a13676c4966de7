#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CNetworkSupport.h"

int swiftcompose_unshare_network(void) { return unshare(CLONE_NEWNET); }
int swiftcompose_enter_network(int fd) { return setns(fd, CLONE_NEWNET); }

int swiftcompose_accept(int fd, int nonblocking) {
    return accept4(fd, 0, 0, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
}

int swiftcompose_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC | O_NONBLOCK); }

long swiftcompose_splice(int from, int to, unsigned long length) {
    return splice(from, 0, to, 0, length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

int swiftcompose_set_pipe_size(int fd, int size) { return fcntl(fd, F_SETPIPE_SZ, size); }
