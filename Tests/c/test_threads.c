/* ota_last_errmsg is thread-local: two threads failing different calls at once each read
 * their own message; handles opened on several threads share one store file. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ota.h"
#include "check.h"

enum { ROUNDS = 2000 };

static void *fail_null_path(void *arg) {
  int *ok = (int *)arg;
  for (int i = 0; i < ROUNDS; i++) {
    ota_db *db = NULL;
    if (ota_open(NULL, &db) != OTA_MISUSE || !strstr(ota_last_errmsg(), "path is NULL")) return NULL;
  }
  *ok = 1;
  return NULL;
}

static void *fail_bad_utf8(void *arg) {
  int *ok = (int *)arg;
  for (int i = 0; i < ROUNDS; i++) {
    ota_db *db = NULL;
    if (ota_open("\xc3\x28", &db) != OTA_BADINPUT || !strstr(ota_last_errmsg(), "UTF-8")) return NULL;
  }
  *ok = 1;
  return NULL;
}

static void *verify_store(void *arg) {
  int *ok = (int *)arg;
  ota_db *db = NULL;
  if (ota_open("test_threads.db", &db) != OTA_OK) return NULL;
  int64_t entries = 0;
  for (int i = 0; i < 200; i++)
    if (ota_audit_verify(db, &entries, NULL) != OTA_OK || entries != 1) { ota_close(db); return NULL; }
  ota_close(db);
  *ok = 1;
  return NULL;
}

int main(void) {
  int a = 0, b = 0;
  pthread_t ta, tb;
  pthread_create(&ta, NULL, fail_null_path, &a);
  pthread_create(&tb, NULL, fail_bad_utf8, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  CHECK(a == 1);
  CHECK(b == 1);
  CHECK(strcmp(ota_last_errmsg(), "not an error") == 0); /* this thread made no failing call */

  unlink("test_threads.db");
  ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
  opts.bootstrap_admin = "root";
  ota_db *db = NULL;
  CHECK(ota_open_ex("test_threads.db", &opts, &db) == OTA_OK);
  int c = 0, d = 0;
  pthread_t tc, td;
  pthread_create(&tc, NULL, verify_store, &c);
  pthread_create(&td, NULL, verify_store, &d);
  pthread_join(tc, NULL);
  pthread_join(td, NULL);
  CHECK(c == 1 && d == 1);
  ota_close(db);
  unlink("test_threads.db");
  return check_report("test_threads");
}
