import Testing
import OTACore

/// A hostile document fails fast: the problem list keeps 20 problems and counts the rest.
@Suite("ProblemList: bounded messages for hostile documents")
struct ProblemListTests {
    @Test func aListStopsListingAfterTwentyAndCountsTheRest() {
        var list = ProblemList()
        var built = 0
        for i in 0..<50_000 {
            list.add({ built += 1; return "k\(i)" }(), "unknown key")
        }
        #expect(list.count == 50_000 && list.items.count == ProblemList.listed && list.isFull)
        #expect(built == ProblemList.listed)  // paths of unlisted problems are never built
        let message = list.error("manifest")?.message ?? ""
        #expect(message.hasPrefix("manifest has 50000 problems: k0: unknown key; k1: unknown key"))
        #expect(message.hasSuffix("k19: unknown key; ... and 49980 more"))
    }

    @Test func aManifestWithFiftyThousandUnknownKeysFails() {
        guard case .map(var pairs) = manifestCBOR() else { return }
        for i in 0..<50_000 { pairs.append(CBORPair(.text("x\(i)"), .unsigned(0))) }
        let message = problems(.map(pairs))
        #expect(message.hasPrefix("manifest has 50000 problems: x0: unknown key"))
        #expect(message.hasSuffix("... and 49980 more"))
    }

    @Test func aRuleWithFiftyThousandKeysOrAttributesFails() {
        func ruleError(_ doc: CBOR) -> String {
            do throws(OTAError) {
                _ = try TargetRule.decode(encode(doc))
                return ""
            } catch {
                return error.message
            }
        }
        var unknown: [CBORPair] = [CBORPair(.text("ecu"), .text("BCM"))]
        for i in 0..<50_000 { unknown.append(CBORPair(.text("x\(i)"), .unsigned(0))) }
        #expect(ruleError(.map(unknown)).contains("rule: unknown key \"x0\""))
        let attributes = (0..<50_000).map { CBORPair(.text("a\($0)"), .bool(true)) }
        let rule = CBOR.map([CBORPair(.text("ecu"), .text("BCM")), CBORPair(.text("attributes"), .map(attributes))])
        #expect(ruleError(rule).contains("50000 attributes; a rule may require at most 32"))
    }
}
