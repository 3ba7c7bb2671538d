import Testing
import OTACore

@Suite("Identity: one rule for actor, who, role, kid, bootstrap_admin")
struct IdentityTests {
    func refusal(_ s: String) -> String? {
        do throws(OTAError) {
            try Identity.check(s, "who")
            return nil
        } catch {
            return error.code == .badInput ? error.message : "unexpected code"
        }
    }

    @Test func controlCharactersAnywhereAreRefused() {
        for s in ["root\n", "ro\0ot", "ro\u{1}ot", "root\u{7f}", "ro\u{85}ot", "\u{80}x", "x\u{9f}"] {
            #expect(refusal(s)?.contains("who contains a control character") == true, "\(Array(s.utf8))")
        }
        #expect(refusal("eve\u{85}")?.contains("U+0085") == true)
    }

    @Test func whitespaceAtEitherEndIsRefused() {
        for s in [" root", "root ", "\u{a0}root", "root\u{3000}", "\u{2003}root", "root\u{feff}", "root\u{2028}"] {
            #expect(refusal(s)?.contains("whitespace") == true, "\(Array(s.utf8))")
        }
    }

    @Test func lengthIsOneTo256Bytes() {
        #expect(refusal("")?.contains("1 to 256 bytes") == true)
        #expect(refusal(String(repeating: "a", count: 256)) == nil)
        #expect(refusal(String(repeating: "a", count: 257))?.contains("found 257") == true)
        #expect(refusal(String(repeating: "é", count: 129))?.contains("found 258") == true)
    }

    @Test func ordinaryNamesPass() {
        for s in ["root", "Zoë Müller", "svc:gateway-eu-1", "a", "李雷", "ann@example.com", "k\u{a0}id"] {
            #expect(refusal(s) == nil, "\(s)")
        }
    }
}
