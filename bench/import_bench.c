/* import_bench: ota_fleet_import of a snapshot into a fresh store, timed around the call
 * alone (it reads, checks and matches the snapshot, writes the rows, the audit entry, and
 * commits).
 *
 *   import_bench SNAPSHOT.cbor STORE.db   prints: import-libota vehicles=N ns=T progress=C
 *
 * STORE.db must not exist; it is created with an admin "bench". */
#define _GNU_SOURCE
#include <cbor.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ota.h"

/* One count of the import summary (a CBOR map with text keys). */
static unsigned long long summary_count(const ota_buf *summary, const char *key) {
    struct cbor_load_result res;
    cbor_item_t *map = cbor_load(summary->data, summary->len, &res);
    unsigned long long n = 0;
    if (!map) return 0;
    struct cbor_pair *pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        cbor_item_t *k = pairs[i].key;
        if (cbor_isa_string(k) && cbor_string_length(k) == strlen(key) &&
            !memcmp(cbor_string_handle(k), key, strlen(key)) && cbor_isa_uint(pairs[i].value))
            n = cbor_get_int(pairs[i].value);
    }
    cbor_decref(&map);
    return n;
}

static int progress(void *ctx, uint64_t done, uint64_t total) {
    (void)done;
    (void)total;
    ++*(long *)ctx;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: import_bench SNAPSHOT.cbor STORE.db\n"); return 2; }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) { perror(argv[1]); return 1; }
    const uint8_t *buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (buf == MAP_FAILED) { perror("mmap"); return 1; }

    ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
    opts.bootstrap_admin = "bench";
    opts.flags = 0;
    ota_db *db = NULL;
    if (ota_open_ex(argv[2], &opts, &db) != OTA_OK) { fprintf(stderr, "%s\n", ota_last_errmsg()); return 1; }

    long calls = 0;
    ota_buf summary = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = ota_fleet_import(db, "bench", 1790000000, buf, (size_t)st.st_size, progress, &calls, &summary);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != OTA_OK) { fprintf(stderr, "%s: %s\n", ota_code_name(rc), ota_errmsg(db)); return 1; }
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    unsigned long long vehicles = summary_count(&summary, "vehicles");
    ota_buf_free(&summary);
    ota_close(db);
    printf("import-libota vehicles=%llu ns=%lld progress=%ld\n", vehicles, ns, calls);
    return 0;
}
