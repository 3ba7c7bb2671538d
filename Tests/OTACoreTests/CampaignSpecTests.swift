import Testing
import OTACore

/// A valid spec as a decoded CBOR map, with keys replaced (or removed with nil).
func specCBOR(_ changes: [(String, CBOR?)] = []) -> CBOR {
    func m(_ pairs: [(String, CBOR)]) -> CBOR { .map(pairs.map { CBORPair(.text($0.0), $0.1) }) }
    var pairs: [CBORPair] = [
        CBORPair(.text("name"), .text("BCM door-unlock fix EU")),
        CBORPair(.text("category"), .text("bugfix")),
        CBORPair(.text("packages"), .array([.unsigned(1), .unsigned(2)])),
        CBORPair(.text("urgency"), .text("scheduled")),
        CBORPair(.text("start"), .unsigned(1_800_000_000)),
        CBORPair(.text("end"), .unsigned(1_801_000_000)),
        CBORPair(.text("waves"), .array([
            m([("share", .float(12.5)), ("success-gate", .unsigned(90)), ("failure-threshold", .float(0.25))]),
            m([("count", .unsigned(1000)), ("success-gate", .unsigned(95)), ("failure-threshold", .unsigned(2)),
               ("min-final", .unsigned(50)), ("soak", .unsigned(86_400)), ("advance", .text("manual"))]),
            m([("success-gate", .unsigned(100)), ("failure-threshold", .unsigned(5))]),
        ])),
        CBORPair(.text("timeouts"), m([("answer", .unsigned(604_800)), ("install", .unsigned(7200))])),
    ]
    for (key, value) in changes {
        if let i = pairs.firstIndex(where: { $0.key == .text(key) }) {
            if let value { pairs[i].value = value } else { pairs.remove(at: i) }
        } else if let value {
            pairs.append(CBORPair(.text(key), value))
        }
    }
    return .map(pairs)
}

private func map(_ pairs: [(String, CBOR)]) -> CBOR { .map(pairs.map { CBORPair(.text($0.0), $0.1) }) }

private func specProblems(_ value: CBOR) -> String {
    do {
        _ = try CampaignSpecParser.parse(encode(value))
        return "parsed"
    } catch {
        return error.message
    }
}

/// Every optional key of §1, for round trips.
private func fullSpec() -> CBOR {
    specCBOR([
        ("priority", .unsigned(900)),
        ("rule", map([("markets", texts(["FR", "DE"])), ("models", texts(["Aurora"])),
                      ("attributes", map([("trim", .text("GT")), ("adas", .bool(true))]))])),
        ("regions", map([("EU", texts(["DE", "FR"])), ("NA", texts(["US"]))])),
        ("test", .bool(false)),
        ("after-test", .unsigned(7)),
        ("rate", map([("per-minute", .unsigned(200)), ("ramp", map([("factor", .float(1.5)), ("every", .unsigned(100))]))])),
        ("windows", .array([map([("regions", texts(["EU"])), ("days", .array([.unsigned(1)])),
                                 ("start", .unsigned(120)), ("minutes", .unsigned(120)),
                                 ("utc-offset", .negative(59))])])),
        ("notify", map([("reminder", .unsigned(3600)), ("max-deferrals", .unsigned(5)),
                        ("feedback-on-decline", .bool(true)), ("mandatory-after-deferrals", .bool(true))])),
        ("retry", map([("max", .unsigned(3)), ("backoff", .unsigned(600)), ("factor", .float(2.5)),
                       ("reasons", texts(["timeout", "download", "rolled-back"]))])),
        ("seed", .unsigned(UInt64.max)),
        ("contacts", map([("on-pause", texts(["ops@example.com"])), ("on-failure", texts(["qa@example.com", "ops@example.com"]))])),
    ])
}

@Suite struct CampaignSpecTests {
    @Test func validSpecParsesIntoTheModel() throws {
        let s = try CampaignSpecParser.parse(encode(specCBOR()))
        #expect(s.name == "BCM door-unlock fix EU" && s.category == .bugfix && s.priority == 500)
        #expect(s.packages == [1, 2] && s.urgency == .scheduled && s.start == 1_800_000_000 && s.end == 1_801_000_000)
        #expect(s.waves.count == 3)
        #expect(s.waves[0].size == .share(basisPoints: 1250) && s.waves[0].successGate == 9000 && s.waves[0].failureThreshold == 25)
        #expect(s.waves[0].minFinal == 20 && s.waves[0].soak == 0 && s.waves[0].advance == .auto)
        #expect(s.waves[1].size == .count(1000) && s.waves[1].minFinal == 50 && s.waves[1].soak == 86_400 && s.waves[1].advance == .manual)
        #expect(s.waves[2].size == nil)
        #expect(s.timeouts == CampaignSpec.Timeouts(answer: 604_800, install: 7200))
        #expect(s.retry == CampaignSpec.Retry() && s.notify == CampaignSpec.Notify() && s.rate == nil && s.seed == nil)
    }

