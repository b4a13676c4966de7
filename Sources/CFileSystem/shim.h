// Linux file system calls the Glibc module does not export: extended attributes.
#include <sys/xattr.h>
