import Testing
@testable import OTACore

@Suite("VIN")
struct VINTests {
    @Test("check digits of published example VINs")
    func publishedCheckDigits() {
        // Examples whose check digit is given in NHTSA / Wikipedia material, not computed here.
        #expect(VIN.checkDigit("1M8GDM9AXKP042788") == UInt8(ascii: "X"))
        #expect(VIN.checkDigit("1HGCM82633A004352") == UInt8(ascii: "3"))
        #expect(VIN.checkDigit("11111111111111111") == UInt8(ascii: "1"))
        #expect(VIN.checkDigit("5GZCZ43D13S812715") == UInt8(ascii: "1"))
        #expect(VIN.checkDigit("SHORT") == nil)
    }

    @Test("a valid VIN is accepted in every market")
    func validEverywhere() throws {
        for market in ["US", "CA", "MX", "CN", "DE", "JP", ""] {
            _ = try VIN.validate("1M8GDM9AXKP042788", market: market)
        }
    }

    @Test("the check digit is verified for US, CA, MX and CN only")
    func checkDigitMarkets() throws {
        let wrong = "1M8GDM9A1KP042788"  // position 9 should be X
        for market in ["US", "CA", "MX", "CN"] {
            let error = #expect(throws: OTAError.self) { try VIN.validate(wrong, market: market) }
            #expect(error?.code == .badInput)
            #expect(error?.message.contains("check digit (position 9) is '1'") == true)
            #expect(error?.message.contains("'X'") == true)
            #expect(error?.message.contains(market) == true)
        }
        for market in ["DE", "GB", "JP", "us", "BR"] { _ = try VIN.validate(wrong, market: market) }
    }

    @Test("length and alphabet", arguments: [
        ("1M8GDM9AXKP04278", "has 16 bytes"),
        ("1M8GDM9AXKP0427888", "has 18 bytes"),
        ("", "has 0 bytes"),
        ("1M8GDM9AXKP04278I", "'I' at position 17"),
        ("OM8GDM9AXKP042788", "'O' at position 1"),
        ("1M8GDQ9AXKP042788", "'Q' at position 6"),
        ("1m8GDM9AXKP042788", "'m' at position 2"),
        ("1M8GDM9AX P042788", "byte 0x20 at position 10"),
        ("1M8GDM9AXKP04278\u{e9}", "has 18 bytes"),
    ])
    func malformed(vin: String, problem: String) {
        let error = #expect(throws: OTAError.self) { try VIN.validate(vin, market: "DE") }
        #expect(error?.code == .badInput)
        #expect(error?.message.contains(problem) == true, "\(error?.message ?? "")")
    }

    @Test("keys sort like the text and give the text back")
    func keys() throws {
        let vins = ["00000000000000000", "1M8GDM9AXKP042788", "1M8GDM9AXKP042789", "1M8GDM9AXKP04278A",
                    "1M8GDN9AXKP042788", "ZZZZZZZZZZZZZZZZZ", "WLXAS0K0M0A012345", "1HGCM82633A004352"]
        let keyed = try vins.map { v throws(OTAError) in (v, try VIN.validate(v, market: "DE")) }
        for (v, k) in keyed { #expect(k.text == v) }
        for (a, ka) in keyed {
            for (b, kb) in keyed {
                #expect((ka < kb) == a.utf8.lexicographicallyPrecedes(b.utf8))
                #expect((ka == kb) == (a == b))
            }
        }
    }

    @Test("the import's VIN syntax is the snapshot reader's")
    func sameSyntaxAsTheReader() {
        var rng = SplitMix(seed: 42)  // seeded: the same strings every run
        let pool = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZaz -".utf8)
        for _ in 0..<2000 {
            let n = [16, 17, 17, 17, 18].randomElement(using: &rng) ?? 17
            let bytes = (0..<n).map { _ in pool.randomElement(using: &rng) ?? 0x30 }
            let vin = String(decoding: bytes, as: UTF8.self)
            #expect((VIN.key(vin) != nil) == VINSyntax.isWellFormed(vin), "\(vin)")
        }
    }
}

/// The tests' seeded generator (ByteStringSetTests.swift) drives `randomElement(using:)`.
extension SplitMix: RandomNumberGenerator {}
