#define _GNU_SOURCE
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int open_in_root(int root_fd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    while (*path == '/') path++;
    if (*path == 0) path = ".";
    long fd;
    do { fd = syscall(SYS_openat2, root_fd, path, &how, sizeof how); } while (fd < 0 && errno == EINTR);
    return (int)fd;
}

// Opens `path` inside the rootfs (O_PATH), creating missing directories — and the last
// component as an empty file when `is_file` — without ever leaving the rootfs.
static int resolve_target(int error_fd, int root_fd, const char *path, int is_file) {
    int fd = open_in_root(root_fd, path, O_PATH);
    if (fd >= 0 || errno != ENOENT) {
        if (fd < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "mount target %s", path);
        return fd;
    }
    char prefix[4096];
    size_t length = strlen(path);
    if (length >= sizeof prefix) cr_fail(error_fd, CR_EXIT_SETUP, ENAMETOOLONG, "mount target %s", path);
    size_t start = 0;
    while (start < length) {
        while (start < length && path[start] == '/') start++;
        size_t end = start;
        while (end < length && path[end] != '/') end++;
        if (end == start) break;
        int last = path[end + strspn(path + end, "/")] == 0;
        memcpy(prefix, path, end);
        prefix[end] = 0;
        int existing = open_in_root(root_fd, prefix, O_PATH);
        if (existing >= 0) {
            close(existing);
        } else if (errno == ENOENT) {
            char parent[4096];
            memcpy(parent, path, start);
            parent[start] = 0;
            char name[256];
            if (end - start >= sizeof name) cr_fail(error_fd, CR_EXIT_SETUP, ENAMETOOLONG, "mount target %s", path);
            memcpy(name, path + start, end - start);
            name[end - start] = 0;
            int parent_fd = open_in_root(root_fd, parent, O_PATH | O_DIRECTORY);
            if (parent_fd < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "mount target %s", path);
            if (last && is_file) {
                int file = openat(parent_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (file < 0 && errno != EEXIST) cr_fail(error_fd, CR_EXIT_SETUP, errno, "create mount target %s", path);
                if (file >= 0) close(file);
            } else if (mkdirat(parent_fd, name, 0755) != 0 && errno != EEXIST) {
                cr_fail(error_fd, CR_EXIT_SETUP, errno, "create mount target %s", path);
            }
            close(parent_fd);
        } else {
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "mount target %s", path);
        }
        start = end;
    }
    fd = open_in_root(root_fd, path, O_PATH);
    if (fd < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "mount target %s", path);
    return fd;
}

static void fd_path(char *buffer, size_t size, int fd) { snprintf(buffer, size, "/proc/self/fd/%d", fd); }

#define CONTENT_FILE ".swiftcompose-file"

// A mount with content (the /etc files): the file is made in the container's /dev, the tmpfs
// mounted just before, so nothing of it touches the host's disk. Returns /dev's fd and the
// file's path in `source`; the caller unlinks it once bound, and the mount alone keeps it.
static int make_content_file(int error_fd, int root_fd, const struct cr_mount *m, char *source, size_t size) {
    int dev = open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY);
    struct statfs fs;
    if (dev < 0 || fstatfs(dev, &fs) != 0 || fs.f_type != TMPFS_MAGIC)
        cr_fail(error_fd, CR_EXIT_SETUP, dev < 0 ? errno : 0, "make %s: the container's /dev is not its own tmpfs", m->target);
    int file = openat(dev, CONTENT_FILE, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (file < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "make %s", m->target);
    size_t written = 0;
    while (written < m->content_length) {
        ssize_t n = write(file, m->content + written, m->content_length - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "write %s", m->target);
        written += (size_t)n;
    }
    close(file);
    snprintf(source, size, "/proc/self/fd/%d/" CONTENT_FILE, dev);
    return dev;
}

