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
 *     library never reads a clock, so every result is reproducible. A now outside
 *     0...253402300799 (1970 to the end of 9999) is OTA_BADINPUT for every call, before
 *     anything is read or written; times inside documents (a campaign's start and end) have
 *     the same range.
 *   - Bytes the library returns are in an ota_buf that the caller releases with ota_buf_free;
 *     never free() them yourself. Borrowed pointers (messages) have their lifetime documented.
 *   - Every call with an ota_buf out sets it to {NULL, 0} first, before any check (also when
 *     db is NULL), so after any failure it is {NULL, 0} and ota_buf_free on it is harmless.
 *     Fixed-size outputs (uint8_t[32]) are written only with exactly that many bytes: a stored
 *     value of another size is OTA_CORRUPT and the output is left as it was.
 *   - Calls that change state take const char *actor, the identity the host authenticated;
 *     the library checks its roles and writes it to the audit trail.
 *   - Identities (actor, who, role, kid, bootstrap_admin) follow one rule: 1 to 256 bytes of
 *     UTF-8, no control character (C0 U+0000-U+001F, DEL U+007F, C1 U+0080-U+009F such as
 *     U+0085), no whitespace at either end ("root\n", " root", "root\u00a0" are refused).
 *     Anything else is OTA_BADINPUT naming the argument and the character.
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
 * call on the same thread. The buffer is 1024 bytes: a longer message is cut to at most 1023
 * bytes, at a UTF-8 character boundary (ota_errmsg, owned by the handle, is never cut). */
const char *ota_last_errmsg(void);

/* ---------------------------------------------------------------------------------------
 * The store
 * ------------------------------------------------------------------------------------- */

typedef struct ota_db ota_db;

#define OTA_OPEN_READONLY   0x1u /* open for reading only; nothing is migrated or created (a
                                    store of an older schema is refused: OTA_CONFLICT) */
#define OTA_OPEN_MUSTEXIST  0x2u /* fail with OTA_NOTFOUND instead of creating a new store */
#define OTA_OPEN_FAST_INGEST 0x4u /* status ingestion commits with synchronous = NORMAL: it
                                     survives a process crash, but a power loss or OS crash may
                                     lose the last transactions that returned OTA_OK (default:
                                     synchronous = FULL, on disk when OTA_OK is returned) */

typedef struct ota_open_options {
  unsigned version;            /* OTA_OPEN_OPTIONS_VERSION, or from ota_open_options_init */
  unsigned flags;              /* OTA_OPEN_* bits */
  int busy_timeout_ms;         /* wait for another writer's lock; 0: the default, 5000 */
  const char *bootstrap_admin; /* granted the admin role if the store has no admin yet (a new
                                  store), with an audit entry; NULL: none. This is how the
                                  first administrator of a store is named. An identity (see
                                  the conventions above): "root\n" is OTA_BADINPUT at open. */
  int64_t now;                 /* time of that audit entry */
} ota_open_options;

#define OTA_OPEN_OPTIONS_VERSION 1
#define OTA_OPEN_OPTIONS_INIT { OTA_OPEN_OPTIONS_VERSION, 0u, 0, NULL, 0 }

/* Versions (as libgit2): fields are only ever appended, and each new field bumps
 * OTA_OPEN_OPTIONS_VERSION. ota_open_ex reads opts->version first and then only the fields
 * that version has, so a program built against an older header keeps working with a newer
 * library (the fields it does not know take their defaults). A version of 0 (not
 * initialised) or newer than the library's is OTA_MISUSE. This library reads version 1. */

/* Fills *opts with the defaults of the given version (as OTA_OPEN_OPTIONS_INIT does for
 * OTA_OPEN_OPTIONS_VERSION): pass OTA_OPEN_OPTIONS_VERSION. For callers that cannot use the
 * macro (bindings). Errors (ota_last_errmsg): OTA_MISUSE (opts NULL; version 0 or newer than
 * the library's), *opts then unchanged. Reentrant. */
int ota_open_options_init(ota_open_options *opts, unsigned version);

/* Opens the store at path, creating it if missing; ":memory:" gives a private in-memory
 * store. The store runs in WAL mode with foreign keys and a 5 s busy timeout, and is migrated
 * forward to this library's schema (forward-only migrations, one transaction each).
 *
 * On OTA_OK, *out is a new handle: release it with ota_close. On failure *out is NULL and
 * ota_last_errmsg() says why. Opening an up-to-date store only reads it, so it does not wait
 * for another handle's writes; creating or migrating one takes the write lock, and fails with
 * OTA_STORE ("database is locked") when another writer holds it past the busy timeout.
 * Errors: OTA_MISUSE (path or out is NULL), OTA_BADINPUT (path is not UTF-8),
 *         OTA_STORE (SQLite cannot open or migrate the file: unwritable path, not a
 *         database, ...), OTA_TOONEW (written by a newer libota: its schema version is
 *         above this library's; the file is left untouched), OTA_CORRUPT (a negative schema
 *         version, PRAGMA user_version, which no libota writes; the file is left untouched),
 *         OTA_CONFLICT (OTA_OPEN_READONLY on a store of an older schema version: a read-only
 *         handle cannot migrate it; open it once for writing, which migrates it), OTA_NOMEM.
 * Threads: reentrant; the new handle belongs to one thread at a time.
 *
 * Files moved or deleted under an open handle: the store is the file at path plus its
 * path-wal and path-shm files, held open by the handle. Before each write transaction, every
 * call that writes checks that the file at path is still the one it opened (not renamed,
 * moved or deleted) and that the -wal and -shm files still exist; if not, it fails with
 * OTA_STORE, ota_store_errcode() SQLITE_READONLY_DBMOVED (1032), and writes nothing (what it
 * would write would go to unlinked files and be lost at close): close the handle and reopen.
 * Reads keep working on what the handle has open. Not detected: a -wal or -shm file deleted
 * and then re-created by another connection (SQLite does not expose the open file's identity
 * to compare), a change made to the files during a call, after the check, and a copy of the
 * files restored over them. Never delete or move a store's files while a handle is open. */
int ota_open(const char *path, ota_db **out);

/* ota_open with options; opts may be NULL (the defaults). Also returns OTA_MISUSE for an
 * unknown opts->version or unknown flags, OTA_BADINPUT for a bootstrap_admin that is not a
 * valid identity or an opts->now outside 0...253402300799 (both checked before the file is
 * touched), and OTA_NOTFOUND with OTA_OPEN_MUSTEXIST. */
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
 * deletion, or for a removed tail the seq after the last stored entry) and ota_errmsg says
 * what is wrong. entries (may be NULL) receives the number of entries that verified.
 * first_bad (may be NULL) is 0 when the chain is intact. The walk and the recorded head are
 * read in one read transaction: another handle writing at the same time never makes an
 * intact chain fail.
 * Errors: OTA_MISUSE, OTA_STORE, OTA_CORRUPT. */
int ota_audit_verify(ota_db *db, int64_t *entries, int64_t *first_bad);

