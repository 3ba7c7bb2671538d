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
