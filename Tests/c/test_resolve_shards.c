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

enum { VEHICLES = 3000, SPLIT = 1234 };

typedef struct { uint8_t *b; size_t n, cap; } W;

static void put(W *w, const void *p, size_t n) {
  if (w->n + n > w->cap) {
    w->cap = (w->n + n) * 2;
    w->b = (uint8_t *)realloc(w->b, w->cap);
    if (!w->b) { perror("realloc"); exit(1); }
  }
  memcpy(w->b + w->n, p, n);
  w->n += n;
}
static void head(W *w, int major, uint64_t v) {
  uint8_t h[5], mt = (uint8_t)(major << 5);
  if (v < 24) { h[0] = (uint8_t)(mt | v); put(w, h, 1); return; }
  if (v < 256) { h[0] = mt | 24; h[1] = (uint8_t)v; put(w, h, 2); return; }
  h[0] = mt | 26;
  for (int i = 0; i < 4; i++) h[1 + i] = (uint8_t)(v >> (24 - 8 * i));
  put(w, h, 5);
}
static void text(W *w, const char *s) { head(w, 3, strlen(s)); put(w, s, strlen(s)); }

/* The string table of a shard: `reverse` lists it backwards, so the two shards' indices differ. */
static const char *table[] = {"IVI", "GW", "Aster", "Borealis", "DE", "FR", "US", "HW-1", "HW-2", "4.0", "4.1", "5.0"};
enum { NTABLE = sizeof table / sizeof table[0] };

static void str(W *w, const char *s, int reverse) {
  for (int i = 0; i < NTABLE; i++)
    if (!strcmp(table[i], s)) { head(w, 0, (uint64_t)(reverse ? NTABLE - 1 - i : i)); return; }
  text(w, s);
}

static void vin(int i, char out[18]) {
  static const char *alphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
  memcpy(out, "WLXSHARD0TS", 11);
  for (int k = 16, v = i; k >= 11; k--, v /= 33) out[k] = alphabet[v % 33];
  out[17] = 0;
}

/* Vehicles [from, to) of the fleet as one snapshot. */
static W shard(int from, int to, int reverse) {
  W w = {NULL, 0, 0};
  static const char *models[] = {"Aster", "Borealis"}, *markets[] = {"DE", "FR", "US"};
  static const char *hw[] = {"HW-1", "HW-2", "HW-3"}, *sw[] = {"4.0", "4.1", "5.0", "3.9"};
  head(&w, 5, 4);
  head(&w, 0, 0); head(&w, 0, 1);
  head(&w, 0, 1); head(&w, 0, 1780000000u);
  head(&w, 0, 2); head(&w, 4, NTABLE);
  for (int i = 0; i < NTABLE; i++) text(&w, table[reverse ? NTABLE - 1 - i : i]);
  head(&w, 0, 3); head(&w, 4, (uint64_t)(to - from));
  for (int i = from; i < to; i++) {
    char v[18];
    vin(i, v);
    head(&w, 4, 7);
    text(&w, v); str(&w, models[i % 2], reverse); text(&w, "base"); text(&w, "petrol");
    str(&w, markets[i % 3], reverse); head(&w, 0, 1600000000u + (uint64_t)i);
    int ivis = i % 11 == 0 ? 2 : (i % 13 == 0 ? 0 : 1); /* some with two IVIs, some with none */
    head(&w, 4, (uint64_t)(1 + ivis));
    head(&w, 4, 3); str(&w, "GW", reverse); str(&w, "HW-1", reverse); str(&w, "4.0", reverse);
    for (int k = 0; k < ivis; k++) {
      head(&w, 4, 3); str(&w, "IVI", reverse); str(&w, hw[(i + k) % 3], reverse); str(&w, sw[(i / 3 + k) % 4], reverse);
    }
  }
  return w;
}

static W rule(void) {
  W w = {NULL, 0, 0};
  head(&w, 5, 5);
  text(&w, "ecu"); text(&w, "IVI");
  text(&w, "hw"); head(&w, 4, 2); text(&w, "HW-1"); text(&w, "HW-2");
  text(&w, "from"); head(&w, 4, 2); text(&w, "4.0"); text(&w, "4.1");
  text(&w, "to"); text(&w, "5.0");
  text(&w, "markets"); head(&w, 4, 2); text(&w, "DE"); text(&w, "US");
  return w;
}

struct job { W snapshot, rule; int rc; ota_buf out; };

static void *resolve_job(void *arg) {
  struct job *j = (struct job *)arg;
  j->out.data = NULL;
  j->out.len = 0;
  j->rc = ota_resolve(j->snapshot.b, j->snapshot.n, j->rule.b, j->rule.n, &j->out);
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
  W r = rule();
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
  free(whole.snapshot.b);
  free(a.snapshot.b);
  free(b.snapshot.b);
  free(r.b);
  return check_report("test_resolve_shards");
}
