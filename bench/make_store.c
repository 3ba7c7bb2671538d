/* make_store: creates a fresh, migrated libota store at PATH (the schema the baseline
 * inserts into), then closes it.   make_store PATH */
#include <stdio.h>

#include "ota.h"

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: make_store PATH\n"); return 2; }
    ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
    opts.bootstrap_admin = "bench";
    ota_db *db = NULL;
    if (ota_open_ex(argv[1], &opts, &db) != OTA_OK) { fprintf(stderr, "%s\n", ota_last_errmsg()); return 1; }
    return ota_close(db);
}
