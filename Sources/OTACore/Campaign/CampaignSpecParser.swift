/// Checks a campaign spec completely (docs/schemas/campaign.cddl, design/campaigns.md §1) and
/// builds a `CampaignSpec`, or throws one `.badInput` listing every problem with its path
/// ("waves[1].share: 120 is outside 0-100 %; retry.reasons[0]: 'user' is never retried").
///
/// This is the document's own shape and ranges. What depends on the store or on several keys
/// together (packages approved, shares adding up, a window that opens before `end`, ...) is
/// `CampaignSpecChecks`, reported by validation.
public enum CampaignSpecParser {
    /// A spec may carry up to 1,000,000 VINs in `rule.vins`.
    public static let maxBytes = 32 << 20
    public static let maxPackages = 16
    public static let maxWaves = 500
    public static let maxWindows = 64
    public static let maxRegions = 256
    public static let maxVINs = 1_000_000
    public static let maxContacts = 64

    static let keys = ["name", "category", "priority", "packages", "rule", "regions", "test",
                       "after-test", "urgency", "start", "end", "waves", "rate", "windows", "notify",
                       "timeouts", "retry", "seed", "contacts"]
    /// The target-rule keys a spec may narrow with (the packages bring ecu, hw, from, to, requires).
    public static let ruleKeys = ["models", "variants", "powertrains", "markets", "produced", "vins",
                                  "exclude-vins", "attributes"]
    static let waveKeys = ["share", "count", "success-gate", "failure-threshold", "min-final", "soak", "advance"]
    static let rateKeys = ["per-minute", "ramp"]
    static let rampKeys = ["factor", "every"]
    static let windowKeys = ["regions", "days", "start", "minutes", "utc-offset"]
    static let notifyKeys = ["reminder", "max-deferrals", "feedback-on-decline", "mandatory-after-deferrals"]
    static let timeoutKeys = ["answer", "install"]
    static let retryKeys = ["max", "backoff", "factor", "reasons"]
    static let contactKeys = ["on-failure", "on-success", "on-pause"]

    /// A second or more, at most a year: timeouts, reminders, backoff, soak.
    static let maxSeconds: Int64 = 366 * 86_400

    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(OTAError) -> CampaignSpec {
        let doc: CBOR
        do throws(OTAError) {
            doc = try CBORReader.decode(bytes, maxBytes: maxBytes)
        } catch {
            throw error.prefixed("campaign spec")
        }
        return try parse(doc)
    }

    public static func parse(_ bytes: [UInt8]) throws(OTAError) -> CampaignSpec {
        try withBuffer(bytes) { (raw) throws(OTAError) in try parse(raw) }
    }

    public static func parse(_ doc: CBOR) throws(OTAError) -> CampaignSpec {
        var c = FieldChecks()
        guard let m = c.fields(doc, "", known: keys) else {
            throw c.problems.error("campaign spec") ?? .badInput("campaign spec: not a map")
        }
        let name = m.required("name", &c).flatMap { c.identifier($0, "name") }
        let category = m.required("category", &c).flatMap { c.choice($0, "category", CampaignSpec.Category.self) }
        let priority = m["priority"].map { c.integer($0, "priority", min: 0, max: 1000) } ?? 500
        let packages = m.required("packages", &c).flatMap { checkPackages($0, &c) }
        let rule = optional(m["rule"]) { checkRule($0, &c) }
        let regions = m["regions"].map { checkRegions($0, &c) } ?? []
        let test = m["test"].map { c.boolean($0, "test") } ?? false
        let afterTest = optional(m["after-test"]) { c.count($0, "after-test", min: 1) }
        let urgency = m.required("urgency", &c).flatMap { c.choice($0, "urgency", CampaignSpec.Urgency.self) }
        let start = optional(m["start"]) { c.time($0, "start") }
        let end = m.required("end", &c).flatMap { c.time($0, "end") }
        let waves = m.required("waves", &c).flatMap { checkWaves($0, &c) }
        let rate = optional(m["rate"]) { checkRate($0, &c) }
        let windows = m["windows"].map { checkWindows($0, &c) } ?? []
        let notify = m["notify"].map { checkNotify($0, &c) } ?? CampaignSpec.Notify()
        let timeouts = m.required("timeouts", &c).flatMap { checkTimeouts($0, &c) }
        let retry = m["retry"].map { checkRetry($0, &c) } ?? CampaignSpec.Retry()
        let seed = optional(m["seed"]) { seedValue($0, &c) }
        let contacts = m["contacts"].map { checkContacts($0, &c) } ?? []

        if let error = c.problems.error("campaign spec") { throw error }
        guard let name, let category, let priority, let packages, let rule, let regions, let test,
              let afterTest, let urgency, let start, let end, let waves, let rate, let windows,
              let notify, let timeouts, let retry, let seed, let contacts else {
            throw OTAError(.internalError, "campaign spec check passed with a field missing")
        }
        var spec = CampaignSpec(name: name, category: category, packages: packages, urgency: urgency,
                                end: end, waves: waves, timeouts: timeouts)
        spec.priority = Int(priority)
        spec.rule = rule
        spec.regions = regions
        spec.test = test
        spec.afterTest = afterTest
        spec.start = start
        spec.rate = rate
        spec.windows = windows
        spec.notify = notify
        spec.retry = retry
        spec.seed = seed
        spec.contacts = contacts
        return spec
    }

