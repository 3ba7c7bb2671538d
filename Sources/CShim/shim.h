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

enum { OTA_TLS_MSG_CAP = 1024 };

// Backing store of ota_last_errmsg(): one per thread, so handle-free calls are reentrant.
static inline char *ota_tls_msg(void) {
  static _Thread_local char msg[OTA_TLS_MSG_CAP];
  return msg;
}

static inline int ota_errno(void) { return errno; }

// open(2) is variadic, which Swift cannot call: a read-only open that is not inherited.
static inline int ota_open_readonly(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }

// A read-only private mapping of a whole file, or NULL (MAP_FAILED is a cast macro). The
// kernel is told the pages are read once, front to back, as the snapshot reader does.
static inline const void *ota_map_readonly(int fd, size_t len) {
  void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return NULL;
  (void)madvise(p, len, MADV_SEQUENTIAL);
  return p;
}

static inline int ota_is_regular_file(const struct stat *st) { return S_ISREG(st->st_mode); }
