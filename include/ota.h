/*
 * ota.h — the C API of libota, the core of an automotive OTA update backend.
 *
 * This header is the whole contract: what is not declared here is not API. It compiles as
 * C99 (-std=c99 -Wall -Wextra -pedantic -Werror) and as C++.
 *
 * Conventions (after sqlite3.h, libgit2 and zstd):
 *   - Every name is ota_ / OTA_. Handles are opaque; every destructor accepts NULL.
 *   - Every call that can fail returns an int result code: OTA_OK (0) or one of OTA_* below.
 *     The message for the last call on a handle is ota_errmsg(db); for handle-free calls and
 *     for a failed ota_open it is ota_last_errmsg(). Messages say what was wrong and where.
 *   - Inputs come first, as (const uint8_t *data, size_t len) pairs for CBOR documents;
 *     outputs come last and are named out. Times are int64_t Unix seconds named now: the
 *     library never reads a clock, so every result is reproducible.
 *   - Bytes the library returns are in an ota_buf that the caller releases with ota_buf_free;
 *     never free() them yourself. Borrowed pointers (messages) have their lifetime documented.
 *   - Calls that change state take const char *actor, the identity the host authenticated;
 *     the library checks its roles and writes it to the audit trail.
 *   - Options structs start with `unsigned version` and have an *_INIT macro (libgit2), so
 *     fields can be appended without breaking the ABI.
 *
 * Threads: an ota_db handle is used by one thread at a time (SQLite's "multi-thread" mode).
 * Several handles, in one process or several, may work on one store file at once: the store
 * runs in WAL mode with a busy timeout, so readers never block and writers take turns.
 * Handle-free functions (ota_resolve, ota_libversion_number, ...) are reentrant.
 *
 * CBOR documents crossing this API are described in CDDL in docs/schemas/.
 */
#ifndef OTA_H
#define OTA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------------------- */

/* major * 1000000 + minor * 1000 + patch, as SQLITE_VERSION_NUMBER. */
#define OTA_VERSION "0.1.0"
#define OTA_VERSION_NUMBER 1000

/* The version of the library actually linked; compare with OTA_VERSION_NUMBER to detect a
 * header/library mismatch. Never fails; reentrant. */
int ota_libversion_number(void);

/* ---------------------------------------------------------------------------------------
 * Result codes
 * ------------------------------------------------------------------------------------- */

#define OTA_OK         0  /* success */
#define OTA_ERROR      1  /* internal error: a bug in libota; please report the message */
#define OTA_BADINPUT   2  /* malformed or out-of-range caller data (CBOR, UTF-8, a field) */
#define OTA_NOTFOUND   3  /* the named object does not exist */
#define OTA_CONFLICT   4  /* the object's state does not allow it (duplicate, immutable, ...) */
#define OTA_DENIED     5  /* the actor lacks a role, or a two-person rule forbids it */
#define OTA_MISUSE     6  /* the API was misused: NULL handle or out pointer, bad options version */
#define OTA_NOMEM      7  /* out of memory */
#define OTA_STORE      8  /* the SQLite store failed; see ota_store_errcode() */
#define OTA_IO         9  /* a file could not be opened, read or mapped */
#define OTA_CORRUPT   10  /* stored data failed an integrity check (audit chain, ...) */
#define OTA_TOONEW    11  /* the store was written by a newer libota; it was not modified */
#define OTA_CANCELLED 12  /* a progress callback asked to stop; nothing was changed */

/* The symbolic name of a result code ("OTA_BADINPUT"), or "OTA_UNKNOWN". Static storage;
 * never NULL; reentrant. */
const char *ota_code_name(int code);

/* ---------------------------------------------------------------------------------------
 * Owned bytes and messages
 * ------------------------------------------------------------------------------------- */

/* Bytes returned by the library (CBOR documents). The caller owns them and releases them
 * with ota_buf_free. An ota_buf passed as out is overwritten: free what it held first. */
typedef struct ota_buf {
  uint8_t *data;
  size_t len;
} ota_buf;

/* Releases buf->data and sets it to {NULL, 0}. NULL-safe and idempotent (calling it twice,
 * or on a zeroed ota_buf, does nothing). */
void ota_buf_free(ota_buf *buf);

/* The message of the last failed handle-free call (ota_resolve, ota_open, ...) on the calling
 * thread, or "not an error". Never NULL. Thread-local storage, valid until the next libota
 * call on the same thread. */
const char *ota_last_errmsg(void);

/* ---------------------------------------------------------------------------------------
 * The store
 * ------------------------------------------------------------------------------------- */

typedef struct ota_db ota_db;

