import Testing
import OTACore

/// libcbor 0.8 refuses the one-byte heads of tags 6-20; CBORReader reads them itself.
@Suite struct CBORTagTests {
    @Test func everyOneByteTagHeadDecodes() throws {
        for t: UInt8 in 0...23 {
            #expect(try CBORReader.decode([0xc0 + t, 0x01]) == .tagged(UInt64(t), .unsigned(1)), "tag \(t)")
        }
        #expect(try CBORReader.decode([0xd8, 0x12, 0x80]) == .tagged(18, .array([])))
        #expect(try CBORReader.decode([0x81, 0xd2, 0xd2, 0x40]) == .array([.tagged(18, .tagged(18, .bytes([])))]))
    }

    @Test func aTagWithoutItsItemIsTruncated() {
        #expect(throws: OTAError.self) { _ = try CBORReader.decode([0xd2]) }
        #expect(throws: OTAError.self) { _ = try CBORReader.decode([0x82, 0xd2]) }
    }
}
