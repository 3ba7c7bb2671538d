/* Shards: a fleet split into two snapshot files, each complete with its own string table,
 * resolved on two threads at once, gives the result of the whole: the shards' targets
 * concatenated, their counts added. Results are compared through libcbor. */
#include <cbor.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota.h"
#include "check.h"
#include "cbor_build.h"

enum { VEHICLES = 3000, SPLIT = 1234 };

/* The string table of a shard: `reverse` lists it backwards, so the two shards' indices differ. */
static const char *table[] = {"IVI", "GW", "Aster", "Borealis", "DE", "FR", "US", "HW-1", "HW-2", "4.0", "4.1", "5.0"};
enum { NTABLE = sizeof table / sizeof table[0] };

/* A str field: its string-table index, or the text inline if the table lacks it. */
static cbor_item_t *str(const char *s, int reverse) {
  for (int i = 0; i < NTABLE; i++)
    if (!strcmp(table[i], s)) return cb_uint((uint64_t)(reverse ? NTABLE - 1 - i : i));
  return cb_text(s);
}

static void vin(int i, char out[18]) {
  static const char *alphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
  memcpy(out, "WLXSHARD0TS", 11);
  for (int k = 16, v = i; k >= 11; k--, v /= 33) out[k] = alphabet[v % 33];
  out[17] = 0;
}

/* Vehicles [from, to) of the fleet as one snapshot. */
static cb_doc shard(int from, int to, int reverse) {
  static const char *models[] = {"Aster", "Borealis"}, *markets[] = {"DE", "FR", "US"};
  static const char *hw[] = {"HW-1", "HW-2", "HW-3"}, *sw[] = {"4.0", "4.1", "5.0", "3.9"};
  cbor_item_t *strings = cb_array_of(NTABLE), *vehicles = cb_array_of((size_t)(to - from));
  for (int i = 0; i < NTABLE; i++) cb_push(strings, cb_text(table[reverse ? NTABLE - 1 - i : i]));
  for (int i = from; i < to; i++) {
    char v[18];
    vin(i, v);
    int ivis = i % 11 == 0 ? 2 : (i % 13 == 0 ? 0 : 1); /* some with two IVIs, some with none */
    cbor_item_t *ecus = cb_array_of((size_t)(1 + ivis));
    cb_push(ecus, cb_array(3, str("GW", reverse), str("HW-1", reverse), str("4.0", reverse)));
    for (int k = 0; k < ivis; k++)
      cb_push(ecus, cb_array(3, str("IVI", reverse), str(hw[(i + k) % 3], reverse), str(sw[(i / 3 + k) % 4], reverse)));
    cb_push(vehicles, cb_array(7, cb_text(v), str(models[i % 2], reverse), cb_text("base"), cb_text("petrol"),
                               str(markets[i % 3], reverse), cb_uint(1600000000u + (uint64_t)i), ecus));
  }
  return cb_encode(cb_map(4, cb_uint(0), cb_uint(1), cb_uint(1), cb_uint(1780000000u),
                          cb_uint(2), strings, cb_uint(3), vehicles));
}

static cb_doc rule(void) {
  return cb_encode(cb_map(5, cb_text("ecu"), cb_text("IVI"),
                          cb_text("hw"), cb_array(2, cb_text("HW-1"), cb_text("HW-2")),
                          cb_text("from"), cb_array(2, cb_text("4.0"), cb_text("4.1")),
                          cb_text("to"), cb_text("5.0"),
                          cb_text("markets"), cb_array(2, cb_text("DE"), cb_text("US"))));
}

struct job { cb_doc snapshot, rule; int rc; ota_buf out; };

static void *resolve_job(void *arg) {
  struct job *j = (struct job *)arg;
  j->out.data = NULL;
  j->out.len = 0;
  j->rc = ota_resolve(j->snapshot.data, j->snapshot.len, j->rule.data, j->rule.len, &j->out);
  return NULL;
}

static cbor_item_t *get(cbor_item_t *map, const char *key) {
  for (size_t i = 0; i < cbor_map_size(map); i++) {
    struct cbor_pair p = cbor_map_handle(map)[i];
    if (cbor_string_length(p.key) == strlen(key) && !memcmp(cbor_string_handle(p.key), key, strlen(key)))
      return p.value;
  }
  return NULL;
}

/* The encoded bytes of item k of an array, for comparing targets exactly. */
static int same_item(cbor_item_t *a, cbor_item_t *b) {
  unsigned char *x = NULL, *y = NULL;
  size_t xs = 0, ys = 0;
  size_t xn = cbor_serialize_alloc(a, &x, &xs), yn = cbor_serialize_alloc(b, &y, &ys);
  int same = xn == yn && xn > 0 && !memcmp(x, y, xn);
  free(x);
  free(y);
  return same;
}

static uint64_t excluded(cbor_item_t *doc, const char *reason) {
  cbor_item_t *e = get(get(doc, "excluded"), reason);
  return e ? cbor_get_int(e) : 0;
}

int main(void) {
  cb_doc r = rule();
  struct job whole = {shard(0, VEHICLES, 0), r, -1, {NULL, 0}};
  struct job a = {shard(0, SPLIT, 0), r, -1, {NULL, 0}};
  struct job b = {shard(SPLIT, VEHICLES, 1), r, -1, {NULL, 0}};

  pthread_t ta, tb;
  CHECK(pthread_create(&ta, NULL, resolve_job, &a) == 0);
  CHECK(pthread_create(&tb, NULL, resolve_job, &b) == 0);
  resolve_job(&whole); /* the whole, on this thread, at the same time */
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  CHECK(whole.rc == OTA_OK && a.rc == OTA_OK && b.rc == OTA_OK);

  struct cbor_load_result lr;
  cbor_item_t *dw = cbor_load(whole.out.data, whole.out.len, &lr);
  cbor_item_t *da = cbor_load(a.out.data, a.out.len, &lr);
  cbor_item_t *db = cbor_load(b.out.data, b.out.len, &lr);
  CHECK(dw && da && db);
  if (dw && da && db) {
    CHECK(cbor_get_int(get(dw, "scanned")) == VEHICLES);
    CHECK(cbor_get_int(get(da, "scanned")) + cbor_get_int(get(db, "scanned")) == VEHICLES);
    cbor_item_t *tw = get(dw, "targets"), *t1 = get(da, "targets"), *t2 = get(db, "targets");
    size_t n1 = cbor_array_size(t1), n2 = cbor_array_size(t2);
    CHECK(n1 > 0 && n2 > 0 && cbor_array_size(tw) == n1 + n2);
    int same = cbor_array_size(tw) == n1 + n2;
    for (size_t i = 0; same && i < n1 + n2; i++)
      same = same_item(cbor_array_handle(tw)[i], i < n1 ? cbor_array_handle(t1)[i] : cbor_array_handle(t2)[i - n1]);
    CHECK(same);
    static const char *reasons[] = {"market", "no-ecu", "hw", "up-to-date", "from"};
    for (int k = 0; k < 5; k++) {
      CHECK(excluded(dw, reasons[k]) == excluded(da, reasons[k]) + excluded(db, reasons[k]));
      CHECK(excluded(dw, reasons[k]) > 0);
    }
  }
  if (dw) cbor_decref(&dw);
  if (da) cbor_decref(&da);
  if (db) cbor_decref(&db);
  ota_buf_free(&whole.out);
  ota_buf_free(&a.out);
  ota_buf_free(&b.out);
  cb_free(&whole.snapshot);
  cb_free(&a.snapshot);
  cb_free(&b.snapshot);
  cb_free(&r);
  return check_report("test_resolve_shards");
}
