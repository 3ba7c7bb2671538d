import Testing
import OTACore

private func map(_ pairs: [(String, CBOR)]) -> CBOR { .map(pairs.map { CBORPair(.text($0.0), $0.1) }) }

private func spec(_ changes: [(String, CBOR?)]) throws -> CampaignSpec {
    try CampaignSpecParser.parse(encode(specCBOR(changes)))
}

/// The checks of a spec across keys (CampaignSpecChecks): what validation reports before
/// anything runs.
@Suite struct CampaignSpecChecksTests {
    static let from: Int64 = 1_800_000_000

    /// Every day 02:00-04:00, for the regions named (nil: every target).
    static func daily(_ regions: [String]?) -> CBOR {
        var pairs: [(String, CBOR)] = [("days", .array((0...6).map { .unsigned($0) })),
                                       ("start", .unsigned(120)), ("minutes", .unsigned(120))]
        if let regions { pairs.append(("regions", texts(regions))) }
        return map(pairs)
    }

    static var regions: CBOR { map([("EU", texts(["DE"])), ("NA", texts(["US"]))]) }

    @Test func aRegionNoWindowAppliesToIsAProblem() throws {
        let s = try spec([("regions", Self.regions), ("windows", .array([Self.daily(["EU"])]))])
        #expect(CampaignSpecChecks.problems(s, from: Self.from) == [
            "regions.NA: no window that applies to it opens between 1800000000 and end 1801000000; its targets would never be notified",
        ])
        // a window for every target, or one per region, covers them all
        let all = try spec([("regions", Self.regions), ("windows", .array([Self.daily(nil)]))])
        #expect(CampaignSpecChecks.problems(all, from: Self.from).isEmpty)
        let each = try spec([("regions", Self.regions), ("windows", .array([Self.daily(["EU"]), Self.daily(["NA"])]))])
        #expect(CampaignSpecChecks.problems(each, from: Self.from).isEmpty)
        // without windows, any time: nothing to report
        #expect(CampaignSpecChecks.problems(try spec([("regions", Self.regions)]), from: Self.from).isEmpty)
    }

    @Test func aRegionWhoseOnlyWindowOpensAfterEndIsAProblem() throws {
        // Monday-only window for NA; the campaign runs from a Tuesday for two days
        let tuesday: Int64 = 1_704_153_600   // 2024-01-02 00:00 UTC
        var monday = [("days", CBOR.array([.unsigned(0)])), ("start", .unsigned(0)), ("minutes", .unsigned(60))]
        monday.append(("regions", texts(["NA"])))
        let s = try spec([("urgency", .text("immediate")), ("start", nil), ("end", .unsigned(UInt64(tuesday + 2 * 86_400))),
                          ("regions", Self.regions), ("windows", .array([Self.daily(["EU"]), map(monday)]))])
        let p = CampaignSpecChecks.problems(s, from: tuesday)
        #expect(p.contains("windows[1]: never opens before end \(tuesday + 2 * 86_400)"))
        #expect(p.contains { $0.hasPrefix("regions.NA: no window that applies to it opens") })
        #expect(!p.contains { $0.hasPrefix("regions.EU") })
    }
}

/// Wave sizes: a wave that would take more than is left is a problem, not silently cut down.
@Suite struct WaveSizeChecksTests {
    static func wave(_ size: (String, CBOR)?) -> CBOR {
        var pairs: [(String, CBOR)] = [("success-gate", .unsigned(90)), ("failure-threshold", .unsigned(5))]
        if let size { pairs.append(size) }
        return map(pairs)
    }
    static func count(_ n: UInt64) -> CBOR { wave(("count", .unsigned(n))) }
    static func share(_ p: UInt64) -> CBOR { wave(("share", .unsigned(p))) }

    static func sizes(_ waves: [CBOR], targets: Int = 1000) throws -> (sizes: [Int], problems: [String]) {
        CampaignSpecChecks.waveSizes(try spec([("waves", .array(waves))]), targets: targets)
    }

    @Test func overcommittedWavesAreProblems() throws {
        let a = try Self.sizes([Self.count(100), Self.share(50), Self.share(50)])
        #expect(a.problems == ["waves[2]: share 50 % (500 of the 1000 targets) is more than the 400 targets left after the waves before it"])
        let b = try Self.sizes([Self.share(95), Self.count(100)])
        #expect(b.problems == ["waves[1]: count 100 is more than the 50 targets left after the waves before it"])
        let c = try Self.sizes([Self.count(10), Self.share(100)])
        #expect(c.problems == ["waves[1]: share 100 % (1000 of the 1000 targets) is more than the 990 targets left after the waves before it"])
        let d = try Self.sizes([Self.count(1500), Self.wave(nil)])
        #expect(d.problems.contains("waves[0]: count 1500 is more than the 1000 targets left after the waves before it"))
    }

    @Test func sharesThatAddUpAndALastWaveTakingTheRestPass() throws {
        for targets in [1000, 999, 10, 7, 3] {
            #expect(try Self.sizes([Self.share(33), Self.share(33), Self.share(34)], targets: targets).problems
                .allSatisfy { $0.hasSuffix("rounds to zero vehicles (of \(targets) targets)") })
        }
        let t = try Self.sizes([Self.share(33), Self.share(33), Self.share(34)])
        #expect(t.sizes == [330, 330, 340] && t.problems.isEmpty)
        let rest = try Self.sizes([Self.count(100), Self.share(50), Self.wave(nil)])
        #expect(rest.sizes == [100, 500, 400] && rest.problems.isEmpty)
        let exact = try Self.sizes([Self.share(90), Self.count(100)])
        #expect(exact.sizes == [900, 100] && exact.problems.isEmpty)
    }
}

/// An end at or before the earliest time the campaign could run.
@Suite struct EndChecksTests {
    @Test func anEndThatHasPassedIsAProblemOnce() throws {
        let immediate = try spec([("urgency", .text("immediate")), ("start", nil)])
        #expect(CampaignSpecChecks.problems(immediate, from: 1_801_000_000) == ["end: 1801000000 has passed (at 1801000000)"])
        #expect(CampaignSpecChecks.problems(immediate, from: 1_800_999_999).isEmpty)
        // an end not after start is said once, as that
        let scheduled = try spec([("end", .unsigned(1_800_000_000))])
        #expect(CampaignSpecChecks.problems(scheduled, from: 1_900_000_000) == ["end: 1800000000 is not after start 1800000000"])
    }
}

/// A retry count without reasons retries nothing: said, not silently accepted.
@Suite struct RetryChecksTests {
    @Test func retryMaxWithoutReasonsIsAProblem() throws {
        let none = try spec([("retry", map([("max", .unsigned(3))]))])
        #expect(CampaignSpecChecks.problems(none, from: CampaignSpecChecksTests.from)
                == ["retry: max 3 but no reasons: nothing would be retried"])
        let some = try spec([("retry", map([("max", .unsigned(3)), ("reasons", texts(["timeout"]))]))])
        #expect(CampaignSpecChecks.problems(some, from: CampaignSpecChecksTests.from).isEmpty)
        let zero = try spec([("retry", map([("max", .unsigned(0))]))])
        #expect(CampaignSpecChecks.problems(zero, from: CampaignSpecChecksTests.from).isEmpty)
    }
}