    // MARK: keys

    static func checkPackages(_ value: CBOR, _ c: inout FieldChecks) -> [Int64]? {
        guard let items = c.list(value, "packages", allowEmpty: false, max: maxPackages) else { return nil }
        var out: [Int64] = []
        var ok = true
        for (i, item) in items.enumerated() {
            let path = "packages[\(i)]"
            guard let id = c.count(item, path, min: 1) else {
                ok = false
                continue
            }
            if let first = out.firstIndex(of: id) {
                c.problems.add(path, "package \(id) is a duplicate of packages[\(first)]")
                ok = false
                continue
            }
            out.append(id)
        }
        return ok ? out : nil
    }

    /// The narrowing rule: only the keys a spec may narrow with, each checked by the target
    /// rule's own decoder (one place for rule syntax). Kept as given, in canonical key order.
    static func checkRule(_ value: CBOR, _ c: inout FieldChecks) -> CBOR? {
        guard let m = c.fields(value, "rule", known: ruleKeys) else { return nil }
        guard !m.values.isEmpty else {
            if value.pairs?.isEmpty == true { c.problems.add("rule", "empty map; leave the key out to narrow nothing") }
            return nil
        }
        if let vins = m["vins"]?.array, vins.count > maxVINs {
            c.problems.add("rule.vins", "\(vins.count) VINs, more than \(maxVINs)")
            return nil
        }
        var pairs = [CBORPair(.text("ecu"), .text("-"))]
        for (k, v) in m.values { pairs.append(CBORPair(.text(k), v)) }
        do throws(OTAError) {
            _ = try TargetRule(.map(pairs))
        } catch {
            c.problems.add("rule", error.message)
            return nil
        }
        if (m.values.count) != (value.pairs?.count ?? 0) { return nil }  // unknown keys reported
        return CanonicalCBOR.normalized(value)
    }

    static func checkRegions(_ value: CBOR, _ c: inout FieldChecks) -> [CampaignSpec.Region]? {
        guard let pairs = value.pairs else {
            c.problems.add("regions", "expected a map of region name => [markets], found \(value.typeName)")
            return nil
        }
        if pairs.isEmpty {
            c.problems.add("regions", "empty map; leave the key out for no regions")
            return nil
        }
        if pairs.count > maxRegions {
            c.problems.add("regions", "\(pairs.count) regions, more than \(maxRegions)")
            return nil
        }
        var out: [CampaignSpec.Region] = []
        var marketRegion: [String: String] = [:]
        var ok = true
        for (i, pair) in pairs.enumerated() {
            guard let name = c.identifier(pair.key, "regions key #\(i)") else {
                ok = false
                continue
            }
            let path = "regions." + name
            guard let markets = c.identifierList(pair.value, path) else {
                ok = false
                continue
            }
            for (j, market) in markets.enumerated() {
                if let other = marketRegion[market] {
                    c.problems.add(path + "[\(j)]", "market '\(market)' is already in region '\(other)'; a market belongs to one region")
                    ok = false
                } else {
                    marketRegion[market] = name
                }
            }
            out.append(CampaignSpec.Region(name: name, markets: markets))
        }
        return ok ? out.sorted { CanonicalCBOR.keyPrecedes($0.name, $1.name) } : nil
    }