/* The newest entry's seq (0 for an empty trail) and its 32-byte hash (zeros when empty), for
 * anchoring outside the store. hash must point to 32 writable bytes; seq may be NULL.
 * Errors: OTA_MISUSE (db or hash NULL), OTA_CORRUPT (the stored hash is not 32 bytes; the
 *         message names the entry; nothing is written to hash or seq), OTA_STORE.
 * Every call that writes an audit entry also fails with OTA_CORRUPT while the newest entry's
 * stored hash is not 32 bytes: nothing is chained onto it. */
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

/* ota_resolve over a snapshot file, which is mapped read-only (mmap) for the duration of the
 * call instead of being read: the way to resolve a large fleet. Memory beyond the result is
 * the pages of the file being scanned (the kernel may drop them once read) plus the string
 * table's index; the file may be up to 64 GiB. The file must not be truncated while the call
 * runs (a mapped file that shrinks raises SIGBUS: resolve files that are written once).
 *
 * path: a NUL-terminated UTF-8 path, borrowed. rule, rule_len, out: as for ota_resolve.
 * Errors (message from ota_last_errmsg()): those of ota_resolve, and
 *   OTA_MISUSE    path is NULL.
 *   OTA_IO        the file cannot be opened, examined or mapped, or is not a regular file
 *                 (a FIFO, a device, a directory: refused without blocking, even for a FIFO
 *                 that has no writer; the message names the path and the system's reason).
 *   OTA_BADINPUT  also: the file is empty or larger than 64 GiB.
 * Threads: reentrant, as ota_resolve; several threads may resolve the same file. */
int ota_resolve_file(const char *path, const uint8_t *rule, size_t rule_len, ota_buf *out);

/* ---------------------------------------------------------------------------------------
 * The fleet inventory (device management): import, export, history
 * ------------------------------------------------------------------------------------- */

/* The store keeps every vehicle (by VIN) and its ECUs with their full history. An ECU is
 * identified by (vehicle, node, slot): slot is 0, 1, ... among the vehicle's ECUs of one node
 * in snapshot order (left and right door modules are DCM slots 0 and 1). Its current hardware
 * part number, software version, calibration id and serial number are kept with an
 * append-only history: every value it ever had, stamped with the time it was observed (the
 * snapshot's time, not the caller's now). */

/* Progress of a long call. done counts units of work finished; total_or_0 is the total when
 * known, else 0. Return 0 to continue, anything else to cancel the call, which then fails
 * with OTA_CANCELLED and changes nothing. Called on the calling thread, from inside the call:
 * it must not call libota with the same handle. ctx is the caller's pointer, passed through. */
typedef int (*ota_progress_fn)(void *ctx, uint64_t done, uint64_t total_or_0);

/* Loads a fleet snapshot into the inventory, in one transaction: all of it or nothing.
 *
 * snapshot, len: a fleet snapshot, format version 1 (docs/schemas/fleet-snapshot.cddl), any
 *   valid encoding; borrowed for the duration of the call. At most 1 GiB (import larger
 *   fleets as shards, one call each).
 * What it does, per vehicle of the snapshot:
 *   - new VIN: the vehicle is added with its ECUs, each with a first history row;
 *   - known VIN: changed vehicle fields (model, variant, powertrain, market, produced,
 *     engine and chassis numbers, attributes) are updated; an ECU whose hardware, software,
 *     calibration or serial changed gets its new values and one history row; an unchanged
 *     ECU is not touched; an ECU new to the vehicle is added with a first history row; an
 *     ECU the snapshot no longer lists is marked removed, with a history row (source
 *     "removed", the values it had) that records when (its row and history stay, export
 *     leaves it out; listed again later, it is present again with a new history row);
 *   - stale data: if the store already holds data about the vehicle from a snapshot taken
 *     later than this one, the vehicle is left exactly as it is and counted as "stale" (an
 *     older snapshot never overwrites newer data; a snapshot taken at the same time is
 *     applied, so importing the same snapshot twice changes nothing the second time).
 *   VINs are checked: 17 characters from 0-9 A-Z without I, O, Q, and for vehicles whose
 *   market is US, CA, MX or CN a correct check digit at position 9 (ISO 3779, North
 *   American weights). A VIN listed twice rejects the import, naming both positions.
 * actor: needs the role engineer (or admin). One audit entry "fleet.import", subject
 *   "snapshot:<snapshot time>", detail: the summary.
 * now: the time of the audit entry.
 * progress (may be NULL), ctx: called at least every 10,000 vehicles and once at the end.
 *   The snapshot is read twice: first checked (done = vehicles checked, total_or_0 = 0),
 *   then written (done restarts at 0 with total_or_0 = the number of vehicles, and ends at
 *   done == total_or_0). Cancelling at any call rolls everything back.
 * summary (may be NULL): on OTA_OK, the caller's to ota_buf_free: a CBOR map
 *   (docs/schemas/import-summary.cddl) with "snapshot-time", "vehicles" (in the snapshot),
 *   "added", "changed", "unchanged", "stale" (vehicles; they add up to "vehicles"),
 *   "ecus-added", "ecus-changed", "ecus-removed" and "ecu-changes" (changed ECUs by field:
 *   "hw", "sw", "calibration", "serial"). On failure it is {NULL, 0}.
 * Errors (message from ota_errmsg(db), naming the vehicle's position and the byte offset):
 *   OTA_MISUSE     db or actor is NULL, or snapshot is NULL with len > 0.
 *   OTA_BADINPUT   the snapshot is malformed (see ota_resolve) or longer than 1 GiB, or a
 *                  vehicle is invalid: a VIN that is not 17 VIN characters or fails its
 *                  check digit, a VIN listed twice, an attribute listed twice, more than
 *                  1,024 ECUs or 1,024 attributes, or text fields that take more than 1 MiB
 *                  decoded (a string-table entry counts each time a field names it); or
 *                  actor is not a valid identity, or now. Nothing is changed.
 *   OTA_DENIED     the actor is neither engineer nor admin.
 *   OTA_CANCELLED  the progress callback returned non-zero.
 *   OTA_STORE      SQLite failed (ota_store_errcode: SQLITE_BUSY when another connection
 *                  held the write lock past the busy timeout, SQLITE_FULL, ...).
 *   OTA_NOMEM.
 *   OTA_ERROR      the snapshot's bytes changed while the call read them (it reads them
 *                  twice and compares a digest of what each pass read); nothing is changed.
 *   On OTA_OK the import is committed and the summary is the caller's: the summary is
 *   built and allocated before the commit, so OTA_NOMEM never follows an import that
 *   happened.
 * Threads: one thread per handle. The first pass (checking) reads only the snapshot and
 *   holds no lock on the store: other handles keep writing meanwhile (from the progress
 *   callback too). The second pass holds the store's write lock until it commits (other
 *   handles keep reading the data as it was before). */
int ota_fleet_import(ota_db *db, const char *actor, int64_t now, const uint8_t *snapshot,
                     size_t len, ota_progress_fn progress, void *ctx, ota_buf *summary);

