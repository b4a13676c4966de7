// Linux calls glibc declares only under _GNU_SOURCE, which Swift's Glibc module does not
// see: network namespaces for the engine, accept4/pipe2/splice for the network services.
// Only plain integer signatures here, so this header never clashes with Glibc's.
#ifndef CNETWORKSUPPORT_H
#define CNETWORKSUPPORT_H

int swiftcompose_unshare_network(void);
int swiftcompose_enter_network(int fd);
/// accept4 with SOCK_CLOEXEC (and SOCK_NONBLOCK when asked).
int swiftcompose_accept(int fd, int nonblocking);
/// pipe2 with O_CLOEXEC | O_NONBLOCK.
int swiftcompose_pipe(int fds[2]);
/// splice with SPLICE_F_MOVE | SPLICE_F_NONBLOCK.
long swiftcompose_splice(int from, int to, unsigned long length);
int swiftcompose_set_pipe_size(int fd, int size);
/// Names the calling thread (shown in /proc/<pid>/task/<tid>/comm, top -H).
void swiftcompose_name_thread(const char *name);

/// epoll, which Swift's Glibc module does not carry; each event's data is the fd itself.
enum {
    swiftcompose_epoll_in = 0x001,
    swiftcompose_epoll_out = 0x004,
    swiftcompose_epoll_error = 0x008,
    swiftcompose_epoll_hangup = 0x010,
    swiftcompose_epoll_read_hangup = 0x2000,
};
#define swiftcompose_epoll_edge (1u << 31)
enum { swiftcompose_epoll_add = 1, swiftcompose_epoll_delete = 2 };
int swiftcompose_epoll_create(void);
int swiftcompose_epoll_control(int epoll, int operation, int fd, unsigned int events);
/// Waits for up to `capacity` events; fills `fds` and `events` pairwise, returns the count.
int swiftcompose_epoll_wait(int epoll, int *fds, unsigned int *events, int capacity, int timeout);

#endif
