// Linux calls the Glibc module does not export: extended attributes, closefrom for spawns.
#include <sys/xattr.h>
// glibc ≥ 2.34 has it; its header only declares it with _GNU_SOURCE, which Swift's Glibc
// module is built without.
#include <spawn.h>
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
// Starts writeback of a file's dirty pages without waiting (also _GNU_SOURCE-only).
#include <fcntl.h>
#define SYNC_FILE_RANGE_WRITE 2
int sync_file_range(int fd, off_t offset, off_t nbytes, unsigned int flags);
