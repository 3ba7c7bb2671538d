// cpp-client: libota from C++17 with three small RAII wrappers.
//
//   ota::store   owns an ota_db handle (closed with ota_close), moves, never copies;
//   ota::buffer  owns an ota_buf (freed with ota_buf_free), views its bytes;
//   ota::error   the exception every failed call throws: the result code, its name and the
//                library's message (from ota_errmsg, or ota_last_errmsg before a handle exists).
//
// It runs the main job on the store file given as its argument: names the people, imports a
// small fleet, registers a package, verifies its file, shows the two-person rule refusing the
// registrant's approval (an ota::error with OTA_DENIED), approves, releases, resolves the
// targets from the package's own compatibility data, reads a vehicle and verifies the audit
// trail.
//
//   c++ -std=c++17 -I include -o cpp-client examples-c/cpp-client.cpp build/libota.a
//       -lsqlite3 -lcbor -lsodium -lm -lpthread   (one line)
//   ./cpp-client /tmp/store.db
#include <cbor.h>
#include <sodium.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ota.h"
#include "demo_cbor.h"

namespace ota {

// A failed libota call: code (OTA_*), its symbolic name, and the message.
class error : public std::runtime_error {
 public:
  error(int code, const std::string &message)
      : std::runtime_error(std::string(ota_code_name(code)) + ": " + message), code_(code), message_(message) {}
  int code() const noexcept { return code_; }
  const char *name() const noexcept { return ota_code_name(code_); }
  const std::string &message() const noexcept { return message_; }

 private:
  int code_;
  std::string message_;
};

// Throws for a handle-free call (ota_open, ota_resolve, ...).
inline void check(int rc) {
  if (rc != OTA_OK) throw error(rc, ota_last_errmsg());
}

// Bytes the library returned; freed once, when the buffer goes out of scope.
class buffer {
 public:
  buffer() noexcept = default;
  buffer(const buffer &) = delete;
  buffer &operator=(const buffer &) = delete;
  buffer(buffer &&other) noexcept : buf_(other.buf_) { other.buf_ = ota_buf{nullptr, 0}; }
  buffer &operator=(buffer &&other) noexcept {
    if (this != &other) {
      ota_buf_free(&buf_);
      buf_ = other.buf_;
      other.buf_ = ota_buf{nullptr, 0};
    }
    return *this;
  }
  ~buffer() { ota_buf_free(&buf_); }

  // For an out parameter: frees what the buffer held first (the API overwrites it).
  ota_buf *out() noexcept {
    ota_buf_free(&buf_);
    return &buf_;
  }
  const uint8_t *data() const noexcept { return buf_.data; }
  size_t size() const noexcept { return buf_.len; }
  bool empty() const noexcept { return buf_.len == 0; }

 private:
  ota_buf buf_{nullptr, 0};
};

// A decoded CBOR item (libcbor), released with cbor_decref.
class cbor_doc {
 public:
  explicit cbor_doc(const buffer &b) {
    struct cbor_load_result r;
    item_ = cbor_load(b.data(), b.size(), &r);
    if (!item_) throw std::runtime_error("libota returned CBOR that libcbor cannot read");
  }
  cbor_doc(const cbor_doc &) = delete;
  cbor_doc &operator=(const cbor_doc &) = delete;
  ~cbor_doc() { cbor_decref(&item_); }
  cbor_item_t *get() const noexcept { return item_; }

  // The value under a text key of a map, or nullptr.
  cbor_item_t *operator[](const std::string &key) const {
    if (!cbor_isa_map(item_)) return nullptr;
    for (size_t i = 0; i < cbor_map_size(item_); i++) {
      cbor_pair p = cbor_map_handle(item_)[i];
      if (cbor_isa_string(p.key) && cbor_string_is_definite(p.key) &&
          key == std::string(reinterpret_cast<const char *>(cbor_string_handle(p.key)), cbor_string_length(p.key)))
        return p.value;
    }
    return nullptr;
  }