    @Test func everyOptionalKeyIsRead() throws {
        let s = try CampaignSpecParser.parse(encode(fullSpec()))
        #expect(s.priority == 900 && s.afterTest == 7 && s.seed == UInt64.max)
        #expect(s.regions == [CampaignSpec.Region(name: "EU", markets: ["DE", "FR"]), CampaignSpec.Region(name: "NA", markets: ["US"])])
        #expect(s.rate?.perMinute == 200 && s.rate?.rampFactorHundredths == 150 && s.rate?.rampEvery == 100)
        #expect(s.windows.count == 1 && s.windows[0].utcOffsetMinutes == -60 && s.windows[0].regions == ["EU"])
        #expect(s.notify.reminder == 3600 && s.notify.maxDeferrals == 5 && s.notify.feedbackOnDecline && s.notify.mandatoryAfterDeferrals)
        #expect(s.retry.max == 3 && s.retry.backoff == 600 && s.retry.factorHundredths == 250)
        #expect(s.retry.reasons == [.timeout, .download, .rolledBack])
        // contacts in canonical key order, whatever order they came in
        #expect(s.contacts.map(\.kind) == ["on-pause", "on-failure"])
        // the rule is kept in canonical order: "models" (6) before "markets"? both 7 -> bytewise
        guard case .map(let rule)? = s.rule else { Issue.record("rule missing"); return }
        #expect(rule.map { $0.key.text ?? "" } == ["models", "markets", "attributes"])
    }

    @Test func canonicalRoundTripsAndIsIndependentOfInputOrder() throws {
        let a = try CampaignSpecParser.parse(encode(fullSpec()))
        #expect(try CampaignSpecParser.parse(a.canonical) == a)
        #expect(try CampaignSpecParser.parse(a.canonical).canonical == a.canonical)
        guard case .map(let pairs) = fullSpec() else { return }
        let reversed = try CampaignSpecParser.parse(encode(.map(pairs.reversed())))
        #expect(reversed.canonical == a.canonical)
        let minimal = try CampaignSpecParser.parse(encode(specCBOR()))
        #expect(try CampaignSpecParser.parse(minimal.canonical) == minimal)
        // keys in length-first order
        guard case .map(let out) = try CBORReader.decode(a.canonical) else { return }
        #expect(out.prefix(5).map { $0.key.text ?? "" } == ["end", "name", "rate", "rule", "seed"])
    }

    @Test func indefiniteLengthEncodingParsesToTheSameSpec() throws {
        // cbor2-style streaming: an indefinite map holding an indefinite array and an
        // indefinite text of two chunks; the canonical bytes are those of the definite form.
        var w = CBORWriter()
        w.raw([0xbf])  // map, indefinite
        w.text("name"); w.raw([0x7f]); w.text("BCM door-unlock "); w.text("fix EU"); w.raw([0xff])
        w.text("category"); w.text("bugfix")
        w.text("packages"); w.raw([0x9f]); w.unsigned(1); w.unsigned(2); w.raw([0xff])
        w.text("urgency"); w.text("scheduled")
        w.text("start"); w.raw([0xc1]); w.unsigned(1_800_000_000)   // tag 1: epoch time
        w.text("end"); w.raw([0x1a, 0x6b, 0x59, 0x14, 0x40])       // 1_801_000_000 as a 4-byte head
        w.text("waves"); w.raw([0x9f])
        w.raw([0xbf]); w.text("share"); w.raw([0xf9, 0x4a, 0x40])     // half float 12.5
        w.text("success-gate"); w.raw([0x18, 90])                      // 90 with a longer head
        w.text("failure-threshold"); w.raw([0xfb, 0x3f, 0xd0, 0, 0, 0, 0, 0, 0]); w.raw([0xff])  // 0.25
        w.value(map([("count", .unsigned(1000)), ("success-gate", .unsigned(95)), ("failure-threshold", .unsigned(2)),
                     ("min-final", .unsigned(50)), ("soak", .unsigned(86_400)), ("advance", .text("manual"))]))
        w.value(map([("success-gate", .float(100)), ("failure-threshold", .unsigned(5))]))
        w.raw([0xff])
        w.text("timeouts"); w.value(map([("install", .unsigned(7200)), ("answer", .unsigned(604_800))]))
        w.raw([0xff])
        let streamed = try CampaignSpecParser.parse(w.bytes)
        let plain = try CampaignSpecParser.parse(encode(specCBOR()))
        #expect(streamed == plain)
        #expect(streamed.canonical == plain.canonical)
    }