/* The current inventory as a fleet snapshot, format version 1 with a string table
 * (docs/schemas/fleet-snapshot.cddl), taken at now (which must not be negative).
 * Vehicles come in the order they entered the store (so a single import comes back in its
 * snapshot's order); each vehicle's ECUs in the order they were first listed, without the
 * ones marked removed; current values only. Resolving the export of an import gives the
 * same resolution as resolving the imported snapshot. Deterministic: the same store and now
 * give the same bytes (table entries in order of first use, definite lengths, optional
 * trailing fields left out when absent). Reads one consistent view of the store.
 * out: on OTA_OK, the caller's to ota_buf_free (about 240 bytes per vehicle); on failure
 *   {NULL, 0}.
 * Errors: OTA_MISUSE (db or out is NULL), OTA_BADINPUT (now < 0), OTA_CORRUPT (a stored
 *   value outside the schema, the message naming its row: text that is not UTF-8, a VIN that
 *   is not 17 VIN characters, a negative time, attributes that are not a CBOR map of text
 *   keys to text, integers or booleans, NULL where none is allowed), OTA_STORE, OTA_NOMEM.
 * Threads: one thread per handle. */
int ota_fleet_export(ota_db *db, int64_t now, ota_buf *out);

/* One vehicle with every ECU's history, as a CBOR map (docs/schemas/vehicle.cddl):
 *   { "vin", "model", "variant", "powertrain", "market", "produced", "engine-no",
 *     "chassis-no", "attributes", "updated" (snapshot time of its last change), "seen"
 *     (time of the newest snapshot that described it), "ecus": [ { "node", "slot", "hw",
 *     "sw", "calibration", "serial", "removed" (snapshot time, or null while present),
 *     "history": [ { "at", "hw", "sw", "calibration", "serial", "source" } ] } ] }
 * ECUs in the order first listed, removed ones included; history in the order recorded,
 * the first row being the ECU's values when it was first imported. Keys in deterministic
 * order.
 * vin: NUL-terminated, borrowed for the call. out: on OTA_OK, the caller's to ota_buf_free;
 *   on failure {NULL, 0}.
 * Errors: OTA_MISUSE (db, vin or out is NULL), OTA_BADINPUT (vin is not UTF-8),
 *   OTA_NOTFOUND (no vehicle with that VIN), OTA_CORRUPT (a stored value outside the schema,
 *   as for ota_fleet_export; negative slots and removal or history times too), OTA_STORE,
 *   OTA_NOMEM.
 * Threads: one thread per handle. */
int ota_vehicle_get(ota_db *db, const char *vin, ota_buf *out);

/* ---------------------------------------------------------------------------------------
 * Roles
 *
 * The host authenticates actors; libota authorizes them. An actor holds any of the roles
 *   "admin"             grants and revokes roles; passes every role check below (but is
 *                       still bound by the two-person rules)
 *   "engineer"          imports fleet snapshots; registers packages, verifies their files,
 *                       validates them; manages the test fleet and vehicle keys
 *   "approver"          approves packages (never their own), releases and withdraws them;
 *                       approves campaigns (never one they created: the two-person rule)
 *   "campaign-manager"  releases and withdraws packages; creates, starts, pauses, resumes,
 *                       aborts and steps campaigns
 *   "gateway"           ingests vehicle status reports, drains the outbox
 * A new store has no roles until ota_open_ex names its first admin with
 * ota_open_options.bootstrap_admin; that admin grants everything else. A call that needs a
 * role the actor lacks returns OTA_DENIED with a message naming the role(s) that would allow
 * it. Actor and role names are identities (see the conventions at the top of this file).
 * Threads: as every call on a handle (one thread at a time per handle).
 * ------------------------------------------------------------------------------------- */

/* Grants role to the actor named who; actor must be an admin. Audited ("role.grant").
 * Errors: OTA_MISUSE (db, actor, who or role NULL), OTA_BADINPUT (bad name, unknown role),
 *         OTA_DENIED (actor is not an admin), OTA_CONFLICT (who already holds role; nothing
 *         changes), OTA_STORE. */
int ota_grant(ota_db *db, const char *actor, int64_t now, const char *who, const char *role);

/* Revokes role from who; actor must be an admin. Audited ("role.revoke"). The store's last
 * admin keeps the admin role: revoking it is OTA_CONFLICT (grant admin to someone else first).
 * Errors: OTA_MISUSE, OTA_BADINPUT, OTA_DENIED, OTA_NOTFOUND (who does not hold role),
 *         OTA_CONFLICT (last admin), OTA_STORE. */
int ota_revoke(ota_db *db, const char *actor, int64_t now, const char *who, const char *role);

/* The roles who holds, as a CBOR array of role-grant maps sorted by role
 * (docs/schemas/roles.cddl); an empty array for an unknown actor. Reading needs no role.
 * *out is the caller's to ota_buf_free.
 * Errors: OTA_MISUSE (db, who or out NULL), OTA_BADINPUT, OTA_CORRUPT (the store holds a
 *         role this library does not know; the message names the row), OTA_STORE. */
int ota_roles(ota_db *db, const char *who, ota_buf *out);

/* ---------------------------------------------------------------------------------------
 * Packages (update management): registration, lifecycle, integrity, signatures
 *
 * A package is one software release for one ECU node, described by a manifest: a CBOR map
 * with text keys (docs/schemas/package.cddl, package-manifest): name, version, ecu,
 * category, release-type, issue, protocol, powertrains, models, hw (compatible hardware part
 * numbers), from (versions it may be installed over), to (the version it installs), files
 * (name, size, sha256 as a 32-byte byte string, storage uri), release-notes, requires
 * (dependencies on other ECUs: [node, [versions]]; at most 32, a target rule's limit) and
 * release-counter. The keys that a target rule also has ("ecu", "hw", "from", "to",
 * "models", "powertrains", "requires") mean the same there, so a campaign's rule can be
 * derived from its package.
 *
 * Lifecycle, one state machine (Sources/OTACore/Update/PackageLifecycle.swift):
 *
 *     draft --validate--> validated --approve--> approved --release--> released
 *     draft, validated, approved, released --withdraw--> withdrawn
 *
 * An illegal transition is OTA_CONFLICT naming the current state. Every transition is
 * audited ("package.validate", "package.approve", ...) with its actor and kept in the
 * package's history. Released and withdrawn packages are immutable (a released one may only
 * be withdrawn); the store's triggers enforce it as well. A name + version is registered at
 * most once, in any state: never reused, even after withdrawal.
 *
 * Rollback protection (Uptane): a package is released only if its release-counter is above
 * every counter ever released (including later withdrawn packages) for the same ECU node and
 * any overlapping hardware part number. Registration refuses such a counter already, since
 * the package could never be released; release checks again (another package may have been
 * released in between).
 *
 * Signatures: approval signs the package's canonical manifest (the deterministic CBOR
 * encoding that get returns under "manifest") as a COSE_Sign1 (RFC 9052, tag 18), EdDSA
 * (alg -8, Ed25519): protected header {1: -8}, unprotected header {4: kid as UTF-8 bytes},
 * payload embedded, signed bytes = Sig_structure ["Signature1", protected, h'', payload].
 * The signing key lives in the handle's memory only, never in the store: set it on every
 * handle that approves.
 *
 * Roles: register, verify_file, validate need "engineer"; approve needs "approver";
 * release and withdraw need "approver" or "campaign-manager" (withdrawal is a safety action
 * that whoever may release can take). Admins pass every role check.
 * Threads: as every call on a handle.
 * ------------------------------------------------------------------------------------- */