 private:
  cbor_item_t *item_ = nullptr;
};

inline uint64_t as_uint(const cbor_item_t *v) { return v && cbor_isa_uint(v) ? cbor_get_int(v) : 0; }
inline std::string as_text(const cbor_item_t *v) {
  if (!v || !cbor_isa_string(v) || !cbor_string_is_definite(v)) return "";
  return std::string(reinterpret_cast<const char *>(cbor_string_handle(v)), cbor_string_length(v));
}

// One open store. Every method throws ota::error with the handle's message.
class store {
 public:
  explicit store(const std::string &path, const char *bootstrap_admin = nullptr, int64_t now = 0) {
    ota_open_options opts = OTA_OPEN_OPTIONS_INIT;
    opts.bootstrap_admin = bootstrap_admin;
    opts.now = now;
    check(ota_open_ex(path.c_str(), &opts, &db_));
  }
  store(const store &) = delete;
  store &operator=(const store &) = delete;
  store(store &&other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  store &operator=(store &&other) noexcept {
    if (this != &other) {
      ota_close(db_);
      db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
  }
  ~store() { ota_close(db_); }

  ota_db *get() const noexcept { return db_; }

  // Runs one call on the handle and throws on failure: store.call(ota_grant, ...).
  template <typename F, typename... Args>
  void call(F f, Args... args) const {
    int rc = f(db_, args...);
    if (rc != OTA_OK) throw error(rc, ota_errmsg(db_));
  }
  // The same for a call whose last argument is an ota_buf out.
  template <typename F, typename... Args>
  buffer call_buf(F f, Args... args) const {
    buffer b;
    call(f, args..., b.out());
    return b;
  }

 private:
  ota_db *db_ = nullptr;
};

}  // namespace ota

namespace {

const int64_t T0 = 1767225600;  // 2026-01-01; the caller owns the clock
const int FLEET = 60;
const char *const models[] = {"Aurora", "Boreal"};
const char *const markets[] = {"DE", "FR", "US"};

// "1LTAB" + two digits + "X" + check digit + "TA" + six digits (US market: the check digit counts).
void make_vin(int i, char vin[18]) {
  std::memcpy(vin, "1LTAB00X0TA000000", 18);
  vin[5] = static_cast<char>('0' + i / 10 % 10);
  vin[6] = static_cast<char>('0' + i % 10);
  for (int k = 16, v = i; k >= 11; k--, v /= 10) vin[k] = static_cast<char>('0' + v % 10);
  vin[8] = vin_check_digit(vin);
}

// Documents are built as libcbor items and serialized once (examples-c/demo_cbor.h).
demo_out snapshot() {
  cbor_item_t *vehicles = demo_need(cbor_new_definite_array(FLEET));
  for (int i = 0; i < FLEET; i++) {
    char vin[18];
    make_vin(i, vin);
    cbor_item_t *ecu = demo_need(cbor_new_definite_array(3));
    demo_push(ecu, demo_text("BCM"));
    demo_push(ecu, demo_text(i % 4 ? "BCM-HW-A" : "BCM-HW-Z"));
    demo_push(ecu, demo_text("2.4.0"));
    cbor_item_t *ecus = demo_need(cbor_new_definite_array(1));
    demo_push(ecus, ecu);
    cbor_item_t *attributes = demo_need(cbor_new_definite_map(1));
    demo_put(attributes, "tow-hitch", demo_need(cbor_build_bool(i % 3 == 0)));
    cbor_item_t *v = demo_need(cbor_new_definite_array(10));
    demo_push(v, demo_text(vin));
    demo_push(v, demo_text(models[i % 2]));
    demo_push(v, demo_text("comfort"));
    demo_push(v, demo_text("electric"));
    demo_push(v, demo_text(markets[i % 3]));
    demo_push(v, demo_uint(static_cast<uint64_t>(T0 - 86400 * 30)));
    demo_push(v, ecus);
    demo_push(v, demo_need(cbor_new_null()));  // no engine number recorded
    demo_push(v, demo_need(cbor_new_null()));  // nor chassis number
    demo_push(v, attributes);
    demo_push(vehicles, v);
  }
  cbor_item_t *doc = demo_need(cbor_new_definite_map(3));
  demo_add(doc, demo_uint(0), demo_uint(1));
  demo_add(doc, demo_uint(1), demo_uint(static_cast<uint64_t>(T0)));
  demo_add(doc, demo_uint(3), vehicles);
  return demo_serialize(doc);
}

demo_out manifest(const uint8_t sha256[32], size_t size) {
  static const char *const hw[] = {"BCM-HW-A"};
  static const char *const from[] = {"2.4.0"};
  static const char *const powertrains[] = {"electric"};
  cbor_item_t *file = demo_need(cbor_new_definite_map(4));
  demo_put(file, "name", demo_text("bcm.bin"));
  demo_put(file, "size", demo_uint(size));
  demo_put(file, "sha256", demo_need(cbor_build_bytestring(sha256, 32)));
  demo_put(file, "uri", demo_text("s3://oem-ota/bcm/2.5.0/bcm.bin"));
  cbor_item_t *files = demo_need(cbor_new_definite_array(1));
  demo_push(files, file);
  cbor_item_t *m = demo_need(cbor_new_definite_map(15));
  demo_put(m, "name", demo_text("bcm-cpp-example"));
  demo_put(m, "version", demo_text("2.5.0"));
  demo_put(m, "ecu", demo_text("BCM"));
  demo_put(m, "category", demo_text("bugfix"));
  demo_put(m, "release-type", demo_text("routine"));
  demo_put(m, "issue", demo_text("Interior lights stay on after locking"));
  demo_put(m, "protocol", demo_text("CAN-FD"));
  demo_put(m, "powertrains", demo_texts(powertrains, 1));
  demo_put(m, "models", demo_texts(models, 2));
  demo_put(m, "hw", demo_texts(hw, 1));
  demo_put(m, "from", demo_texts(from, 1));
  demo_put(m, "to", demo_text("2.5.0"));
  demo_put(m, "files", files);
  demo_put(m, "release-notes", demo_text("Fixes the interior light timer."));
  demo_put(m, "release-counter", demo_uint(7));
  return demo_serialize(m);
}

// Owns a demo_out's malloc'd bytes.
struct owned_cbor {
  demo_out o;
  ~owned_cbor() { std::free(o.data); }
};

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: cpp-client STORE.db\n";
    return 2;
  }
  const std::string path = argv[1];
  try {
    ota::store db(path, "alice@oem.example", T0);
    std::cout << "libota " << ota_libversion_number() << ", store " << path << "\n";
    db.call(ota_grant, "alice@oem.example", T0, "erin@oem.example", "engineer");
    db.call(ota_grant, "alice@oem.example", T0, "abe@oem.example", "approver");

    owned_cbor snap{snapshot()};
    ota::buffer summary = db.call_buf(ota_fleet_import, "erin@oem.example", T0 + 60, snap.o.data, snap.o.len,
                                      static_cast<ota_progress_fn>(nullptr), static_cast<void *>(nullptr));
    ota::cbor_doc s(summary);
    std::cout << "imported " << ota::as_uint(s["vehicles"]) << " vehicles (" << ota::as_uint(s["added"])
              << " added)\n";

    // The package's file, and its manifest with the file's size and SHA-256.
    const std::string file = path + ".bcm.bin";
    std::vector<uint8_t> bytes(4096);
    for (size_t i = 0; i < bytes.size(); i++) bytes[i] = static_cast<uint8_t>(i * 31 + 7);
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char *>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    uint8_t sha[32];
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    crypto_hash_sha256(sha, bytes.data(), bytes.size());
    owned_cbor m{manifest(sha, bytes.size())};
    int64_t pkg = 0;
    db.call(ota_package_register, "erin@oem.example", T0 + 120, m.o.data, m.o.len, &pkg);
    db.call(ota_package_verify_file, "erin@oem.example", T0 + 130, pkg, "bcm.bin", file.c_str());
    db.call(ota_package_validate, "erin@oem.example", T0 + 140, pkg);
    std::remove(file.c_str());

    uint8_t seed[32];
    for (int i = 0; i < 32; i++) seed[i] = static_cast<uint8_t>(i + 1);
    db.call(ota_set_signing_key, seed, "release-key-1");

    // The two-person rule: the registrant cannot approve, even with the approver role.
    db.call(ota_grant, "alice@oem.example", T0 + 150, "erin@oem.example", "approver");
    try {
      db.call(ota_package_approve, "erin@oem.example", T0 + 160, pkg);
      std::cerr << "FAIL: the registrant approved its own package\n";
      return 1;
    } catch (const ota::error &e) {
      if (e.code() != OTA_DENIED) throw;
      std::cout << "refused as expected: " << e.name() << ": " << e.message() << "\n";
    }
    db.call(ota_package_approve, "abe@oem.example", T0 + 170, pkg);
    db.call(ota_package_release, "abe@oem.example", T0 + 180, pkg);
    ota::buffer sig = db.call_buf(ota_package_signature, pkg);
    std::cout << "package " << pkg << " released, COSE_Sign1 of " << sig.size() << " bytes\n";

    // Targets from the package's own rule keys over the exported inventory.
    ota::buffer fleet = db.call_buf(ota_fleet_export, T0 + 200);
    static const char *const hw[] = {"BCM-HW-A"};
    static const char *const from[] = {"2.4.0"};
    cbor_item_t *rule_doc = demo_need(cbor_new_definite_map(4));
    demo_put(rule_doc, "ecu", demo_text("BCM"));
    demo_put(rule_doc, "hw", demo_texts(hw, 1));
    demo_put(rule_doc, "from", demo_texts(from, 1));
    demo_put(rule_doc, "to", demo_text("2.5.0"));
    demo_out rule = demo_serialize(rule_doc);
    owned_cbor r{rule};
    ota::buffer res;
    ota::check(ota_resolve(fleet.data(), fleet.size(), r.o.data, r.o.len, res.out()));
    ota::cbor_doc resolution(res);
    size_t targets = cbor_array_size(resolution["targets"]);
    std::cout << "resolved " << ota::as_uint(resolution["scanned"]) << " vehicles: " << targets << " targets\n";
    if (targets != FLEET - FLEET / 4) {
      std::cerr << "FAIL: expected " << FLEET - FLEET / 4 << " targets\n";
      return 1;
    }

    char vin[18];
    make_vin(1, vin);
    ota::buffer vb = db.call_buf(ota_vehicle_get, static_cast<const char *>(vin));
    ota::cbor_doc v(vb);
    std::cout << "vehicle " << ota::as_text(v["vin"]) << ": " << ota::as_text(v["model"]) << " in "
              << ota::as_text(v["market"]) << ", " << cbor_array_size(v["ecus"]) << " ECU\n";

    // A missing vehicle is an ota::error too.
    try {
      db.call_buf(ota_vehicle_get, "WDB00000000000000");
      std::cerr << "FAIL: found a vehicle that was never imported\n";
      return 1;
    } catch (const ota::error &e) {
      if (e.code() != OTA_NOTFOUND) throw;
    }

    int64_t entries = 0, first_bad = 0;
    db.call(ota_audit_verify, &entries, &first_bad);
    std::cout << "audit trail intact: " << entries << " entries\n";
    return 0;
  } catch (const ota::error &e) {
    std::cerr << "cpp-client: " << e.what() << "\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "cpp-client: " << e.what() << "\n";
    return 1;
  }
}
