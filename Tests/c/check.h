/* A minimal test harness for the C tests: CHECK counts, and the last line is the plain
 * "N passed, N failed" that CI reads. */
#ifndef OTA_TEST_CHECK_H
#define OTA_TEST_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond) do { \
    if (cond) { check_passed++; } \
    else { check_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
  } while (0)

/* The message contains the fragment. */
#define CHECK_MSG(msg, fragment) do { \
    const char *m_ = (msg); \
    if (m_ && strstr(m_, (fragment))) { check_passed++; } \
    else { check_failed++; fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, m_ ? m_ : "(null)", (fragment)); } \
  } while (0)

static int check_report(const char *name) {
  printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
  return check_failed == 0 ? 0 : 1;
}
#endif
