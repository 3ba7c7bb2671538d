/* LD_PRELOAD fault injection for test_e2e_mqtt.py: the first malloc of exactly
 * FAILMALLOC_SIZE bytes returns NULL (glibc only: it calls __libc_malloc). */
#include <stddef.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);

static int failed;

void *malloc(size_t n) {
  static long size = -1;
  if (size < 0) {
    const char *s = getenv("FAILMALLOC_SIZE");
    size = s ? atol(s) : 0;
  }
  if (!failed && size > 0 && n == (size_t)size) {
    failed = 1;
    return NULL;
  }
  return __libc_malloc(n);
}
