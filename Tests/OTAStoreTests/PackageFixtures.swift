import Testing
import OTACore
import OTAStore

let sha = [UInt8](repeating: 0xab, count: 32)
let t0: Int64 = 1_700_000_000

/// A store with root (admin), eve (engineer), ann (approver), cam (campaign-manager),
/// gus (gateway).
func makeStore() throws -> Store {
    let store = try Store.open(path: ":memory:", options: StoreOptions(bootstrapAdmin: "root"))
    for (who, role) in [("eve", Role.engineer), ("ann", .approver), ("cam", .campaignManager), ("gus", .gateway)] {
        try Roles.grant(store.db, actor: "root", now: t0, to: who, role)
    }
    return store
}

func manifestBytes(version: String = "1.0", ecu: String = "BCM", hw: [String] = ["HW-1"],
                   counter: UInt64 = 1, files: [String] = ["app.bin", "cal.bin"]) -> [UInt8] {
    func texts(_ items: [String]) -> CBOR { .array(items.map { .text($0) }) }
    let fileItems: [CBOR] = files.map { name in
        .map([CBORPair(.text("name"), .text(name)), CBORPair(.text("size"), .unsigned(1024)),
              CBORPair(.text("sha256"), .bytes(sha)), CBORPair(.text("uri"), .text("s3://b/" + name))])
    }
    let doc = CBOR.map([
        CBORPair(.text("name"), .text(ecu + "-fw")), CBORPair(.text("version"), .text(version)),
        CBORPair(.text("ecu"), .text(ecu)), CBORPair(.text("category"), .text("feature")),
        CBORPair(.text("release-type"), .text("routine")), CBORPair(.text("issue"), .text("new feature")),
        CBORPair(.text("protocol"), .text("CAN")), CBORPair(.text("powertrains"), texts(["diesel"])),
        CBORPair(.text("models"), texts(["Aurora"])), CBORPair(.text("hw"), texts(hw)),
        CBORPair(.text("from"), texts(["0.9"])), CBORPair(.text("to"), .text(version)),
        CBORPair(.text("files"), .array(fileItems)), CBORPair(.text("release-notes"), .text("notes")),
        CBORPair(.text("release-counter"), .unsigned(counter)),
    ])
    var w = CBORWriter()
    w.value(doc)
    return w.bytes
}

func register(_ s: Store, _ bytes: [UInt8], actor: String = "eve") throws(OTAError) -> Int64 {
    try withBuffer(bytes) { (raw) throws(OTAError) in
        try Packages.register(s.db, actor: actor, now: t0, manifest: raw)
    }
}

func verifyAll(_ s: Store, _ id: Int64, files: [String] = ["app.bin", "cal.bin"]) throws {
    for f in files {
        #expect(try Packages.recordFileCheck(s.db, actor: "eve", now: t0, package: id, file: f,
                                             size: 1024, sha256: sha) == .match)
    }
}

func testSigner() throws(OTAError) -> Ed25519Signer {
    try withBuffer([UInt8](repeating: 7, count: 32)) { (raw) throws(OTAError) in
        try Ed25519Signer.fromSeed(raw, kid: "test-key")
    }
}

/// Registers, verifies, validates, approves and releases; returns the id.
func released(_ s: Store, version: String, ecu: String = "BCM", hw: [String] = ["HW-1"],
              counter: UInt64) throws -> Int64 {
    let id = try register(s, manifestBytes(version: version, ecu: ecu, hw: hw, counter: counter))
    try verifyAll(s, id)
    try Packages.validate(s.db, actor: "eve", now: t0, package: id)
    try Packages.approve(s.db, actor: "ann", now: t0, package: id, signer: testSigner())
    try Packages.release(s.db, actor: "cam", now: t0, package: id)
    return id
}

func error<T>(_ body: () throws(OTAError) -> T) -> OTAError? {
    do throws(OTAError) {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
