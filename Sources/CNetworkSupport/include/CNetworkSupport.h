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

#endif