/* Registers a manifest (len bytes of CBOR at manifest, borrowed for the call) as a new draft
 * package and sets *id. The manifest is checked completely: OTA_BADINPUT lists the problems
 * in one message, each with its field path
 * ("manifest has 2 problems: files[2].sha256: expected 32 bytes, found 16; models: empty list");
 * the first 20 are listed and the others counted ("...; ... and 49980 more"), so a manifest
 * with 50,000 unknown keys fails fast.
 * Any valid CBOR encoding is accepted; the canonical encoding is what is stored.
 * Errors: OTA_MISUSE (db, actor or id NULL; manifest NULL with len > 0), OTA_BADINPUT,
 *         OTA_DENIED (not an engineer), OTA_CONFLICT (name + version already registered; a
 *         release counter not above one already released for the ECU and hardware),
 *         OTA_STORE. On failure nothing is stored and *id is unchanged. */
int ota_package_register(ota_db *db, const char *actor, int64_t now, const uint8_t *manifest,
                         size_t len, int64_t *id);

/* The package as a CBOR package-info map (docs/schemas/package.cddl): id, state, the
 * canonical manifest, the check result of each file, the history of states (who, when,
 * withdrawal reason) and the signature (kid, public key, COSE_Sign1) or null. Reading needs
 * no role. Read in one read transaction. *out is the caller's to ota_buf_free.
 * What is read back is checked like input: a stored manifest that is not a valid manifest
 * in its canonical encoding, or that does not match the package's row, and an unknown
 * state, history state or file status are OTA_CORRUPT naming the package row (nothing
 * invalid is spliced into the output).
 * Errors: OTA_MISUSE (db or out NULL), OTA_NOTFOUND, OTA_CORRUPT, OTA_STORE. */
int ota_package_get(ota_db *db, int64_t id, ota_buf *out);

/* Summaries (id, name, version, ecu, to, category, release-type, release-counter, state) of
 * the packages that pass filter, ordered by id, as a CBOR array (package-list). filter is a
 * CBOR map (package-filter) with the optional keys "ecu", "state" and "model" (packages whose
 * models include it); an absent key does not filter; filter == NULL with filter_len == 0
 * means no filter. Reading needs no role. *out is the caller's to ota_buf_free.
 * Errors: OTA_MISUSE (db or out NULL; filter NULL with filter_len > 0), OTA_BADINPUT
 *         (malformed filter, unknown key, unknown state), OTA_CORRUPT (a package row holds
 *         a state this library does not know; the message names the row), OTA_STORE. */
int ota_package_list(ota_db *db, const uint8_t *filter, size_t filter_len, ota_buf *out);

/* Streams the local file at path (read in 64 KiB blocks: memory does not grow with the file),
 * measures its size and SHA-256 and records the result for the package's file called name
 * (role engineer; package in draft). Re-verifying replaces the previous result.
 * path must be a regular file or a device (a partition holding the image): a FIFO (even one
 * without a writer), a socket or a directory is OTA_IO at once, nothing recorded. Reading
 * stops one byte past the declared size: a longer file (or /dev/zero) is a mismatch whose
 * message says "size more than N (expected N)".
 * Returns OTA_OK for a match. A MISMATCH is recorded and audited like a match and then
 * returned as OTA_CORRUPT, with a message giving the measured and the expected size and
 * SHA-256: the call did change the store (the file now counts as a mismatch, and the
 * package cannot be validated until the right file verifies).
 * Errors: OTA_MISUSE (NULL db/actor/name/path), OTA_BADINPUT, OTA_DENIED, OTA_NOTFOUND (no
 *         package id, or it has no file name), OTA_CONFLICT (package not in draft), OTA_IO
 *         (path cannot be opened or read; nothing is recorded), OTA_CORRUPT (mismatch,
 *         recorded; or, with nothing recorded, a stored SHA-256 that is not 32 bytes or an
 *         unknown stored state), OTA_STORE. */
int ota_package_verify_file(ota_db *db, const char *actor, int64_t now, int64_t id,
                            const char *name, const char *path);

/* draft -> validated (role engineer). Needs every file verified with a match; otherwise
 * OTA_CONFLICT naming the files that are unverified or mismatched.
 * Errors: OTA_MISUSE, OTA_BADINPUT (actor), OTA_DENIED, OTA_NOTFOUND, OTA_CONFLICT, OTA_STORE. */
int ota_package_validate(ota_db *db, const char *actor, int64_t now, int64_t id);

/* validated -> approved (role approver), and signs the canonical manifest with the handle's
 * signing key or signer (see ota_set_signing_key). Two-person rule: the actor who registered
 * the package cannot approve it (OTA_DENIED, also for admins). The stored manifest is
 * checked again with the manifest parser before it is signed.
 * Errors: OTA_MISUSE (NULL args; no signing key or signer set on this handle; a signer whose
 *         signature does not verify with the public key it was set with), OTA_BADINPUT,
 *         OTA_DENIED, OTA_NOTFOUND, OTA_CONFLICT, OTA_IO (the signer callback returned
 *         non-zero), OTA_CORRUPT (the stored manifest is not a valid manifest in its
 *         canonical encoding or does not match the package's row; an unknown stored state:
 *         the message names the package row), OTA_STORE. On any error the package stays
 *         validated and unsigned. */
int ota_package_approve(ota_db *db, const char *actor, int64_t now, int64_t id);

/* approved -> released (role approver or campaign-manager). OTA_CONFLICT if its release
 * counter is not above one already released for the same ECU and overlapping hardware.
 * Errors: OTA_MISUSE, OTA_BADINPUT, OTA_DENIED, OTA_NOTFOUND, OTA_CONFLICT, OTA_STORE. */
int ota_package_release(ota_db *db, const char *actor, int64_t now, int64_t id);

/* draft, validated, approved or released -> withdrawn (role approver or campaign-manager),
 * with a reason (non-empty UTF-8, at most 64 KiB) kept in the history and the audit trail.
 * A released package that is withdrawn still counts for rollback protection.
 * Errors: OTA_MISUSE (NULL args), OTA_BADINPUT (empty or invalid reason), OTA_DENIED,
 *         OTA_NOTFOUND, OTA_CONFLICT (already withdrawn), OTA_STORE. */
int ota_package_withdraw(ota_db *db, const char *actor, int64_t now, int64_t id,
                         const char *reason);

/* The package's tagged COSE_Sign1 bytes (made at approval). *out is the caller's to
 * ota_buf_free. Errors: OTA_MISUSE, OTA_NOTFOUND (no package id, or it was never approved:
 * the message names its state), OTA_CORRUPT (an unknown stored state), OTA_STORE. */
int ota_package_signature(ota_db *db, int64_t id, ota_buf *out);

