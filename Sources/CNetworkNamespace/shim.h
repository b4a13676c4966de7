// unshare(2) and setns(2) for network namespaces: glibc declares them only under
// _GNU_SOURCE, which Swift's Glibc module does not see.
#define _GNU_SOURCE
#include <sched.h>

static inline int swiftcompose_unshare_network(void) { return unshare(CLONE_NEWNET); }
static inline int swiftcompose_enter_network(int fd) { return setns(fd, CLONE_NEWNET); }