static void perform_mount(int error_fd, int root_fd, const struct cr_mount *m) {
    int target = resolve_target(error_fd, root_fd, m->target, m->target_is_file);
    char target_path[64];
    fd_path(target_path, sizeof target_path, target);
    unsigned long remount_flags = m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (m->fstype == NULL) {
        char content_source[64];
        int content_dir = m->content ? make_content_file(error_fd, root_fd, m, content_source, sizeof content_source) : -1;
        const char *source = m->content ? content_source : m->source;
        unsigned long recursive = m->flags & MS_REC;
        if (mount(source, target_path, NULL, MS_BIND | recursive, NULL) != 0)
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "bind mount %s on %s", m->content ? "a file" : m->source, m->target);
        close(target);
        if (content_dir >= 0) {
            unlinkat(content_dir, CONTENT_FILE, 0);
            close(content_dir);
        }
        if (remount_flags) {
            // The new mount is reached by resolving the path again (the old fd is the covered inode).
            target = resolve_target(error_fd, root_fd, m->target, m->target_is_file);
            fd_path(target_path, sizeof target_path, target);
            if (mount(NULL, target_path, NULL, MS_BIND | MS_REMOUNT | remount_flags, NULL) != 0)
                cr_fail(error_fd, CR_EXIT_SETUP, errno, "remount %s", m->target);
            close(target);
        }
        return;
    }
    if (mount(m->source, target_path, m->fstype, m->flags, m->data) != 0) {
        // sysfs cannot be mounted in the host network namespace: bind the host's read-only.
        if (strcmp(m->fstype, "sysfs") == 0 && (errno == EPERM || errno == EBUSY)) {
            if (mount("/sys", target_path, NULL, MS_BIND | MS_REC, NULL) == 0) {
                close(target);
                target = resolve_target(error_fd, root_fd, m->target, 0);
                fd_path(target_path, sizeof target_path, target);
                mount(NULL, target_path, NULL, MS_BIND | MS_REMOUNT | remount_flags, NULL);
                close(target);
                return;
            }
        }
        cr_fail(error_fd, CR_EXIT_SETUP, errno, "mount %s on %s", m->fstype, m->target);
    }
    close(target);
}

// Runs before pivot_root: the rootfs itself, then every mount, device and link in order.
void cr_setup_mounts(int error_fd, const struct cr_container *c) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        cr_fail(error_fd, CR_EXIT_SETUP, errno, "make mounts private");
    if (c->rootfs_fstype) {
        if (mount(c->rootfs_fstype, c->rootfs, c->rootfs_fstype, 0, c->rootfs_data) != 0)
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "mount the %s rootfs on %s", c->rootfs_fstype, c->rootfs);
    } else if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) != 0) {
        cr_fail(error_fd, CR_EXIT_SETUP, errno, "bind the rootfs %s", c->rootfs);
    }
    int root_fd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "open rootfs %s", c->rootfs);
    for (int i = 0; i < c->mount_count; i++) perform_mount(error_fd, root_fd, &c->mounts[i]);
    for (int i = 0; i < c->device_count; i++) {
        const struct cr_device *d = &c->devices[i];
        const char *slash = strrchr(d->path, '/');
        char directory[4096];
        size_t length = slash ? (size_t)(slash - d->path) : 0;
        if (length >= sizeof directory) cr_fail(error_fd, CR_EXIT_SETUP, ENAMETOOLONG, "device %s", d->path);
        memcpy(directory, d->path, length);
        directory[length] = 0;
        int directory_fd = resolve_target(error_fd, root_fd, length ? directory : "/", 0);
        int real = openat(directory_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (real < 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "device directory %s", directory);
        unlinkat(real, slash ? slash + 1 : d->path, 0);
        if (mknodat(real, slash ? slash + 1 : d->path, d->mode, makedev(d->major, d->minor)) != 0)
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "create device %s", d->path);
        if (fchownat(real, slash ? slash + 1 : d->path, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) != 0)
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "chown device %s", d->path);
        fchmodat(real, slash ? slash + 1 : d->path, d->mode & 07777, 0);
        close(real);
        close(directory_fd);
    }
    for (int i = 0; i < c->symlink_count; i++) {
        const char *link = c->symlinks[2 * i], *target = c->symlinks[2 * i + 1];
        const char *slash = strrchr(link, '/');
        char directory[4096];
        size_t length = slash ? (size_t)(slash - link) : 0;
        if (length >= sizeof directory) cr_fail(error_fd, CR_EXIT_SETUP, ENAMETOOLONG, "link %s", link);
        memcpy(directory, link, length);
        directory[length] = 0;
        int directory_fd = resolve_target(error_fd, root_fd, length ? directory : "/", 0);
        int real = openat(directory_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (real < 0 || (symlinkat(target, real, slash ? slash + 1 : link) != 0 && errno != EEXIST))
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "create link %s", link);
        close(real);
        close(directory_fd);
    }
    close(root_fd);
}

// Runs after pivot_root: Docker's masked and read-only paths, then a read-only /.
void cr_finish_rootfs(int error_fd, const struct cr_container *c) {
    for (int i = 0; i < c->masked_path_count; i++) {
        const char *path = c->masked_paths[i];
        struct stat st;
        if (lstat(path, &st) != 0) continue;
        int failed = S_ISDIR(st.st_mode)
            ? mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0")
            : mount("/dev/null", path, NULL, MS_BIND, NULL);
        if (failed != 0) cr_fail(error_fd, CR_EXIT_SETUP, errno, "mask %s", path);
    }
    for (int i = 0; i < c->readonly_path_count; i++) {
        const char *path = c->readonly_paths[i];
        if (access(path, F_OK) != 0) continue;
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0 ||
            mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
            cr_fail(error_fd, CR_EXIT_SETUP, errno, "make %s read-only", path);
    }
    if (c->readonly_rootfs && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)
        cr_fail(error_fd, CR_EXIT_SETUP, errno, "make the rootfs read-only");
}