    @Test func percentagesAreBasisPointsDecidedInIntegers() throws {
        func share(_ v: CBOR) -> String {
            let waves = CBOR.array([map([("share", v), ("success-gate", .unsigned(1)), ("failure-threshold", .unsigned(1))]),
                                    map([("success-gate", .unsigned(1)), ("failure-threshold", .unsigned(1))])])
            do {
                let s = try CampaignSpecParser.parse(encode(specCBOR([("waves", waves)])))
                if case .share(let bp)? = s.waves[0].size { return String(bp) }
                return "?"
            } catch { return error.message }
        }
        #expect(share(.unsigned(0)) == "0")
        #expect(share(.unsigned(100)) == "10000")
        #expect(share(.float(0.1)) == "10")
        #expect(share(.float(Double(Float(0.1)))) == "10")   // a float32 encoding of 0.1
        #expect(share(.float(33.33)) == "3333")
        #expect(share(.float(99.99)) == "9999")
        #expect(share(.float(0.125)) == "campaign spec has 1 problem: waves[0].share: 0.125 has more than two decimals")
        #expect(share(.unsigned(101)) == "campaign spec has 1 problem: waves[0].share: 101 is outside 0-100 %")
        #expect(share(.float(100.01)) == "campaign spec has 1 problem: waves[0].share: 100.01 is outside 0-100 %")
        #expect(share(.negative(0)).hasSuffix("waves[0].share: -1 is less than 0 %"))
        #expect(share(.float(-0.5)).hasSuffix("waves[0].share: -0.5 is outside 0-100 %"))
        #expect(share(.float(Double.nan)).hasSuffix("found NaN"))
        #expect(share(.float(1e300)).hasSuffix("is outside 0-100 %"))
        #expect(share(.text("10%")).hasSuffix("waves[0].share: expected a number, found text"))
    }

    @Test func everyProblemIsReportedAtOnceWithItsPath() {
        let message = specProblems(specCBOR([
            ("name", nil), ("colour", .text("red")), ("packages", .array([])),
            ("priority", .unsigned(1001)),
            ("waves", .array([map([("success-gate", .unsigned(90)), ("failure-threshold", .unsigned(5)), ("share", .unsigned(10)), ("count", .unsigned(5))]),
                              map([("share", .unsigned(10)), ("success-gate", .unsigned(90))])])),
            ("retry", map([("reasons", texts(["user"])), ("max", .unsigned(11)), ("factor", .float(0.5))])),
        ]))
        #expect(message == "campaign spec has 9 problems: colour: unknown key; name: missing; priority: 1001 is outside 0-1000; packages: empty list; waves[0]: has both share and count; give one; waves[1].failure-threshold: missing; retry.max: 11 is outside 0-10; retry.factor: 0.5 is outside 1-10; retry.reasons[0]: 'user' is never retried (the owner said no)")
    }