    static func checkWaves(_ value: CBOR, _ c: inout FieldChecks) -> [CampaignSpec.Wave]? {
        guard let items = c.list(value, "waves", allowEmpty: false, max: maxWaves) else { return nil }
        var out: [CampaignSpec.Wave] = []
        var ok = true
        for (i, item) in items.enumerated() {
            let path = "waves[\(i)]"
            guard let w = c.fields(item, path, known: waveKeys) else {
                ok = false
                continue
            }
            var size: CampaignSpec.Wave.Size??
            switch (w["share"], w["count"]) {
            case (.some, .some):
                c.problems.add(path, "has both share and count; give one")
                size = nil
            case (.some(let s), nil):
                size = c.percent(s, w.path("share")).map { .some(.share(basisPoints: $0)) }
            case (nil, .some(let n)):
                size = c.count(n, w.path("count"), min: 1).map { .some(.count(Int($0))) }
            case (nil, nil):
                if i == items.count - 1 {
                    size = .some(nil)
                } else {
                    c.problems.add(path, "missing share or count (only the last wave may leave both out: it takes the rest)")
                    size = nil
                }
            }
            let gate = w.required("success-gate", &c).flatMap { c.percent($0, w.path("success-gate")) }
            let threshold = w.required("failure-threshold", &c).flatMap { c.percent($0, w.path("failure-threshold")) }
            let minFinal = w["min-final"].map { c.integer($0, w.path("min-final"), min: 1, max: 1_000_000) } ?? 20
            let soak = w["soak"].map { c.integer($0, w.path("soak"), min: 0, max: maxSeconds) } ?? 0
            let advance = w["advance"].map { c.choice($0, w.path("advance"), CampaignSpec.Wave.Advance.self) } ?? .auto
            guard let size, let gate, let threshold, let minFinal, let soak, let advance else {
                ok = false
                continue
            }
            var wave = CampaignSpec.Wave(size: size, successGate: gate, failureThreshold: threshold)
            wave.minFinal = Int(minFinal)
            wave.soak = soak
            wave.advance = advance
            out.append(wave)
        }
        return ok ? out : nil
    }

    static func checkRate(_ value: CBOR, _ c: inout FieldChecks) -> CampaignSpec.Rate? {
        guard let m = c.fields(value, "rate", known: rateKeys) else { return nil }
        let perMinute = m.required("per-minute", &c).flatMap { c.integer($0, m.path("per-minute"), min: 1, max: 100_000) }
        var factor: Int?? = .some(nil), every: Int64?? = .some(nil)
        if let ramp = m["ramp"] {
            if let r = c.fields(ramp, "rate.ramp", known: rampKeys) {
                factor = optional(r.required("factor", &c)) { c.hundredths($0, r.path("factor"), min: 110, max: 500, what: "") }
                every = optional(r.required("every", &c)) { c.integer($0, r.path("every"), min: 1, max: 1_000_000) }
                if r.values.isEmpty { factor = nil }
            } else {
                factor = nil
            }
        }
        guard let perMinute, let factor, let every else { return nil }
        var rate = CampaignSpec.Rate(perMinute: Int(perMinute))
        rate.rampFactorHundredths = factor
        rate.rampEvery = every.map { Int($0) }
        return rate
    }

    static func checkWindows(_ value: CBOR, _ c: inout FieldChecks) -> [CampaignSpec.Window]? {
        guard let items = c.list(value, "windows", allowEmpty: false, max: maxWindows) else { return nil }
        var out: [CampaignSpec.Window] = []
        var ok = true
        for (i, item) in items.enumerated() {
            let path = "windows[\(i)]"
            guard let w = c.fields(item, path, known: windowKeys) else {
                ok = false
                continue
            }
            let regions = optional(w["regions"]) { c.identifierList($0, w.path("regions")) }
            let days = w.required("days", &c).flatMap { checkDays($0, w.path("days"), &c) }
            let start = w.required("start", &c).flatMap { c.integer($0, w.path("start"), min: 0, max: 1439) }
            let minutes = w.required("minutes", &c).flatMap { c.integer($0, w.path("minutes"), min: 1, max: 1440) }
            let offset = w["utc-offset"].map { c.integer($0, w.path("utc-offset"), min: -840, max: 840) } ?? 0
            guard let regions, let days, let start, let minutes, let offset else {
                ok = false
                continue
            }
            var window = CampaignSpec.Window(days: days, startMinute: Int(start), minutes: Int(minutes))
            window.regions = regions
            window.utcOffsetMinutes = Int(offset)
            out.append(window)
        }
        return ok ? out : nil
    }

    static func checkDays(_ value: CBOR, _ path: String, _ c: inout FieldChecks) -> [Int]? {
        guard let items = c.list(value, path, allowEmpty: false, max: 7) else { return nil }
        var out: [Int] = []
        var ok = true
        for (i, item) in items.enumerated() {
            guard let d = c.integer(item, path + "[\(i)]", min: 0, max: 6) else {
                ok = false
                continue
            }
            if let first = out.firstIndex(of: Int(d)) {
                c.problems.add(path + "[\(i)]", "duplicate of \(path)[\(first)]")
                ok = false
                continue
            }
            out.append(Int(d))
        }
        return ok ? out : nil
    }

