import Testing
import OTACore

@Suite("CBOR reader (libcbor streaming) and writer")
struct CBORTests {
    func decode(_ bytes: [UInt8]) throws(OTAError) -> CBOR { try CBORReader.decode(bytes) }

    func message(_ bytes: [UInt8]) -> String? {
        do throws(OTAError) {
            _ = try decode(bytes)
            return nil
        } catch {
            #expect(error.code == .badInput)
            return error.message
        }
    }

    @Test func decodesEveryMajorType() throws {
        #expect(try decode([0x00]) == .unsigned(0))
        #expect(try decode([0x1b, 0, 0, 0, 1, 0, 0, 0, 0]) == .unsigned(1 << 32))
        #expect(try decode([0x20]) == .negative(0))
        #expect(try decode([0x20]).int64 == -1)
        #expect(try decode([0x43, 1, 2, 3]) == .bytes([1, 2, 3]))
        #expect(try decode([0x62, 0x68, 0x69]) == .text("hi"))
        #expect(try decode([0x82, 0x01, 0xf6]) == .array([.unsigned(1), .null]))
        #expect(try decode([0xa1, 0x61, 0x6b, 0xf5]) == .map([CBORPair(.text("k"), .bool(true))]))
        #expect(try decode([0xc1, 0x01]) == .tagged(1, .unsigned(1)))
        #expect(try decode([0xf7]) == .undefined)
        #expect(try decode([0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]) == .float(1.0))
    }

    /// The writer is a value: a copy writes on its own bytes; growth keeps what was written.
    @Test func aCopiedWriterWritesOnItsOwnBytes() {
        var a = CBORWriter(capacity: 1)
        a.arrayHeader(2)
        var b = a
        a.text("first")
        b.unsigned(7)
        #expect(a.bytes == [0x82, 0x65] + Array("first".utf8))
        #expect(b.bytes == [0x82, 0x07])
        let long = String(repeating: "x", count: 5000)
        a.text(long)
        #expect(a.withBytes { Array($0) } == a.bytes)
        #expect(a.bytes.count == 2 + 5 + 3 + 5000 && a.bytes.suffix(5000).allSatisfy { $0 == 0x78 })
    }

    @Test func anyIntegerWidthGivesTheSameValue() throws {
        for bytes: [UInt8] in [[0x05], [0x18, 5], [0x19, 0, 5], [0x1a, 0, 0, 0, 5], [0x1b, 0, 0, 0, 0, 0, 0, 0, 5]] {
            #expect(try decode(bytes) == .unsigned(5))
        }
    }

    @Test func indefiniteLengthsEqualDefiniteOnes() throws {
        #expect(try decode([0x9f, 0x01, 0x02, 0xff]) == decode([0x82, 0x01, 0x02]))
        #expect(try decode([0xbf, 0x61, 0x61, 0x01, 0xff]) == decode([0xa1, 0x61, 0x61, 0x01]))
        #expect(try decode([0x7f, 0x61, 0x61, 0x62, 0x62, 0x63, 0xff]) == .text("abc"))
        #expect(try decode([0x5f, 0x41, 0x01, 0x42, 0x02, 0x03, 0xff]) == .bytes([1, 2, 3]))
    }

    @Test func mapAccessors() throws {
        let doc = try decode([0xa2, 0x01, 0x02, 0x63, 0x6b, 0x65, 0x79, 0x82, 0x61, 0x61, 0x20])
        #expect(doc[1] == .unsigned(2))
        #expect(doc["key"]?.array?.count == 2)
        #expect(doc["key"]?.array?[1].int64 == -1)
        #expect(doc["absent"] == nil)
    }

    @Test func truncationAtEveryByteIsAnErrorNeverACrash() {
        var w = CBORWriter()
        w.mapHeader(2)
        w.text("name"); w.text("bcm-firmware")
        w.text("files"); w.arrayHeader(2); w.bytes([1, 2, 3]); w.int(-300)
        let full = w.bytes
        for cut in 0..<full.count {
            #expect(message(Array(full[0..<cut])) != nil)
        }
    }

    @Test func errorsNameTheByteOffset() {
        #expect(message([0x82, 0x01]).map { $0.contains("byte") } == true)
        #expect(message([0x01, 0x02])?.contains("trailing bytes after the CBOR item at byte 1") == true)
        #expect(message([0x82, 0x01, 0xff])?.contains("break outside") == true)
        #expect(message([0x62, 0xc3, 0x28])?.contains("UTF-8") == true)
        #expect(message([0xa2, 0x01, 0x01, 0x01, 0x02])?.contains("duplicate map key") == true)
        #expect(message([0x1c]) != nil)  // reserved additional information
        #expect(message([]) != nil)
    }

    @Test func deepNestingIsRefused() {
        let deep = [UInt8](repeating: 0x81, count: 100_000) + [0x00]
        #expect(message(deep)?.contains("nesting deeper than") == true)
    }

    @Test func hugeDeclaredLengthsAreTruncationNotAllocation() {
        #expect(message([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) != nil)
        #expect(message([0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]) != nil)
        #expect(message([0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) != nil)
    }

    @Test func writerRoundTripsThroughTheReader() throws {
        let value = CBOR.map([
            CBORPair(.text("a"), .unsigned(UInt64.max)),
            CBORPair(.text("b"), .negative(UInt64.max)),
            CBORPair(.text("c"), .array([.text("ü€𝄞"), .bytes([]), .bool(false), .null])),
            CBORPair(.unsigned(7), .tagged(24, .bytes([0x01]))),
            CBORPair(.text("f"), .float(-2.5)),
        ])
        var w = CBORWriter()
        w.value(value)
        #expect(try decode(w.bytes) == value)
    }

    @Test func writerUsesShortestHeads() {
        var w = CBORWriter()
        w.int(23); w.int(24); w.int(-25); w.int(Int64.min)
        #expect(w.bytes == [0x17, 0x18, 0x18, 0x38, 0x18, 0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
    }
}

@Suite("SHA-256 and hex")
struct DigestTests {
    @Test func knownVectors() {
        #expect(Hex.encode(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func incrementalEqualsOneShot() {
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var h = SHA256()
        h.update(Array(data[0..<3]))
        h.update(Array(data[3..<7_777]))
        h.update(Array(data[7_777...]))
        #expect(h.finalize() == SHA256.hash(data))
    }

    @Test func hexRoundTripAndRejects() {
        #expect(Hex.decode("00ffA0") == [0x00, 0xff, 0xa0])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