/* Signs with the Ed25519 key derived from seed (32 bytes: RFC 8032's private key, as
 * libsodium's crypto_sign_seed_keypair and `cryptography`'s from_private_bytes take it),
 * identified by kid (an identity, see the conventions above; put in each COSE_Sign1's kid
 * header).
 * The seed is copied; the derived secret key stays in the handle's memory (zeroed when it is
 * replaced or the handle closes) and is never written to the store. Replaces any key or
 * signer set before. seed == NULL and kid == NULL removes the key.
 * Errors: OTA_MISUSE (db NULL; only one of seed and kid NULL), OTA_BADINPUT (kid), OTA_ERROR
 *         (libsodium failed to initialise). */
int ota_set_signing_key(ota_db *db, const uint8_t seed[32], const char *kid);

/* A signer for keys that never leave an HSM: called with the bytes to sign (borrowed for the
 * call), it writes the 64-byte Ed25519 signature to sig and returns 0, or returns non-zero
 * to fail the approval (OTA_IO). It is called on the thread that calls ota_package_approve,
 * inside the store's write transaction: it must not call libota on the same handle. */
typedef int (*ota_sign_fn)(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);

/* Signs through sign(ctx, ...) from now on; pub is the signer's 32-byte Ed25519 public key
 * (copied): every signature is verified with it before it is stored. ctx is borrowed and must
 * stay valid while the signer is set (until replaced, removed or ota_close). Replaces any key
 * or signer set before; sign == NULL removes it (ctx, pub and kid are then ignored).
 * Errors: OTA_MISUSE (db NULL; sign set but pub or kid NULL), OTA_BADINPUT (kid), OTA_ERROR. */
int ota_set_signer(ota_db *db, ota_sign_fn sign, void *ctx, const uint8_t pub[32], const char *kid);

/* Copies the public key of the handle's signing key or signer to out (32 bytes).
 * Errors: OTA_MISUSE (db or out NULL; no key or signer set). */
int ota_signing_public_key(ota_db *db, uint8_t out[32]);

/* ---------------------------------------------------------------------------------------
 * Campaigns: specs, validation, two-person approval, frozen targets, stepping, the outbox
 *
 * A campaign installs packages (in order, at most one per ECU node) on the vehicles that its
 * packages' rules, narrowed by its spec, select in the store's inventory. The spec is a CBOR
 * map with text keys (docs/schemas/campaign.cddl): name, category, priority, packages,
 * rule (narrowing target-rule keys), regions, test, after-test, urgency, start, end, waves
 * (share or count, success-gate, failure-threshold, min-final, soak, advance), rate,
 * windows, notify, timeouts, retry, seed, contacts. Percentages are numbers with at most two
 * decimals (0.25 is allowed), kept as basis points: no float rounding decides a gate.
 *
 * Lifecycle, one state machine (Sources/OTACore/Campaign/CampaignState.swift):
 *
 *     draft --approve--> approved --start--> scheduled --(start time)--> running
 *     approved --start (immediate, or start reached)--> running
 *     running --pause--> paused --resume--> running;  running, paused --> completed
 *     draft, approved, scheduled, running, paused --abort--> aborted
 *
 * An illegal transition is OTA_CONFLICT naming the current state. Every transition is
 * audited ("campaign.create", "campaign.approve", ...) and kept in the campaign's history.
 *
 * Targets: approval freezes them from the inventory with the resolver of ota_resolve: each
 * package's rule (its manifest's ecu, hw, from, to, models, powertrains, requires) narrowed
 * by the spec's rule, regions (only vehicles in their markets) and, for a test campaign, the
 * test fleet. A vehicle is a target when every package applies to it, or a package that does
 * not apply is already installed while the rest apply; a requirement holds when every ECU
 * of its node is on a listed version or is one an earlier package of the campaign updates
 * to a listed version (that package's hw and from decide which). Vehicles that are a
 * non-final target of another approved (frozen, not yet started), scheduled, running,
 * paused or aborted (its installing targets still finish) campaign for one of the same ECU
 * nodes are excluded ("busy"), as are vehicles outside the test fleet of a test campaign
 * ("test-fleet"); every exclusion is counted by reason (a vehicle several packages exclude
 * under the earliest, in ota_resolve's order). The frozen order is a seeded shuffle
 * (the spec's seed, else one derived from the campaign id) spread across markets and models;
 * waves are consecutive slices of it.
 *
 * Roles: create needs "campaign-manager"; approve needs "approver" and an actor who is not
 * the campaign's author (OTA_DENIED, also for admins); start, pause, resume, abort and step
 * need "campaign-manager"; the test fleet and vehicle keys need "engineer"; status
 * ingestion needs "gateway" (the outbox takes no actor: see "Campaign stepping and the
 * outbox"). Admins pass every role check. Reading (validate,
 * get, list, stats, vehicles) needs no role. `vins` arguments are CBOR arrays of VIN text.
 * Times are Unix seconds given by the caller (`now`): libota reads no clock.
 * Threads: as every call on a handle.
 * ------------------------------------------------------------------------------------- */

/* Stores a spec (len bytes of CBOR at spec, borrowed for the call) as a new draft campaign
 * and sets *id. The spec is checked completely: OTA_BADINPUT lists every problem with its
 * path ("campaign spec has 2 problems: waves[1].share: 120 is outside 0-100 %; ...").
 * Any valid CBOR encoding is accepted; the canonical encoding is what is stored. Whether
 * the packages are approved, the waves add up etc. is validation's business.
 * Errors: OTA_MISUSE (db, actor or id NULL; spec NULL with len > 0), OTA_BADINPUT,
 *         OTA_DENIED (not a campaign-manager), OTA_NOTFOUND (a package id that does not
 *         exist), OTA_STORE. On failure nothing is stored and *id is unchanged. */
int ota_campaign_create(ota_db *db, const char *actor, int64_t now, const uint8_t *spec, size_t len, int64_t *id);

/* Every problem that would stop approval, at once, and what approval would freeze now, as a
 * CBOR map (docs/schemas/campaign-validation.cddl): {"problems": [* text], "targets": uint,
 * "excluded": {reason => uint}, "waves": [* uint]}; with "approvable-by-admin-only": true
 * when the only problem is a fleet campaign without "after-test". Problems: packages not
 * approved or released, two packages for one node, a requirement installed only by a later
 * package, no target at all, shares that do not add up or a last wave with a share or count
 * that leaves targets over, a wave whose share or count is more than the waves before it
 * left, a wave that rounds to zero vehicles, a window that never opens before end, a region
 * of the spec to which no window that opens before end applies (its targets would stay
 * queued), a missing or unfinished after-test (or one in which no vehicle succeeded),
 * scheduled without start, end not after start, an end that has passed (validate is given
 * no time: it judges at the campaign's creation, or its start if later; approval at its
 * now), windows naming unknown regions, a retry max without reasons. Changes nothing a
 * call shows; for a draft it keeps what it resolved from the inventory for
 * ota_campaign_approve (skipped on a read-only handle). *out is the caller's to ota_buf_free.
 * Errors: OTA_MISUSE (db or out NULL), OTA_NOTFOUND, OTA_CORRUPT, OTA_STORE, OTA_NOMEM. */