    static func checkNotify(_ value: CBOR, _ c: inout FieldChecks) -> CampaignSpec.Notify? {
        guard let m = c.fields(value, "notify", known: notifyKeys) else { return nil }
        var n = CampaignSpec.Notify()
        let reminder = m["reminder"].map { c.integer($0, m.path("reminder"), min: 1, max: maxSeconds) } ?? n.reminder
        let maxDeferrals = m["max-deferrals"].map { c.integer($0, m.path("max-deferrals"), min: 0, max: 100) } ?? Int64(n.maxDeferrals)
        let feedback = m["feedback-on-decline"].map { c.boolean($0, m.path("feedback-on-decline")) } ?? n.feedbackOnDecline
        let mandatory = m["mandatory-after-deferrals"].map { c.boolean($0, m.path("mandatory-after-deferrals")) } ?? n.mandatoryAfterDeferrals
        guard let reminder, let maxDeferrals, let feedback, let mandatory else { return nil }
        n.reminder = reminder
        n.maxDeferrals = Int(maxDeferrals)
        n.feedbackOnDecline = feedback
        n.mandatoryAfterDeferrals = mandatory
        return n
    }

    static func checkTimeouts(_ value: CBOR, _ c: inout FieldChecks) -> CampaignSpec.Timeouts? {
        guard let m = c.fields(value, "timeouts", known: timeoutKeys) else { return nil }
        let answer = m.required("answer", &c).flatMap { c.integer($0, m.path("answer"), min: 1, max: maxSeconds) }
        let install = m.required("install", &c).flatMap { c.integer($0, m.path("install"), min: 1, max: maxSeconds) }
        guard let answer, let install else { return nil }
        return CampaignSpec.Timeouts(answer: answer, install: install)
    }

    static func checkRetry(_ value: CBOR, _ c: inout FieldChecks) -> CampaignSpec.Retry? {
        guard let m = c.fields(value, "retry", known: retryKeys) else { return nil }
        var r = CampaignSpec.Retry()
        let max = m["max"].map { c.integer($0, m.path("max"), min: 0, max: 10) } ?? Int64(r.max)
        let backoff = m["backoff"].map { c.integer($0, m.path("backoff"), min: 1, max: maxSeconds) } ?? r.backoff
        let factor = m["factor"].map { c.hundredths($0, m.path("factor"), min: 100, max: 1000, what: "") } ?? r.factorHundredths
        let reasons = m["reasons"].map { checkReasons($0, m.path("reasons"), &c) } ?? []
        guard let max, let backoff, let factor, let reasons else { return nil }
        r.max = Int(max)
        r.backoff = backoff
        r.factorHundredths = factor
        r.reasons = reasons
        return r
    }

    static func checkReasons(_ value: CBOR, _ path: String, _ c: inout FieldChecks) -> [FailureReason]? {
        guard let items = c.list(value, path, allowEmpty: false, max: FailureReason.allCases.count) else { return nil }
        var out: [FailureReason] = []
        var ok = true
        for (i, item) in items.enumerated() {
            let p = path + "[\(i)]"
            guard let reason = c.choice(item, p, FailureReason.self) else {
                ok = false
                continue
            }
            if reason == .user {
                c.problems.add(p, "'user' is never retried (the owner said no)")
                ok = false
            } else if let first = out.firstIndex(of: reason) {
                c.problems.add(p, "duplicate of \(path)[\(first)]")
                ok = false
            } else {
                out.append(reason)
            }
        }
        return ok ? out : nil
    }

    static func seedValue(_ value: CBOR, _ c: inout FieldChecks) -> UInt64? {
        guard case .unsigned(let s) = value else {
            c.problems.add("seed", "expected an unsigned integer, found \(value.typeName)")
            return nil
        }
        return s
    }

    static func checkContacts(_ value: CBOR, _ c: inout FieldChecks) -> [CampaignSpec.Contacts]? {
        guard let m = c.fields(value, "contacts", known: contactKeys) else { return nil }
        if m.values.isEmpty {
            if value.pairs?.isEmpty == true { c.problems.add("contacts", "empty map; leave the key out for no contacts") }
            return nil
        }
        var out: [CampaignSpec.Contacts] = []
        var ok = true
        for (kind, v) in m.values {
            guard let addresses = c.identifierList(v, m.path(kind), max: maxContacts) else {
                ok = false
                continue
            }
            out.append(CampaignSpec.Contacts(kind: kind, addresses: addresses))
        }
        if m.values.count != (value.pairs?.count ?? 0) { return nil }
        return ok ? out.sorted { CanonicalCBOR.keyPrecedes($0.kind, $1.kind) } : nil
    }
}

/// An optional key: `.some(nil)` when absent, `.some(value)` when present and valid, nil
/// (a problem was added) when present and invalid.
func optional<T>(_ value: CBOR?, _ check: (CBOR) -> T?) -> T?? {
    guard let value else { return .some(nil) }
    guard let t = check(value) else { return nil }
    return .some(t)
}
