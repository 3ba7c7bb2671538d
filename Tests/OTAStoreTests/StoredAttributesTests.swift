import Testing
import OTACore
@testable import OTAStore

/// The export reads stored attributes in place when they are in the form `encode` writes,
/// and anything else through the general decoder: both give the same attributes.
@Suite struct StoredAttributesTests {
    static var sets: [[SnapshotAttribute]] { [
        [SnapshotAttribute("trim", .text("base"))],
        [SnapshotAttribute("zz", .int(Int64.min)), SnapshotAttribute("a", .int(Int64.max)), SnapshotAttribute("ab", .bool(true)),
         SnapshotAttribute("b", .bool(false)), SnapshotAttribute("ö", .text("grün")), SnapshotAttribute("n", .int(-1)),
         SnapshotAttribute("e", .text(""))],
    ] }

    @Test(arguments: [0, 1])
    func theStoredFormIsReadInPlaceAsTheGeneralDecoderReadsIt(_ set: Int) throws {
        let attributes = Self.sets[set]
        let blob = try #require(StoredAttributes.encode(attributes))
        let fast = try #require(StoredAttributes.asEncoded(blob))
        let general = try CBORReader.decode(blob).pairs?.compactMap { p in
            p.key.text.flatMap { k in AttributeValue(p.value).map { SnapshotAttribute(k, $0) } }
        }
        #expect(fast == general)
        #expect(try StoredAttributes.decode(blob, row: "r") == fast)
        #expect(Set(fast.map(\.key)) == Set(attributes.map(\.key)))
    }

    @Test(arguments: [
        "bf6161f5ff",          // indefinite map: the general decoder reads it
        "a2616201616101",      // keys out of canonical order
        "a2616101616102",      // a key twice: the general decoder refuses it
        "a1616118ff",          // a long head for a small integer: read alike either way
        "a161611bffffffffffffffff",  // an integer out of range: refused
        "a16161f6",            // null: refused
        "a1616101ff",          // bytes after the map
    ])
    func otherFormsGoToTheGeneralDecoder(_ hex: String) throws {
        let blob = try #require(Hex.decode(hex))
        var general: [SnapshotAttribute]?
        var failure: OTAError?
        do throws(OTAError) { general = try StoredAttributes.decode(blob, row: "vehicle row 1") } catch { failure = error }
        if let fast = StoredAttributes.asEncoded(blob) {
            #expect(general == fast)   // only forms both read alike are read in place
        } else if let failure {
            #expect(failure.code == .corrupt && failure.message.hasPrefix("stored vehicle row 1: attribute"), "\(failure.message)")
        } else {
            #expect(general?.isEmpty == false)  // read, by the general decoder
        }
    }
}