int ota_campaign_validate(ota_db *db, int64_t id, ota_buf *out);

/* draft -> approved (role approver; never the author: OTA_DENIED). Validates again (at
 * now: an end that has passed by then is one of the same problems) and refuses with
 * OTA_CONFLICT listing every problem; an admin may approve a fleet campaign without
 * "after-test", and the audit entry says "without-test". Then freezes the targets (see above) in the same transaction.
 * The targets come from the last ota_campaign_validate of the draft when no inventory change
 * (import, or versions proved by a status report) has been committed since; else approval
 * resolves the inventory again. The test fleet and vehicles busy in other campaigns are
 * taken as they are at approval either way, so the frozen targets are the same.
 * Errors: OTA_MISUSE, OTA_BADINPUT (actor), OTA_DENIED, OTA_NOTFOUND, OTA_CONFLICT (not a
 *         draft: names its state; problems), OTA_CORRUPT, OTA_STORE, OTA_NOMEM. On any
 *         error nothing changes. */
int ota_campaign_approve(ota_db *db, const char *actor, int64_t now, int64_t id);

/* ota_campaign_start, _pause, _resume, _abort, _step and the outbox (ota_outbox_fetch,
 * ota_outbox_ack): see "Campaign stepping and the outbox" at the end of this header. */

/* The campaign as a CBOR map (docs/schemas/campaign-info.cddl): {"id", "name", "category",
 * "priority", "state", "spec" (the canonical spec map), "author", "created", "approved-by",
 * "approved-at", "targets", "excluded", "seed", "packages", "waves": [* {"index",
 * "targets", "opened"}], "next-due", "history": [* {"state", "actor", "at", ? "reason"}]}.
 * Reading needs no role. *out is the caller's to ota_buf_free.
 * Errors: OTA_MISUSE (db or out NULL), OTA_NOTFOUND, OTA_CORRUPT, OTA_STORE. */
int ota_campaign_get(ota_db *db, int64_t id, ota_buf *out);

/* Every campaign that passes filter, by id, as a CBOR array (docs/schemas/campaign-list.cddl)
 * of {"id", "name", "category", "state", "targets", "succeeded", "failed", "progress" (the
 * percentage of targets whose outcome is final, at most two decimals), "next-due"}.
 * filter is a CBOR map with the optional keys "state" and "category"; filter == NULL with
 * filter_len == 0 means no filter. Reading needs no role. *out is the caller's to
 * ota_buf_free.
 * Errors: OTA_MISUSE (db or out NULL; filter NULL with filter_len > 0), OTA_BADINPUT
 *         (malformed filter, unknown key or value), OTA_CORRUPT (a stored count outside
 *         0-2^40, naming the campaign and the count), OTA_STORE. */
int ota_campaign_list(ota_db *db, const uint8_t *filter, size_t filter_len, ota_buf *out);

/* ota_campaign_stats and ota_campaign_vehicles: see "Status reports and statistics" below. */

/* Adds vehicles to the store's test fleet (role engineer): vins is a CBOR array of VIN text
 * (len bytes, borrowed). Vehicles already in it stay. Audited ("test-fleet.add").
 * Errors: OTA_MISUSE, OTA_BADINPUT (not an array of VINs, empty), OTA_DENIED, OTA_NOTFOUND
 *         (a VIN the inventory does not have: the message names it; nothing is added),
 *         OTA_STORE. */
int ota_test_fleet_add(ota_db *db, const char *actor, int64_t now, const uint8_t *vins, size_t len);

/* Removes vehicles from the test fleet (role engineer); a vehicle not in it is no error.
 * Audited ("test-fleet.remove"). Errors: as ota_test_fleet_add. */
int ota_test_fleet_remove(ota_db *db, const char *actor, int64_t now, const uint8_t *vins, size_t len);

/* ota_vehicle_set_key, ota_status_ingest and ota_status_ingest_batch: see "Status reports and
 * statistics" below. */

/* ---------------------------------------------------------------------------------------
 * Status reports and statistics (docs/schemas/status-report.cddl, campaign-stats.cddl,
 * campaign-vehicles.cddl)
 *
 * Vehicles publish status reports on ota/v1/vehicles/{vin}/status; the host's gateway hands
 * them to libota as received. Every report is kept in the store as received, with what became
 * of it, within two bounds: for a target, the first 1,000 reports of the vehicle in the
 * campaign (later ones are rejected with reason "quota", counted on the target and not kept);
 * and reports that reach no target (unreadable, for an unknown vehicle or campaign or a
 * vehicle that is not a target, or not signed by the vehicle's key: those are not the
 * vehicle's, so they neither move its target nor use up its quota) the first 10,000 of each
 * UTC day of now, and none larger than 65,792 bytes (64 KiB + 256: no report is larger).
 * A report beyond a bound gets the result it would have had, with "not kept" in its detail;
 * the call's audit entry counts them ("not-kept"). The results:
 *   "applied"    the target moved (or stayed: download progress) as the report says;
 *   "duplicate"  the same seq as the newest applied report: nothing changes (idempotent);
 *   "stale"      older than the newest applied report: kept, not applied;
 *   "rejected"   with "reason": "malformed" (not a report, or not a status topic), "topic"
 *                (the topic's VIN is not the report's), "unknown-vehicle", "unknown-campaign",
 *                "not-target", "campaign-state" (the campaign is not running or paused),
 *                "transition" (the target cannot move so; "detail" names both states),
 *                "signature" (the vehicle has a key and the report is not a COSE_Sign1 that
 *                verifies with it), "quota", "unverified" ("installed" without versions).
 * "installed" counts as succeeded only when every targeted ECU is verified: its `to` version
 * (and hardware) is in this report's ecus, or was in an earlier report's and this one does
 * not name it on another version (a version proved once stands until a report shows the ECU
 * on another one, which unverifies it). Otherwise the target fails with reason
 * "verification", and only the ECUs not verified are offered again on a retry (all of them
 * when every one is verified, for a failure the versions do not explain). A verified
 * version (and a "rolled-back" report's versions, and the version a report shows for an ECU
 * verified before) is written into the fleet inventory with ECU history source
 * "campaign:<id>" at `now`, and the vehicle's seen time moves to `now`, so a snapshot taken
 * before `now` and imported later leaves the reported versions alone.
 * Result documents: {"result": text, ? "reason": text, ? "detail": text, ? "state": the
 * target's state after the report}.
 * ------------------------------------------------------------------------------------- */

/* Sets (or replaces) the Ed25519 public key (32 bytes, copied) of the vehicle vin (role admin
 * or engineer; audited as "vehicle.set-key" with the key; setting the key it already has
 * changes nothing). From then on only reports that are a COSE_Sign1 (tag 18, EdDSA) by that
 * key are applied; others are kept and rejected with reason "signature". A vehicle without a
 * key may still send COSE_Sign1 reports: their payload is read, the signature not checked.
 * Errors: OTA_MISUSE (db, actor, vin or pub NULL), OTA_BADINPUT (actor), OTA_DENIED,
 *         OTA_NOTFOUND (no such vehicle), OTA_STORE.
 * Threads: the handle's thread; several handles on one store work together. */
