#define _GNU_SOURCE
#include "internal.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// Reports one line ("<what>: <strerror>") to the parent through the error pipe and exits.
_Noreturn void cr_fail(int error_fd, int code, int err, const char *format, ...) {
    struct cr_failure failure;
    memset(&failure, 0, sizeof failure);
    failure.code = code;
    va_list args;
    va_start(args, format);
    int length = vsnprintf(failure.message, sizeof failure.message, format, args);
    va_end(args);
    if (err != 0 && length >= 0 && (size_t)length < sizeof failure.message)
        snprintf(failure.message + length, sizeof failure.message - (size_t)length, ": %s", strerror(err));
    ssize_t ignored = write(error_fd, &failure, sizeof failure);
    (void)ignored;
    _exit(code);
}

// Reads a failure the child reported; 0 when the pipe closed without one (exec happened).
int cr_read_failure(int read_fd, char *error, size_t error_size) {
    struct cr_failure failure;
    size_t got = 0;
    while (got < sizeof failure) {
        ssize_t n = read(read_fd, (char *)&failure + got, sizeof failure - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (got < sizeof failure) return 0;
    failure.message[sizeof failure.message - 1] = 0;
    if (error_size > 0) snprintf(error, error_size, "%s", failure.message);
    return failure.code ? failure.code : CR_EXIT_SETUP;
}
