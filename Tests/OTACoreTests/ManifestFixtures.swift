import OTACore

/// A valid manifest as a decoded CBOR map, with fields replaced (or removed with nil).
func manifestCBOR(_ changes: [(String, CBOR?)] = []) -> CBOR {
    var pairs: [CBORPair] = [
        CBORPair(.text("name"), .text("BCM-app")),
        CBORPair(.text("version"), .text("2.4.0")),
        CBORPair(.text("ecu"), .text("BCM")),
        CBORPair(.text("category"), .text("security")),
        CBORPair(.text("release-type"), .text("critical")),
        CBORPair(.text("issue"), .text("CVE-2024-0001: unauthenticated UDS session")),
        CBORPair(.text("protocol"), .text("Ethernet-DoIP")),
        CBORPair(.text("powertrains"), texts(["electric"])),
        CBORPair(.text("models"), texts(["Aurora"])),
        CBORPair(.text("hw"), texts(["HW-1", "HW-2"])),
        CBORPair(.text("from"), texts(["2.3.0"])),
        CBORPair(.text("to"), .text("2.4.0")),
        CBORPair(.text("files"), .array([file("app.bin"), file("cal.bin")])),
        CBORPair(.text("release-notes"), .text("Closes the session hole.")),
        CBORPair(.text("requires"), .array([.array([.text("GW"), texts(["5.1"])])])),
        CBORPair(.text("release-counter"), .unsigned(3)),
    ]
    for (key, value) in changes {
        if let i = pairs.firstIndex(where: { $0.key == .text(key) }) {
            if let value { pairs[i].value = value } else { pairs.remove(at: i) }
        } else if let value {
            pairs.append(CBORPair(.text(key), value))
        }
    }
    return .map(pairs)
}

func texts(_ items: [String]) -> CBOR { .array(items.map { .text($0) }) }

func file(_ name: String, size: UInt64 = 1024, sha: [UInt8] = [UInt8](repeating: 0xab, count: 32),
          uri: String? = nil) -> CBOR {
    .map([CBORPair(.text("name"), .text(name)), CBORPair(.text("size"), .unsigned(size)),
          CBORPair(.text("sha256"), .bytes(sha)),
          CBORPair(.text("uri"), .text(uri ?? "s3://artifacts/" + name))])
}

func encode(_ value: CBOR) -> [UInt8] {
    var w = CBORWriter()
    w.value(value)
    return w.bytes
}

/// The problem message of a manifest that must fail, or "" if it parses.
func problems(_ value: CBOR) -> String {
    do throws(OTAError) {
        _ = try ManifestParser.parse(encode(value))
        return ""
    } catch {
        return error.code == .badInput ? error.message : "unexpected code \(error.code)"
    }
}
