import Testing
@testable import OTACore

/// Duplicate map keys found by sorting (not by comparing every pair), and chunked text whose
/// chunks must each be valid UTF-8 (RFC 8949 §3.2.3).
@Suite("CBORReader: duplicate keys, chunked text")
struct CBORReaderKeysAndChunksTests {
    func decodeError(_ bytes: [UInt8]) -> String {
        do throws(OTAError) {
            _ = try CBORReader.decode(bytes)
            return ""
        } catch {
            return error.message
        }
    }

    /// {k0: 0, k1: 0, ...} with `count` text keys, definite length.
    func bigMap(_ count: Int, duplicate: Int? = nil) -> [UInt8] {
        var w = CBORWriter()
        w.value(.map((0..<count).map { CBORPair(.text("k\($0 == duplicate ? 0 : $0)"), .unsigned(0)) }))
        return w.bytes
    }

    @Test func duplicatesAreFoundWhateverTheEncoding() {
        // {1: 0, 1: 0} with the second 1 in a two-byte head
        #expect(decodeError([0xa2, 0x01, 0x00, 0x18, 0x01, 0x00]).contains("duplicate map key (entry 1)"))
        // {"a": 0, "b": 0, (_ "a"): 0}: a chunked text key equals a definite one
        #expect(decodeError([0xa3, 0x61, 0x61, 0x00, 0x61, 0x62, 0x00, 0x7f, 0x61, 0x61, 0xff, 0x00])
            .contains("duplicate map key (entry 2)"))
        // {[1, 2]: 0, [1, 2]: 0}
        #expect(decodeError([0xa2, 0x82, 0x01, 0x02, 0x00, 0x82, 0x01, 0x02, 0x00]).contains("duplicate"))
        // 1.0 as half and as double precision are the same key
        #expect(decodeError([0xa2, 0xf9, 0x3c, 0x00, 0x00, 0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x00])
            .contains("duplicate"))
    }

    @Test func distinctKeysAreKept() throws {
        // 1 and -2, "a" and h'61', 0.0 and -0.0, true and 1: all different data items
        let doc = try CBORReader.decode([0xa8, 0x01, 0x00, 0x21, 0x00, 0x61, 0x61, 0x00, 0x41, 0x61, 0x00,
                                         0xf9, 0x00, 0x00, 0x00, 0xf9, 0x80, 0x00, 0x00, 0xf5, 0x00, 0xf6, 0x00])
        #expect(doc.pairs?.count == 8)
        // Keys that differ only in Unicode normalization are different byte strings of text
        let nfc: [UInt8] = [0x62, 0xc3, 0xa9], nfd: [UInt8] = [0x63, 0x65, 0xcc, 0x81]
        #expect(try CBORReader.decode([0xa2] + nfc + [0x00] + nfd + [0x00]).pairs?.count == 2)
        // Pairs stay in encoding order
        #expect(try CBORReader.decode([0xa2, 0x02, 0x00, 0x01, 0x00]).pairs?.map { $0.key } == [.unsigned(2), .unsigned(1)])
    }

    @Test func aLargeMapDecodesAndItsOneDuplicateIsNamed() throws {
        // 40,000 keys took 15 s when every key was compared with every earlier one.
        let doc = try CBORReader.decode(bigMap(40_000))
        #expect(doc.pairs?.count == 40_000)
        #expect(decodeError(bigMap(40_000, duplicate: 39_999)).contains("duplicate map key (entry 39999)"))
    }

    @Test func aCharacterSplitBetweenChunksIsRefused() throws {
        // (_ "\u{c3}", "\u{a9}a"): é split over two chunks, valid once joined
        let split: [UInt8] = [0x7f, 0x61, 0xc3, 0x62, 0xa9, 0x61, 0xff]
        #expect(decodeError(split).contains("not valid UTF-8 on its own"))
        #expect(decodeError([0x81] + split).contains("at byte 2"))
        // each chunk whole: accepted and joined
        #expect(try CBORReader.decode([0x7f, 0x62, 0xc3, 0xa9, 0x61, 0x61, 0xff]) == .text("éa"))
        #expect(try CBORReader.decode([0x7f, 0x60, 0xff]) == .text(""))
    }

    @Test func theScannerRefusesASplitCharacterToo() throws {
        let split: [UInt8] = [0x7f, 0x61, 0xc3, 0x62, 0xa9, 0x61, 0xff]
        let viaChunks: OTAError? = withBufferError(split) { (s) throws(OTAError) in
            let h = try s.head()
            try s.textChunks(h) { _ in }
        }
        #expect(viaChunks?.message.contains("not valid UTF-8") == true)
        let viaSkip: OTAError? = withBufferError(split) { (s) throws(OTAError) in try s.skip(try s.head()) }
        #expect(viaSkip?.message.contains("not valid UTF-8") == true)
        let whole: OTAError? = withBufferError([0x7f, 0x62, 0xc3, 0xa9, 0x61, 0x61, 0xff]) { (s) throws(OTAError) in
            try s.skip(try s.head())
        }
        #expect(whole == nil)
    }

    func withBufferError(_ bytes: [UInt8], _ body: (inout CBORScanner) throws(OTAError) -> Void) -> OTAError? {
        do throws(OTAError) {
            try withBuffer(bytes) { (raw) throws(OTAError) in
                var s = try CBORScanner(raw)
                try body(&s)
            }
            return nil
        } catch {
            return error
        }
    }
}
