#ifndef CTLS_H
#define CTLS_H
#include <stddef.h>

// TLS client sessions over a connected socket, through the system's OpenSSL: the peer's
// certificate must chain to the system's trust store (or to `ca_file`) and name `host`.

// A session, or NULL with a message in `error`.
void *ctls_connect(int fd, const char *host, const char *ca_file, char *error, size_t error_size);
// Bytes read (> 0), 0 at the end of the stream, -1 on an error.
long ctls_read(void *session, void *buffer, size_t count);
// Bytes written (> 0), or -1 on an error.
long ctls_write(void *session, const void *buffer, size_t count);
void ctls_close(void *session);

#endif
