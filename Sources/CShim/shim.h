// The few C library facilities the exports need, without importing Glibc (which Embedded
// Swift does not have): file I/O, memory mapping, and a thread-local message buffer.
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

// The size of ota_last_errmsg()'s buffer, its NUL included: a longer message is cut to
// OTA_TLS_MSG_CAP - 1 bytes at a UTF-8 character boundary (ota.h says so).
enum { OTA_TLS_MSG_CAP = 1024 };

// Backing store of ota_last_errmsg(): one per thread, so handle-free calls are reentrant.
static inline char *ota_tls_msg(void) {
  static _Thread_local char msg[OTA_TLS_MSG_CAP];
  return msg;
}

static inline int ota_errno(void) { return errno; }

// open(2) and fcntl(2) are variadic, which Swift cannot call. A read-only open that is not
// inherited and does not block: a FIFO without a writer (or a device) would otherwise hang
// in open(2) before fstat could tell that it is not a regular file.
static inline int ota_open_nonblocking(const char *path) {
  return open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
}

// Back to blocking reads once the file is known to be regular; 0 or -1 (errno).
static inline int ota_clear_nonblock(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -1;
  return fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

// A read-only private mapping of a whole file, or NULL (MAP_FAILED is a cast macro). The
// kernel is told the pages are read once, front to back, as the snapshot reader does.
static inline const void *ota_map_readonly(int fd, size_t len) {
  void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return NULL;
  (void)madvise(p, len, MADV_SEQUENTIAL);
  return p;
}

static inline int ota_is_regular_file(const struct stat *st) { return S_ISREG(st->st_mode); }

static inline int ota_is_device(const struct stat *st) { return S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode); }
