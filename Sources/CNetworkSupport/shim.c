#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
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

void swiftcompose_name_thread(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }

int swiftcompose_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int swiftcompose_epoll_control(int epoll, int operation, int fd, unsigned int events) {
    struct epoll_event event = { .events = events, .data.fd = fd };
    return epoll_ctl(epoll, operation, fd, &event);
}

int swiftcompose_epoll_wait(int epoll, int *fds, unsigned int *events, int capacity, int timeout) {
    struct epoll_event ready[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epoll, ready, capacity, timeout);
    for (int i = 0; i < count; i++) {
        fds[i] = ready[i].data.fd;
        events[i] = ready[i].events;
    }
    return count;
}
