// Internal helpers of the C runtime, shared by its files. Everything here runs in a
// child between clone and exec: no allocation-heavy libraries, errors reported once.
#ifndef CRUNTIME_INTERNAL_H
#define CRUNTIME_INTERNAL_H

#include "CRuntime.h"

// A failure in the child: written to the error pipe as code + message, then _exit.
struct cr_failure {
    int code;
    char message[1024];
};

_Noreturn void cr_fail(int error_fd, int code, int err, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

void cr_setup_mounts(int error_fd, const struct cr_container *c);
void cr_finish_rootfs(int error_fd, const struct cr_container *c);
_Noreturn void cr_run_process(int error_fd, const struct cr_process *p);
int cr_read_failure(int read_fd, char *error, size_t error_size);

#endif