#define OTA_OPEN_READONLY   0x1u /* open for reading only; nothing is migrated or created */
#define OTA_OPEN_MUSTEXIST  0x2u /* fail with OTA_NOTFOUND instead of creating a new store */

typedef struct ota_open_options {
  unsigned version;            /* OTA_OPEN_OPTIONS_VERSION */
  unsigned flags;              /* OTA_OPEN_* bits */
  int busy_timeout_ms;         /* wait for another writer's lock; 0: the default, 5000 */
  const char *bootstrap_admin; /* granted the admin role if the store has no admin yet (a new
                                  store), with an audit entry; NULL: none. This is how the
                                  first administrator of a store is named. */
  int64_t now;                 /* time of that audit entry */
} ota_open_options;

#define OTA_OPEN_OPTIONS_VERSION 1
#define OTA_OPEN_OPTIONS_INIT { OTA_OPEN_OPTIONS_VERSION, 0u, 0, NULL, 0 }

/* Opens the store at path, creating it if missing; ":memory:" gives a private in-memory
 * store. The store runs in WAL mode with foreign keys and a 5 s busy timeout, and is migrated
 * forward to this library's schema (forward-only migrations, one transaction each).
 *
 * On OTA_OK, *out is a new handle: release it with ota_close. On failure *out is NULL and
 * ota_last_errmsg() says why.
 * Errors: OTA_MISUSE (path or out is NULL), OTA_BADINPUT (path is not UTF-8),
 *         OTA_STORE (SQLite cannot open or migrate the file: unwritable path, not a
 *         database, ...), OTA_TOONEW (written by a newer libota; the file is left untouched),
 *         OTA_NOMEM.
 * Threads: reentrant; the new handle belongs to one thread at a time. */
int ota_open(const char *path, ota_db **out);

/* ota_open with options; opts may be NULL (the defaults). Also returns OTA_MISUSE for an
 * unknown opts->version or unknown flags, and OTA_NOTFOUND with OTA_OPEN_MUSTEXIST. */
int ota_open_ex(const char *path, const ota_open_options *opts, ota_db **out);

/* Closes the handle and frees everything it owns (messages returned by ota_errmsg included).
 * NULL-safe. Returns OTA_OK. */
int ota_close(ota_db *db);

/* The message of the last call on db ("not an error" after a success). Never NULL; for
 * db == NULL, a fixed message. Owned by the handle: valid until the next call on db. */
const char *ota_errmsg(ota_db *db);

/* The result code of the last call on db (OTA_MISUSE for NULL). */
int ota_errcode(ota_db *db);

/* SQLite's extended result code of the last call on db that failed with OTA_STORE (for
 * example SQLITE_BUSY = 5, SQLITE_FULL = 13, SQLITE_READONLY = 8), else 0. */
int ota_store_errcode(ota_db *db);

/* The store's schema version (PRAGMA user_version). Errors: OTA_MISUSE, OTA_STORE. */
int ota_schema_version(ota_db *db, int64_t *out);

/* ---------------------------------------------------------------------------------------
 * The audit trail
 *
 * Every change is an entry (seq, at, actor, action, subject, detail). Entries form a hash
 * chain: entry n stores SHA-256(hash of entry n-1 || CBOR [seq, at, actor, action, subject,
 * detail]), so editing, deleting or reordering an entry is detected. Anchor the head hash
 * outside the store (a log line, a ticket) to detect a truncated tail as well.
 * ------------------------------------------------------------------------------------- */

/* Walks the whole chain. Returns OTA_OK if it is intact, OTA_CORRUPT if not: then
 * *first_bad is the seq of the first entry that does not match (a missing entry's seq for a
 * deletion) and ota_errmsg says what is wrong. entries (may be NULL) receives the number of
 * entries that verified. first_bad (may be NULL) is 0 when the chain is intact.
 * Errors: OTA_MISUSE, OTA_STORE, OTA_CORRUPT. */
int ota_audit_verify(ota_db *db, int64_t *entries, int64_t *first_bad);

/* The newest entry's seq (0 for an empty trail) and its 32-byte hash (zeros when empty), for
 * anchoring outside the store. hash must point to 32 writable bytes; seq may be NULL.
 * Errors: OTA_MISUSE (db or hash NULL), OTA_STORE. */
int ota_audit_head(ota_db *db, int64_t *seq, uint8_t *hash);

/* Entries with seq > after, oldest first, at most limit (limit <= 0: no limit), as a CBOR
 * array of audit-entry (docs/schemas/audit.cddl). *out is the caller's to ota_buf_free.
 * Errors: OTA_MISUSE, OTA_STORE. */
