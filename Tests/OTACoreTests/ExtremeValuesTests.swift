import Testing
import OTACore

/// Times, durations and counts at the ends of their ranges: every one gives an answer or a
/// problem, never an overflow trap (which would end the host process).
@Suite struct ExtremeValuesTests {
    @Test func campaignTimesEndWithTheYear9999() throws {
        let last = UInt64(UnixTime.range.upperBound)
        let ok = try CampaignSpecParser.parse(encode(specCBOR([("end", .unsigned(last))])))
        #expect(ok.end == UnixTime.range.upperBound)
        for (key, value) in [("start", CBOR.unsigned(last + 1)), ("end", .tagged(1, .unsigned(UInt64(Int64.max))))] {
            #expect(throws: OTAError.self) { _ = try CampaignSpecParser.parse(encode(specCBOR([(key, value)]))) }
        }
        do {
            _ = try CampaignSpecParser.parse(encode(specCBOR([("start", .unsigned(last + 1))])))
        } catch {
            #expect(error.message.contains("start: \(last + 1) is after the end of 9999"))
        }
    }

    @Test func windowsAnswerForAnyInterval() {
        var w = CampaignSpec.Window(days: [0, 1, 2, 3, 4, 5, 6], startMinute: 1200, minutes: 60)
        w.utcOffsetMinutes = 60
        // times no document can hold (UnixTime.range) are answered, not trapped on
        #expect(!CampaignSpecChecks.opens(w, from: Int64.max - 1000, until: Int64.max))
        #expect(CampaignSpecChecks.opens(w, from: Int64.min, until: Int64.max))
        #expect(!CampaignSpecChecks.opens(w, from: Int64.min, until: Int64.min + 10))
        #expect(CampaignSpecChecks.opens(w, from: 0, until: 8 * 86_400))
    }

    @Test func backoffGrowsByItsFactorWithoutCompoundingRounding() {
        var r = CampaignSpec.Retry()
        r.backoff = 1
        r.factorHundredths = 150
        #expect((0..<6).map { TargetPolicy.backoff(r, retries: $0) } == [1, 1, 2, 3, 5, 7])
        r.backoff = 10
        r.factorHundredths = 115
        #expect((0..<5).map { TargetPolicy.backoff(r, retries: $0) } == [10, 11, 13, 15, 17])
        r.backoff = 600
        r.factorHundredths = 300
        #expect((0..<4).map { TargetPolicy.backoff(r, retries: $0) } == [600, 1800, 5400, 16_200])
        // the largest spec saturates
        r.backoff = 31_622_400
        r.factorHundredths = 1000
        #expect(TargetPolicy.backoff(r, retries: 10) == Int64.max)
        #expect(TargetPolicy.backoff(r, retries: -1) == 31_622_400)
    }

    @Test func aNegativeRetryCountRetriesNothing() throws {
        var spec = try CampaignSpecParser.parse(encode(specCBOR()))
        spec.retry.max = 3
        spec.retry.reasons = [.install]
        #expect(TargetPolicy.retryAt(spec, reason: "install", retries: -1, now: 0) == nil)
        #expect(TargetPolicy.retryAt(spec, reason: "install", retries: 0, now: 0) == spec.retry.backoff)
    }

    @Test func theMedianOfHugeOrNegativeCountsIsAnswered() {
        #expect(TimeToSuccess.median([Int64.max, 1, Int64.max]) == TimeToSuccess.upperBounds[0])
        #expect(TimeToSuccess.median([-5, 0, 3]) == TimeToSuccess.upperBounds[2])
        #expect(TimeToSuccess.median([Int64.min]) == nil)
    }
}