int ota_vehicle_set_key(ota_db *db, const char *actor, int64_t now, const char *vin, const uint8_t pub[32]);

/* Ingests one report (report, len: a CBOR map or a COSE_Sign1 over it, borrowed for the call)
 * received on topic (NUL-terminated UTF-8), as actor (role gateway) at now, in one write
 * transaction with one audit entry ("status.ingest", the counts as detail).
 * A report that is rejected is still OTA_OK: the result says why. *out (may be NULL when the
 * result is not wanted) receives the result document; it is the caller's to ota_buf_free.
 * Durability: when OTA_OK is returned, the report and its effects are on disk (the commit
 * runs with synchronous = FULL) unless the handle was opened with OTA_OPEN_FAST_INGEST.
 * Errors: OTA_MISUSE (db, actor or topic NULL; report NULL with len > 0), OTA_BADINPUT
 *         (actor, topic not UTF-8, now), OTA_DENIED (not a gateway), OTA_CORRUPT (a stored
 *         spec or target cannot be read), OTA_STORE, OTA_NOMEM. On any error nothing was
 *         kept (the transaction rolled back; the result is allocated before the commit).
 * Threads: the handle's thread. */
int ota_status_ingest(ota_db *db, const char *actor, int64_t now, const char *topic,
                      const uint8_t *report, size_t len, ota_buf *out);

/* Ingests a batch: a CBOR array (at most 100,000 items) of [topic (text), report (bytes)], in
 * ONE write transaction (all kept or, on an error, none), counters written once, one audit
 * entry for the batch. *out (may be NULL) receives a CBOR array of result documents, one per
 * item, in order. An item that is not [text, bytes] is kept as received (its encoding, topic
 * "") and rejected as "malformed"; a batch that is not a well-formed CBOR array is OTA_BADINPUT
 * and nothing is kept. Ownership, durability, errors and threads as ota_status_ingest. */
int ota_status_ingest_batch(ota_db *db, const char *actor, int64_t now,
                            const uint8_t *batch, size_t len, ota_buf *out);

/* The statistics of campaign id (docs/schemas/campaign-stats.cddl): its state, targets,
 * counts by target state (adding up to targets), per wave, market, region and
 * "model/variant", failures by reason and code, progress and success in basis points
 * (1/10,000 of the targets), the time to success as a histogram with fixed buckets (counted
 * from the target's first offer in the campaign, which no retry or reminder restarts; 0 s for a
 * success before any offer, so the histogram's total is the succeeded count) and the median
 * read from it, and a per-hour timeline. Read from counters kept as
 * targets move: its cost does not grow with the number of targets. now is stamped as "at".
 * Documents of shards (stores split by VIN) merge into those of the whole (counts add).
 * *out is the caller's to ota_buf_free. No role needed (read-only).
 * Errors: OTA_MISUSE (db or out NULL), OTA_NOTFOUND (no campaign id), OTA_CORRUPT (a
 *         stored count outside 0-2^40, naming the campaign and the count), OTA_STORE.
 * Threads: the handle's thread. */
int ota_campaign_stats(ota_db *db, int64_t id, int64_t now, ota_buf *out);

/* One page of campaign id's targets in frozen order (docs/schemas/campaign-vehicles.cddl):
 * {"rows": [* {"vin", "ord", "market", "model", "variant", "wave", "state", "final",
 * ? "reason", ? "code", "last-report", "retries", "deferrals", "reports"}], "next": uint /
 * null}. filter (filter_len bytes; NULL with 0: none) is a CBOR map with optional "state",
 * "wave", "market", "after" (the "ord" of the previous page's last row: pass "next") and
 * "limit" (1-10,000, default 1,000). *out is the caller's to ota_buf_free. No role needed.
 * Errors: OTA_MISUSE, OTA_BADINPUT (the filter, with every problem named), OTA_NOTFOUND,
 *         OTA_STORE. Threads: the handle's thread. */
int ota_campaign_vehicles(ota_db *db, int64_t id, const uint8_t *filter, size_t filter_len, ota_buf *out);

/* ---------------------------------------------------------------------------------------
 * Campaign stepping and the outbox
 *
 * A campaign runs by steps: the host calls ota_campaign_step with the current time, and the
 * step does everything that is due at that time and nothing else, in one write transaction,
 * deterministically (the same store and the same now give the same result, the same rows
 * and the same outbox, byte for byte). libota reads no clock and starts no thread: the host
 * steps when the returned "next-due" comes (or when reports arrive), and drains the outbox.
 *
 * What a step does, in this order (design/campaigns.md section 4):
 *   1. a scheduled campaign whose start has come starts (running; wave 0 opens);
 *   2. targets that stay silent time out: notified longer than timeouts.answer, or accepted
 *      (downloading, downloaded, installing) longer than timeouts.install, fail with reason
 *      "timeout";
 *   3. failed targets whose retry is due are queued again (backoff x factor^n after the n-th
 *      retry, at most retry.max, only for retry.reasons; "user" never);
 *   4. deferring targets whose reminder is due are queued again (they get a "reminder");
 *   5. a wave whose failure share (failed and final / final) passes its failure-threshold,
 *      once at least min-final of its targets are final, pauses the campaign with a
 *      "paused-threshold" event naming the wave, the share and the top failure reasons
 *      (declined and expired are not failures; resuming accepts that wave's failures);
 *   6. a wave whose successes reached its success-gate, once its soak has passed, opens the
 *      next wave; with advance "manual" the campaign pauses instead ("paused-gate") and
 *      ota_campaign_resume opens the wave;
 *   7. queued targets are notified in the frozen order, within the rate limit (per-minute
 *      budget of the minute of now: ceil(per-minute x factor^n) after n x `every`
 *      successes, rounded once, at most 100,000; a now in a minute before the last one
 *      counted has no budget, so no minute gets more) and within the maintenance windows that
 *      apply to them (a target outside its windows stays queued);
 *   8. at end, every target that is not final expires; a campaign whose targets are all
 *      final completes.
 * A paused campaign notifies no one and opens no wave, but timeouts, retries, reminders and
 * reports still apply. Cost follows the work: a campaign whose next-due has not come is not
 * even read beyond its row, and a step reads only the index entries that are due.
 *
 * Messages (docs/messages.md, docs/schemas/message.cddl). Everything a step or an action
 * sends is written to the store's outbox in the same transaction:
 *   ota/v1/vehicles/{vin}/campaigns/{id}  QoS 1, retained: "offer", "reminder" or "cancel",
 *       each a COSE_Sign1 (tag 18, EdDSA) by the handle's signing key or signer over the CBOR
 *       message {type, campaign, vin, seq, issued, expires, category, urgency, priority,
 *       mandatory, deferrals-left, feedback, updates: [per ECU in install order: node, slot,
 *       hw, from, to, release-counter, files [{name, size, sha256, uri}], approval (the
 *       package's own COSE_Sign1)]}; seq grows per vehicle and campaign. A target that
 *       becomes final after it was sent something gets an empty retained message (a
 *       zero-length payload) that clears its offer on the broker; a cancelled one gets the
 *       retained cancel instead.
 *   ota/v1/campaigns/{id}/events  QoS 1, not retained: the campaign's events ("started",
 *       "wave-opened", "gate-reached", "paused-threshold", "paused-gate", "paused", "resumed",
 *       "scheduled", "expired", "completed", "aborted"), signed the same way, with the spec's
 *       contacts for that kind of event. Each event has a "seq": 1 for the campaign's first,
 *       +1 with every event of that campaign; tools drop duplicates by (campaign, seq) (one
 *       step may send several events of one type with the same "at").
 * A vehicle's message that was not yet acknowledged is dropped when a newer one for the same
 * vehicle and campaign is written (the vehicle needs only the latest).
 *
 * Signing: anything that sends a message needs a signing key or signer on the handle
 * (ota_set_signing_key, ota_set_signer); without one the call fails with OTA_MISUSE and
 * changes nothing. A signer callback is called inside the write transaction, on the calling
 * thread, once per message.
 *
 * Roles: start, pause, resume, abort and step need "campaign-manager" (admins pass every role
 * check). ota_outbox_fetch and ota_outbox_ack take no actor (their signatures are fixed):
 * whoever holds the handle is trusted to drain the outbox, as the gateway does; give the
 * handle only to the process that publishes.
 * Threads: as every call on a handle (one thread at a time per handle). Several handles on
 * one store may step and drain concurrently: each call is one transaction.
 * ------------------------------------------------------------------------------------- */

