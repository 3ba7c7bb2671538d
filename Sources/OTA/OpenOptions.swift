import COTA
import OTACore
import OTAStore

/// `ota_open_options` read according to its `version`, as libgit2 does: every version this
/// libota knows is accepted and only the fields that version has are read, so a caller built
/// against an older header keeps working when fields are appended. Version 0 (not
/// initialised) and versions newer than the library are OTA_MISUSE.
enum OpenOptions {
    /// The oldest version still read; the newest is OTA_OPEN_OPTIONS_VERSION.
    static let oldestVersion: UInt32 = 1
    static let newestVersion = UInt32(OTA_OPEN_OPTIONS_VERSION)

    static func requireKnown(_ version: UInt32) throws(OTAError) {
        guard version >= oldestVersion, version <= newestVersion else {
            throw .misuse("ota_open_options.version is \(version); this libota reads versions \(oldestVersion) to \(newestVersion) (initialise with OTA_OPEN_OPTIONS_INIT or ota_open_options_init)")
        }
    }

    /// The store's options, and whether ingestion may trade durability for speed
    /// (OTA_OPEN_FAST_INGEST, a property of the handle).
    static func read(_ opts: UnsafePointer<ota_open_options>?) throws(OTAError) -> (StoreOptions, fastIngest: Bool) {
        var options = StoreOptions()
        guard let opts else { return (options, false) }
        // The version first, alone: the rest of the struct may be shorter than this header's.
        let version = UnsafeRawPointer(opts).load(as: UInt32.self)
        try requireKnown(version)
        // Version 1's fields (every version since has them, at the same offsets).
        let o = opts.pointee
        let known = UInt32(OTA_OPEN_READONLY | OTA_OPEN_MUSTEXIST | OTA_OPEN_FAST_INGEST)
        guard o.flags & ~known == 0 else { throw .misuse("unknown ota_open_options.flags 0x\(String(o.flags, radix: 16))") }
        guard o.busy_timeout_ms >= 0 else { throw .badInput("busy_timeout_ms is negative") }
        options.readOnly = o.flags & UInt32(OTA_OPEN_READONLY) != 0
        options.mustExist = o.flags & UInt32(OTA_OPEN_MUSTEXIST) != 0
        if o.busy_timeout_ms > 0 { options.busyTimeoutMilliseconds = o.busy_timeout_ms }
        if o.bootstrap_admin != nil {
            options.bootstrapAdmin = try Arguments.identity(o.bootstrap_admin, "bootstrap_admin")
        }
        options.now = try Arguments.now(o.now)
        return (options, o.flags & UInt32(OTA_OPEN_FAST_INGEST) != 0)
    }

    /// The defaults of `version` (OTA_OPEN_OPTIONS_INIT), written over the whole struct.
    static func initialise(_ opts: UnsafeMutablePointer<ota_open_options>, version: UInt32) throws(OTAError) {
        try requireKnown(version)
        opts.pointee = ota_open_options(version: version, flags: 0, busy_timeout_ms: 0,
                                        bootstrap_admin: nil, now: 0)
    }
}
