// libsqlite3 as a Swift module (apt: libsqlite3-dev).
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import: tell SQLite to copy bound bytes.
static inline sqlite3_destructor_type ota_sqlite_transient(void) { return SQLITE_TRANSIENT; }
