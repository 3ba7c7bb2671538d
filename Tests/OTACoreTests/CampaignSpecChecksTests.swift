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
