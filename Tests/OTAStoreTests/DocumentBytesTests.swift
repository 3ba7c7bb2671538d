import Testing
import OTACore
import OTAStore

/// The output documents were rebuilt on CBORMapBuilder/CBORArrayBuilder; their bytes must
/// not change. The digests were taken from the hand-ordered encoders they replaced.
@Suite("Store documents keep their bytes")
struct DocumentBytesTests {
    @Test func auditListRolesPackageInfoAndListAreByteForByteAsBefore() throws {
        let s = try makeStore()
        let released = try released(s, version: "1.0", counter: 1)
        try Packages.withdraw(s.db, actor: "ann", now: t0 + 5, package: released, reason: "field issue")
        let draft = try register(s, manifestBytes(version: "2.0", counter: 2))
        _ = try Packages.recordFileCheck(s.db, actor: "eve", now: t0 + 6, package: draft, file: "app.bin",
                                         size: 1000, sha256: sha)
        let digests = [
            Hex.encode(SHA256.hash(AuditEntry.encodeList(try Audit.entries(s.db)))),
            Hex.encode(SHA256.hash(Roles.encode(try Roles.grants(s.db, of: "root")))),
            Hex.encode(SHA256.hash(Roles.encode(try Roles.grants(s.db, of: "nobody")))),
            Hex.encode(SHA256.hash(try Packages.info(s.db, package: released))),
            Hex.encode(SHA256.hash(try Packages.info(s.db, package: draft))),
            Hex.encode(SHA256.hash(try Packages.list(s.db, filter: PackageFilter()))),
            Hex.encode(SHA256.hash(try Packages.list(s.db, filter: PackageFilter(ecu: "none")))),
        ]
        #expect(digests == Self.expected)
    }

    static let expected = [
        "901cb879c6c29f03786b8c18218154268600510b7df166d97e59475aa77621cc",
        "ae46742b55305130775f40fe80128ee9db37c647fe49993f39d5c4f6c8ec88f4",
        "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71",
        "ec6685e02717bd947f836613f31bb6b8688a18a8d1bbd7d08b512e773f110928",
        "2fce14934efeacc5339a3125d7cca0327ee486eebfa8d3fcb651a58d525eb3f0",
        "9a7edb4bd4fdb2edba4c9b28820e093933e575d787ed09a05043cf08ba28e7c9",
        "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71",
    ]
}