/* approved -> scheduled (role campaign-manager), or straight to running when the spec's
 * urgency is "immediate" or its start has come (now >= start): wave 0 opens at once and the
 * next step notifies. Sends "scheduled", or "started" and "wave-opened" events.
 * Errors: OTA_MISUSE (db or actor NULL; no signer on the handle), OTA_BADINPUT (actor),
 *         OTA_DENIED, OTA_NOTFOUND, OTA_CONFLICT (not approved: names its state),
 *         OTA_CORRUPT, OTA_IO (the signer callback failed), OTA_STORE. On any error nothing
 *         changes. */
int ota_campaign_start(ota_db *db, const char *actor, int64_t now, int64_t id);

/* running -> paused (role campaign-manager): no new notifications and no wave opens until
 * resumed; timeouts, retries, reminders and status reports go on. Sends a "paused" event.
 * Errors: as ota_campaign_start; OTA_CONFLICT when not running. */
int ota_campaign_pause(ota_db *db, const char *actor, int64_t now, int64_t id);

/* paused -> running (role campaign-manager). After a pause at a manual gate ("paused-gate")
 * the next wave opens now; after a pause at a failure threshold the campaign continues and
 * that wave's failures do not pause it again. Sends "resumed" (and "wave-opened").
 * Errors: as ota_campaign_start; OTA_CONFLICT when not paused. */
int ota_campaign_resume(ota_db *db, const char *actor, int64_t now, int64_t id);

/* draft, approved, scheduled, running or paused -> aborted (role campaign-manager), with a
 * reason (non-empty UTF-8, borrowed for the call) kept in the history, the audit trail and
 * the "aborted" event. Every target that is not final and not already installing is
 * cancelled; each of them that was sent an offer or reminder gets a signed, retained cancel
 * carrying the reason. Installing targets are left to finish: their status reports still
 * count until they are final, ota_campaign_step still times them out (id 0 includes aborted
 * campaigns with such targets), an aborted campaign retries nothing, and their vehicles stay
 * busy for other campaigns until then. The campaign itself stays aborted.
 * Errors: as ota_campaign_start; OTA_MISUSE (reason NULL), OTA_BADINPUT (empty or invalid
 *         reason), OTA_CONFLICT (completed or already aborted). */
int ota_campaign_abort(ota_db *db, const char *actor, int64_t now, int64_t id, const char *reason);

/* Steps campaign id at now (role campaign-manager), or with id 0 every scheduled, running
 * or paused campaign whose next-due has come, highest priority first, then by id, all in one
 * transaction. *out is a CBOR map (docs/schemas/message.cddl, step-result), the caller's to
 * ota_buf_free:
 *   {"campaign", "state", "events": [* {"type", "at", "campaign", "seq", ...}], "notified",
 *    "timed-out", "retried", "reminded", "expired", "next-due": time / null}
 * next-due is the earliest time at which a step would have something to do (a target's
 * timeout, retry or reminder, the next minute or window opening for queued targets, the
 * start, the end, the end of a soak), null when the campaign is done (or not started). It
 * is also kept in the store and lowered by status ingestion when a report gives a step work.
 * With id 0 the map has no "campaign" or "state"; its counts and events add up those of
 * every campaign stepped, next-due is the earliest of every active campaign, and
 * "campaigns" lists each stepped campaign's own result. A campaign that is not active (or
 * has nothing due) is returned as it is, unchanged.
 * Errors: OTA_MISUSE (db, actor or out NULL; no signer on the handle when the step has to
 *         send something), OTA_BADINPUT (actor; negative id), OTA_DENIED, OTA_NOTFOUND,
 *         OTA_CORRUPT, OTA_IO (signer callback), OTA_STORE, OTA_NOMEM. On any error the
 *         whole step is rolled back (the result is allocated before the commit). */
int ota_campaign_step(ota_db *db, const char *actor, int64_t now, int64_t id, ota_buf *out);

/* Pending outbox messages, oldest first: at most limit (1 to 100000) messages and about
 * 16 MiB (an offer embeds its packages' approvals); always at least one while any is pending,
 * however large. A fetch that returned fewer than limit may leave messages: fetch until the
 * array is empty. *out is a CBOR array of [id, topic, payload, retain]: publish each payload
 * on topic with MQTT QoS 1 and the retain flag, then acknowledge the ids. An empty payload
 * with retain true clears the retained message of that topic. Fetching changes nothing: a
 * message that is never acknowledged is returned again by the next fetch (at least once;
 * vehicles drop duplicates by their message's seq, tools by the event's campaign and seq).
 * An id is never given to two messages (ids only grow, also after acknowledgements), so a
 * host may key its in-flight messages by id. A fetched message that a newer one for the same
 * vehicle and campaign superseded is gone from the next fetch: publish the newer one.
 * No role: the handle's owner is trusted (see above). *out is the caller's to ota_buf_free.
 * Errors: OTA_MISUSE (db or out NULL), OTA_BADINPUT (limit out of range), OTA_STORE,
 *         OTA_NOMEM. */
int ota_outbox_fetch(ota_db *db, int64_t limit, ota_buf *out);

/* Deletes the count messages whose ids are given (borrowed for the call), after the broker
 * acknowledged them. Ids that are not (or no longer) in the outbox are ignored, so
 * acknowledging twice is harmless. No role (see above). One transaction. ids NULL with
 * count 0 does nothing.
 * Errors: OTA_MISUSE (db NULL; ids NULL with any count but 0, checked before the count),
 *         OTA_BADINPUT (count above 2^24), OTA_STORE. */
int ota_outbox_ack(ota_db *db, const int64_t *ids, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* OTA_H */
