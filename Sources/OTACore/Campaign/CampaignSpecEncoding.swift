/// The canonical CBOR of a campaign spec: deterministic encoding (definite lengths, shortest
/// heads, map keys in bytewise order), every defaulted key written out (so the stored spec
/// says what the campaign does), optional keys left out when absent. Percentages and
/// factors are written as integers when whole and as floats otherwise (12.5, 1.25), which
/// parse back to the same basis points. `CampaignSpecParser.parse(spec.canonical) == spec`.
extension CampaignSpec {
    public var canonical: [UInt8] {
        var m = CBORMapBuilder()
        m.text("name", name)
        m.text("category", category.rawValue)
        m.int("priority", priority)
        m.add("packages") { w in
            w.arrayHeader(packages.count)
            for p in packages { w.int(p) }
        }
        if let rule { m.value("rule", rule) }
        if !regions.isEmpty {
            m.map("regions") { r in
                for region in regions { r.add(region.name) { $0.textList(region.markets) } }
            }
        }
        m.bool("test", test)
        if let afterTest { m.int("after-test", afterTest) }
        m.text("urgency", urgency.rawValue)
        if let start { m.int("start", start) }
        m.int("end", end)
        m.array("waves") { a in
            for wave in waves { a.map { wave.write(to: &$0) } }
        }
        if let rate {
            m.map("rate") { r in
                r.int("per-minute", rate.perMinute)
                if let factor = rate.rampFactorHundredths, let every = rate.rampEvery {
                    r.map("ramp") { ramp in
                        ramp.add("factor") { $0.hundredths(factor) }
                        ramp.int("every", every)
                    }
                }
            }
        }
        if !windows.isEmpty {
            m.array("windows") { a in
                for window in windows { a.map { window.write(to: &$0) } }
            }
        }
        m.map("notify") { n in
            n.int("reminder", notify.reminder)
            n.int("max-deferrals", notify.maxDeferrals)
            n.bool("feedback-on-decline", notify.feedbackOnDecline)
            n.bool("mandatory-after-deferrals", notify.mandatoryAfterDeferrals)
        }
        m.map("timeouts") { t in
            t.int("answer", timeouts.answer)
            t.int("install", timeouts.install)
        }
        m.map("retry") { r in
            r.int("max", retry.max)
            r.int("backoff", retry.backoff)
            r.add("factor") { $0.hundredths(retry.factorHundredths) }
            if !retry.reasons.isEmpty { r.add("reasons") { $0.textList(retry.reasons.map { $0.rawValue }) } }
        }
        if let seed { m.unsigned("seed", seed) }
        if !contacts.isEmpty {
            m.map("contacts") { c in
                for contact in contacts { c.add(contact.kind) { $0.textList(contact.addresses) } }
            }
        }
        return m.encoded
    }
}

extension CampaignSpec.Wave {
    func write(to m: inout CBORMapBuilder) {
        switch size {
        case .share(let bp): m.add("share") { $0.hundredths(bp) }
        case .count(let n): m.int("count", n)
        case nil: break
        }
        m.add("success-gate") { $0.hundredths(successGate) }
        m.add("failure-threshold") { $0.hundredths(failureThreshold) }
        m.int("min-final", minFinal)
        m.int("soak", soak)
        m.text("advance", advance.rawValue)
    }
}

extension CampaignSpec.Window {
    func write(to m: inout CBORMapBuilder) {
        if let regions { m.add("regions") { $0.textList(regions) } }
        m.add("days") { w in
            w.arrayHeader(days.count)
            for d in days { w.int(Int64(d)) }
        }
        m.int("start", startMinute)
        m.int("minutes", minutes)
        m.int("utc-offset", utcOffsetMinutes)
    }
}

extension CBORWriter {
    /// A value kept in hundredths: an integer when whole, else the nearest double (which
    /// `FieldChecks.hundredths` reads back to the same hundredths).
    public mutating func hundredths(_ n: Int) {
        if n % 100 == 0 {
            int(Int64(n / 100))
        } else {
            value(.float(Double(n) / 100))
        }
    }
}