    @Test func eachRangeIsChecked() {
        let cases: [(String, CBOR, String)] = [
            ("category", .text("cosmetic"), "category: 'cosmetic' is not one of 'security', 'bugfix', 'feature', 'recall' or 'calibration'"),
            ("urgency", .text("soon"), "urgency: 'soon' is not one of 'immediate' or 'scheduled'"),
            ("packages", .array((1...17).map { .unsigned(UInt64($0)) }), "packages: 17 items, more than 16"),
            ("packages", .array([.unsigned(3), .unsigned(3)]), "packages[1]: package 3 is a duplicate of packages[0]"),
            ("packages", .array([.unsigned(0)]), "packages[0]: 0 is less than 1"),
            ("test", .unsigned(1), "test: expected a bool, found integer"),
            ("end", .negative(5), "end: expected an unsigned integer, found a negative integer"),
            ("seed", .negative(0), "seed: expected an unsigned integer, found integer"),
            ("rule", map([("ecu", .text("BCM"))]), "rule.ecu: unknown key"),
            ("rule", map([("models", .array([]))]), "rule: \"models\": the list is empty; leave the key out to match everything"),
            ("rule", map([]), "rule: empty map; leave the key out to narrow nothing"),
            ("rule", map([("vins", texts(["nope"]))]), "rule: \"vins\"[0]: \"nope\" is not a VIN"),
            ("regions", map([("EU", texts(["DE"])), ("DACH", texts(["AT", "DE"]))]), "regions.DACH[1]: market 'DE' is already in region 'EU'; a market belongs to one region"),
            ("regions", map([("EU", .array([]))]), "regions.EU: empty list"),
            ("rate", map([("per-minute", .unsigned(100_001))]), "rate.per-minute: 100001 is outside 1-100000"),
            ("rate", map([("per-minute", .unsigned(0))]), "rate.per-minute: 0 is outside 1-100000"),
            ("rate", map([("per-minute", .unsigned(5)), ("ramp", map([("factor", .float(1.05)), ("every", .unsigned(1))]))]), "rate.ramp.factor: 1.05 is outside 1.1-5"),
            ("rate", map([("per-minute", .unsigned(5)), ("ramp", map([("factor", .unsigned(6)), ("every", .unsigned(1))]))]), "rate.ramp.factor: 6 is outside 1.1-5"),
            ("rate", map([("per-minute", .unsigned(5)), ("ramp", map([("factor", .unsigned(2))]))]), "rate.ramp.every: missing"),
            ("windows", .array([map([("days", .array([.unsigned(7)])), ("start", .unsigned(0)), ("minutes", .unsigned(60))])]), "windows[0].days[0]: 7 is outside 0-6"),
            ("windows", .array([map([("days", .array([.unsigned(1), .unsigned(1)])), ("start", .unsigned(0)), ("minutes", .unsigned(60))])]), "windows[0].days[1]: duplicate of windows[0].days[0]"),
            ("windows", .array([map([("days", .array([.unsigned(1)])), ("start", .unsigned(1440)), ("minutes", .unsigned(60))])]), "windows[0].start: 1440 is outside 0-1439"),
            ("windows", .array([map([("days", .array([.unsigned(1)])), ("start", .unsigned(0)), ("minutes", .unsigned(1441))])]), "windows[0].minutes: 1441 is outside 1-1440"),
            ("windows", .array([map([("days", .array([.unsigned(1)])), ("start", .unsigned(0)), ("minutes", .unsigned(0))])]), "windows[0].minutes: 0 is outside 1-1440"),
            ("windows", .array([map([("days", .array([.unsigned(1)])), ("start", .unsigned(0)), ("minutes", .unsigned(60)), ("utc-offset", .unsigned(841))])]), "windows[0].utc-offset: 841 is outside -840-840"),
            ("windows", .array([map([("days", .array([.unsigned(1)])), ("start", .unsigned(0)), ("minutes", .unsigned(60)), ("utc-offset", .negative(840))])]), "windows[0].utc-offset: -841 is outside -840-840"),
            ("windows", .array([]), "windows: empty list"),
            ("notify", map([("max-deferrals", .unsigned(101))]), "notify.max-deferrals: 101 is outside 0-100"),
            ("notify", map([("feedback-on-decline", .text("yes"))]), "notify.feedback-on-decline: expected a bool, found text"),
            ("timeouts", map([("answer", .unsigned(0)), ("install", .unsigned(1))]), "timeouts.answer: 0 is outside 1-31622400"),
            ("timeouts", map([("answer", .unsigned(10))]), "timeouts.install: missing"),
            ("retry", map([("factor", .float(10.5))]), "retry.factor: 10.5 is outside 1-10"),
            ("retry", map([("reasons", texts(["timeout", "timeout"]))]), "retry.reasons[1]: duplicate of retry.reasons[0]"),
            ("retry", map([("reasons", texts(["bored"]))]), "retry.reasons[0]: 'bored' is not one of"),
            ("retry", map([("reasons", .array([]))]), "retry.reasons: empty list"),
            ("contacts", map([("on-crash", texts(["a"]))]), "contacts.on-crash: unknown key"),
            ("after-test", .text("7"), "after-test: expected an unsigned integer, found text"),
            ("waves", .array([]), "waves: empty list"),
            ("waves", .array([map([("success-gate", .unsigned(1)), ("failure-threshold", .unsigned(1))]), map([("success-gate", .unsigned(1)), ("failure-threshold", .unsigned(1))])]),
             "waves[0]: missing share or count (only the last wave may leave both out: it takes the rest)"),
            ("waves", .array([map([("count", .unsigned(0)), ("success-gate", .unsigned(1)), ("failure-threshold", .unsigned(1))])]), "waves[0].count: 0 is less than 1"),
            ("waves", .array([map([("success-gate", .unsigned(1)), ("failure-threshold", .unsigned(1)), ("advance", .text("later"))])]), "waves[0].advance: 'later' is not one of 'auto' or 'manual'"),
        ]
        for (key, value, expected) in cases {
            let message = specProblems(specCBOR([(key, value)]))
            #expect(message.contains(expected), "\(key): \(message)")
        }
    }

    @Test func notAMapIsOneProblem() {
        #expect(specProblems(.array([])) == "campaign spec has 1 problem: (top level): expected a map, found array")
        do {
            _ = try CampaignSpecParser.parse([0xa1])
            Issue.record("parsed")
        } catch {
            #expect(error.code == .badInput && error.message.hasPrefix("campaign spec: truncated CBOR"))
        }
    }
}