int ota_audit_list(ota_db *db, int64_t after, int64_t limit, ota_buf *out);

/* ---------------------------------------------------------------------------------------
 * Target resolution (device management): pure functions over fleet snapshots
 * ------------------------------------------------------------------------------------- */

/* Resolves a target rule over a fleet snapshot: which ECUs of which vehicles an update is
 * for, and why every other vehicle was left out. Pure: the result depends only on the two
 * documents' contents (not on their encoding: definite or indefinite lengths, integer widths,
 * chunked strings, a string table or inline strings all give the same bytes out).
 *
 * snapshot: a fleet snapshot, format version 1 (docs/schemas/fleet-snapshot.cddl). Borrowed
 *   for the duration of the call and read in place, in one streaming pass: memory beyond the
 *   result is the string table's index plus one vehicle, so mapping a file (mmap) is the way
 *   to resolve a large fleet. At most 1 GiB per call; resolve larger fleets as shards (each
 *   a complete snapshot with its own table): the results of the shards, their "targets"
 *   concatenated and their counts added, equal the result of the whole.
 * rule: a target rule (docs/schemas/target-rule.cddl), a CBOR map with text keys; at most
 *   16 MiB, 32 "requires" entries and 32 "attributes". Borrowed for the duration of the call.
 * out: on OTA_OK, the resolution (docs/schemas/resolution.cddl), deterministically encoded:
 *     { "scanned": uint, "targets": [* [vin, hw, from, serial / null]], "excluded": {...} }
 *   "targets" holds one entry per matching ECU (a vehicle with two matching door modules
 *   gives two), in snapshot order: the VIN, the ECU's hardware part number, its installed
 *   software version (the one to be replaced) and its serial number. Strings compare byte
 *   for byte (no case folding, no Unicode normalization). "excluded" counts the other
 *   vehicles under the first check they failed, in this order, and lists only reasons with
 *   a count above zero:
 *     "vins"        not in "vins", or in "exclude-vins"
 *     "produced"    produced outside the inclusive [from, until] window
 *     "model", "variant", "powertrain", "market"   not one of the listed values
 *     "attributes"  a listed attribute is missing or has another value (types must match:
 *                   1 is not true, "1" is not 1)
 *     "no-ecu"      no ECU of the rule's node
 *     "hw"          none of the node's ECUs has a listed hardware part number
 *     "up-to-date"  every such ECU is already on "to"
 *     "from"        none of the remaining ECUs is on a listed "from" version
 *     "requires"    for a [node, versions] requirement, the vehicle has no ECU of that node,
 *                   or one of them is on another version
 *   "scanned" = vehicles with a target + the sum of "excluded". The caller owns *out and
 *   releases it with ota_buf_free. On failure *out is {NULL, 0}.
 *
 * Errors (message from ota_last_errmsg(), naming the key, the vehicle's position and the byte
 * offset, as in "snapshot: vehicle 12 (byte 3456): ecus[2]: hw: string-table index 900 at
 * byte 3501 is past the end of the string table (300 entries)"); the rule is checked first:
 *   OTA_MISUSE    out is NULL, or snapshot/rule is NULL with a non-zero length.
 *   OTA_BADINPUT  the rule is malformed: not one CBOR map, an unknown key, a wrong type, an
 *                 empty list, an empty "ecu", a "vins"/"exclude-vins" entry that is not a VIN,
 *                 a "produced" window that ends before it starts, too many entries;
 *                 or the snapshot is: not exactly one valid CBOR item (well-formed, UTF-8
 *                 text, unique attribute keys), not of the snapshot's shape, another format
 *                 version, top-level keys out of order, a string-table index past the table,
 *                 a VIN that is not 17 characters from 0-9 A-Z without I, O, Q; or a
 *                 document exceeds its size limit. Nothing partial is returned.
 *   OTA_NOMEM     the result could not be allocated.
 * Threads: reentrant; no shared state. Calls on different threads may share the snapshot. */
int ota_resolve(const uint8_t *snapshot, size_t snapshot_len,
                const uint8_t *rule, size_t rule_len, ota_buf *out);

/* ---------------------------------------------------------------------------------------
 * The fleet inventory (device management): import, export, history
 * ------------------------------------------------------------------------------------- */

/* ---------------------------------------------------------------------------------------
 * Roles
 * ------------------------------------------------------------------------------------- */

/* ---------------------------------------------------------------------------------------
 * Packages (update management): registration, lifecycle, integrity, signatures
 * ------------------------------------------------------------------------------------- */

#ifdef __cplusplus
}
#endif

#endif /* OTA_H */
