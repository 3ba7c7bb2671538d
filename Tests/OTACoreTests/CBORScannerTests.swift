import Testing
@testable import OTACore

@Suite("CBORScanner: heads, containers, strings, skipping, errors")
struct CBORScannerTests {
    func scan<T>(_ bytes: [UInt8], _ body: (inout CBORScanner) throws(OTAError) -> T) throws(OTAError) -> T {
        try withBuffer(bytes) { (raw) throws(OTAError) in
            var s = try CBORScanner(raw)
            return try body(&s)
        }
    }

    @Test func integersOfEveryWidthGiveTheSameValue() throws {
        let encodings: [[UInt8]] = [[0x17], [0x18, 0x17], [0x19, 0, 0x17], [0x1a, 0, 0, 0, 0x17],
                                    [0x1b, 0, 0, 0, 0, 0, 0, 0, 0x17]]
        for e in encodings {
            let h = try scan(e) { (s) throws(OTAError) in try s.head() }
            #expect(h.major == 0 && h.argument == 23 && !h.indefinite)
        }
        let big = try scan([0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]) { (s) throws(OTAError) in try s.head() }
        #expect(big.major == 1 && big.argument == UInt64.max - 1)
    }

    @Test func anIndefiniteContainerStaysEndedAfterItsBreak() throws {
        // [_ 1] followed by a break that belongs to the parent: the second `next` must not eat it
        let n = try scan([0x9f, 0x01, 0xff, 0xff]) { (s) throws(OTAError) -> (Int, Bool, Int) in
            var items = try s.container(4, "a")
            var count = 0
            while try s.next(&items) {
                _ = try s.head()
                count += 1
            }
            let again = try s.next(&items)
            return (count, again, s.offset)
        }
        #expect(n.0 == 1 && !n.1 && n.2 == 3)
    }

    @Test func chunkedTextIsJoined() throws {
        // (_ "ab", "", "cé")
        let bytes: [UInt8] = [0x7f, 0x62, 0x61, 0x62, 0x60, 0x63, 0x63, 0xc3, 0xa9, 0xff]
        let joined = try scan(bytes) { (s) throws(OTAError) -> [UInt8] in
            let h = try s.head()
            var out: [UInt8] = []
            let base = s.base
            try s.textChunks(h) { r in out += UnsafeBufferPointer(start: base + r.start, count: r.count) }
            return out
        }
        #expect(String(decoding: joined, as: UTF8.self) == "abcé")
    }

    @Test func skipCrossesEveryKindOfItem() throws {
        var w = CBORWriter()
        w.value(.array([.map([CBORPair(.text("k"), .tagged(1, .float(2.5)))]), .bytes([1, 2]), .negative(7),
                        .bool(true), .null, .undefined, .array([])]))
        let item = w.bytes
        // [_ item, (_ h'01', h''), {_ "x": [_ ]}] then a marker
        let bytes: [UInt8] = [0x9f] + item + [0x5f, 0x41, 0x01, 0x40, 0xff, 0xbf, 0x61, 0x78, 0x9f, 0xff, 0xff, 0xff, 0x2a]
        let end = try scan(bytes) { (s) throws(OTAError) -> (Int, UInt64) in
            try s.skipItem()
            return (s.offset, try s.head().argument)
        }
        #expect(end.0 == bytes.count - 1 && end.1 == 10)  // at the marker 0x2a: -11, major 1, argument 10
    }

    @Test func everyTruncationIsAnErrorWithItsOffset() {
        var w = CBORWriter()
        w.value(.array([.text("héllo"), .map([CBORPair(.unsigned(1), .array([.float(1.5), .tagged(2, .bytes([9]))]))])]))
        let full = w.bytes
        for cut in 1..<full.count {
            let e = failure { () throws(OTAError) in try scan(Array(full[..<cut])) { (s) throws(OTAError) in try s.skipItem() } }
            #expect(e?.code == .badInput && e?.message.contains("truncated CBOR at byte") == true)
        }
    }

    @Test(arguments: [
        ([0x1c] as [UInt8], "reserved or invalid initial byte 0x1c"),
        ([0xf8, 0x10], "two-byte simple value below 32"),
        ([0x9b, 0, 0, 0, 1, 0, 0, 0, 0], "the array announces 4294967296 entries"),
        ([0x62, 0xc3, 0x28], "is not valid UTF-8"),
        ([0x7f, 0x41, 0x61, 0xff], "has the wrong type"),
        ([0xff], "unexpected break"),
        ([0xc1, 0xff], "break after a tag"),
        ([0x1f], "reserved or invalid initial byte 0x1f"),
    ])
    func malformedItems(bytes: [UInt8], message: String) {
        let e = failure { () throws(OTAError) in try scan(bytes) { (s) throws(OTAError) in try s.skipItem() } }
        #expect(e?.code == .badInput)
        #expect(e?.message.contains(message) == true, "\(e?.message ?? "no error")")
    }

    @Test func nestingIsBounded() {
        let deep = [UInt8](repeating: 0x81, count: CBORScanner.maxSkipDepth + 1) + [0x00]
        let e = failure { () throws(OTAError) in try scan(deep) { (s) throws(OTAError) in try s.skipItem() } }
        #expect(e?.message.contains("nested deeper than 4096 levels") == true)
        let ok = [UInt8](repeating: 0x81, count: CBORScanner.maxSkipDepth) + [0x00]
        #expect(failure { () throws(OTAError) in try scan(ok) { (s) throws(OTAError) in try s.skipItem() } } == nil)
    }

    @Test func utf8CheckInsideABufferAgreesWithTheStandardLibrary() {
        // strings of every length at every position, the last ones ending at the buffer's end
        var rng = SplitMix(seed: 7)
        let pieces: [[UInt8]] = [Array("a".utf8), Array("é".utf8), Array("✓".utf8), Array("𝄞".utf8),
                                 [0x80], [0xc3], [0xed, 0xa0, 0x80], [0xff]]
        for _ in 0..<300 {
            var buffer: [UInt8] = []
            while buffer.count < 48 {
                let r = rng.next() % 100
                buffer += r < 70 ? pieces[0] : pieces[Int(r % UInt64(pieces.count))]
            }
            buffer.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress else { return }
                for start in 0..<b.count {
                    for n in 0...min(40, b.count - start) {
                        let slice = Array(b[start..<(start + n)])
                        let expected = String(validating: slice, as: UTF8.self) != nil
                        let got = UTF8Check.isValid(base + start, n, readable: b.count - start)
                        if got != expected { Issue.record("\(slice) at \(start): \(got)") }
                    }
                }
            }
        }
    }

    @Test func utf8CheckAgreesWithTheStandardLibrary() {
        let samples: [[UInt8]] = [
            Array("plain ascii text, longer than eight".utf8), Array("Kombi élégance ✓ 𝄞".utf8),
            [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
            Array("12345678".utf8) + [0xff], Array("1234567".utf8) + [0xe2, 0x82], [],
        ]
        for s in samples {
            let expected = String(validating: s, as: UTF8.self) != nil
            let got = (s + [0]).withUnsafeBufferPointer { p in p.baseAddress.map { UTF8Check.isValid($0, s.count) } ?? false }
            #expect(got == expected, "\(s)")
        }
    }
}
