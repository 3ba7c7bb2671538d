import Testing
import OTACore
@testable import OTAStore

/// The rate limit, its ramp and the maintenance windows (design/campaigns.md §4 rule 7).
@Suite struct CampaignRateWindowTests {
    let day: Int64 = 86_400
    let t = RunWorld.monday

    @Test func ratePerMinuteOfNowInFrozenOrder() throws {
        let w = try RunWorld(vehicles: 7)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.rate = CampaignSpec.Rate(perMinute: 3)
        let id = try w.campaign(spec, sizes: [7])
        try w.start(id, at: t)
        let r1 = try w.step(id, at: t + 10)
        #expect(r1.int("notified") == 3)
        #expect(r1.int("next-due") == t + 60)
        #expect(try w.states(id).prefix(4) == ["notified", "notified", "notified", "queued"])
        // the same minute: the budget is spent
        #expect(try w.step(id, at: t + 59).int("notified") == 0)
        #expect(try w.step(id, at: t + 60).int("notified") == 3)
        let last = try w.step(id, at: t + 120)
        #expect(last.int("notified") == 1)
        #expect(last.int("next-due") == t + 10 + 3600)  // the first answer timeout: nothing is queued
    }

    @Test func rampMultipliesTheRateAfterEverySuccesses() throws {
        let w = try RunWorld(vehicles: 12)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        var rate = CampaignSpec.Rate(perMinute: 2)
        rate.rampFactorHundredths = 200
        rate.rampEvery = 2
        spec.rate = rate
        let id = try w.campaign(spec, sizes: [12])
        try w.start(id, at: t)
        #expect(try w.step(id, at: t).int("notified") == 2)
        try w.answer(id, ord: 0, .succeed, at: t + 30)
        try w.answer(id, ord: 1, .succeed, at: t + 30)
        // two successes: 4 a minute
        #expect(try w.step(id, at: t + 60).int("notified") == 4)
        for ord in 2...5 { try w.answer(id, ord: Int64(ord), .succeed, at: t + 90) }
        // six successes: three doublings, 16 a minute (6 left)
        #expect(try w.step(id, at: t + 120).int("notified") == 6)
    }

    @Test func rateLimitArithmetic() {
        var rate = CampaignSpec.Rate(perMinute: 1)
        rate.rampFactorHundredths = 110
        rate.rampEvery = 1
        #expect(RateLimit.perMinute(rate, successes: 0) == 1)
        #expect(RateLimit.perMinute(rate, successes: 1) == 2)     // rounded up: a rate of 1 still grows
        #expect(RateLimit.perMinute(rate, successes: 1_000_000) == RateLimit.maxPerMinute)
        #expect(RateLimit.minute(of: -1) == -1)
        #expect(RateLimit.nextMinute(after: 125) == 180)
        #expect(RateLimit.nextMinute(after: -1) == 0)
        #expect(RateLimit.nextMinute(after: Int64.max) == Int64.max)
        #expect(RateLimit.nextMinute(after: Int64.min) == Int64.min)
        #expect(RateLimit.budget(rate, successes: 0, now: 125, storedMinute: 2, storedUsed: 1).left == 0)
        #expect(RateLimit.budget(rate, successes: 0, now: 185, storedMinute: 2, storedUsed: 1).left == 1)
        #expect(RateLimit.budget(nil, successes: 0, now: 0, storedMinute: 0, storedUsed: 5).left == Int.max)
    }

    /// A step at a `now` in an earlier minute than the last one that notified sends nothing
    /// and leaves the later minute's count alone: no minute gets more than its budget.
    @Test func aClockSteppedBackGetsNoFreshBudget() throws {
        let w = try RunWorld(vehicles: 300)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.rate = CampaignSpec.Rate(perMinute: 100)
        let id = try w.campaign(spec, sizes: [300])
        try w.start(id, at: t)
        #expect(try w.step(id, at: t + 125).int("notified") == 100)
        #expect(try w.step(id, at: t + 119).int("notified") == 0)
        #expect(try w.step(id, at: t + 126).int("notified") == 0)
        #expect(try w.step(id, at: t + 180).int("notified") == 100)
        // (here the step at t + 119 is also before next-due; the budget rule itself holds
        // when something else makes the campaign due in the earlier minute)
        let back = RateLimit.budget(CampaignSpec.Rate(perMinute: 100), successes: 0, now: 119, storedMinute: 2, storedUsed: 100)
        #expect(back.minute == 2 && back.used == 100 && back.left == 0)
    }

    /// ceil(per-minute × factor^ramps), rounded once: the exact values, not a compounded
    /// round-up (10 × 1.1^10 is 26, 1 × 1.5^10 is 58).
    @Test func rampRoundsUpOnceNotPerRamp() {
        func rates(_ perMinute: Int, factor: Int, ramps: Int) -> [Int] {
            var rate = CampaignSpec.Rate(perMinute: perMinute)
            rate.rampFactorHundredths = factor
            rate.rampEvery = 100
            return (0...ramps).map { RateLimit.perMinute(rate, successes: Int64($0) * 100 + 99) }
        }
        #expect(rates(10, factor: 110, ramps: 20) == [10, 11, 13, 14, 15, 17, 18, 20, 22, 24, 26, 29, 32, 35, 38, 42, 46, 51, 56, 62, 68])
        #expect(rates(1, factor: 150, ramps: 15) == [1, 2, 3, 4, 6, 8, 12, 18, 26, 39, 58, 87, 130, 195, 292, 438])
        #expect(rates(1, factor: 110, ramps: 11) == [1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3])
        // capped at the maximum, whatever the number of ramps
        #expect(rates(99_999, factor: 500, ramps: 2) == [99_999, RateLimit.maxPerMinute, RateLimit.maxPerMinute])
        var one = CampaignSpec.Rate(perMinute: 1)
        one.rampFactorHundredths = 500
        one.rampEvery = 1
        #expect(RateLimit.perMinute(one, successes: Int64.max) == RateLimit.maxPerMinute)
    }

    /// Tuesdays 02:00-04:00 at UTC+1, i.e. Tuesday 01:00-03:00 UTC.
    var tuesdayWindow: CampaignSpec.Window {
        var win = CampaignSpec.Window(days: [1], startMinute: 120, minutes: 120)
        win.utcOffsetMinutes = 60
        return win
    }

    @Test func windowOnTuesdaysNotifiesNoOneAtOtherTimes() throws {
        let w = try RunWorld(vehicles: 3)
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.windows = [tuesdayWindow]
        let id = try w.campaign(spec, sizes: [3])
        try w.start(id, at: t)
        let tuesdayOpen = t + day + 3600   // Tue 01:00 UTC = 02:00 local
        // every hour from Monday 00:00 to just before the window: no one
        var now = t
        while now < tuesdayOpen {
            let r = try w.step(id, at: now)
            #expect(r.int("notified") == 0)
            #expect(r.int("next-due") == tuesdayOpen)
            now += 3600
        }
        #expect(try w.count(id, .queued) == 3)
        let r = try w.step(id, at: tuesdayOpen)
        #expect(r.int("notified") == 3)
        // closed again at 03:00 UTC (04:00 local): the next week
        #expect(MaintenanceWindows.isOpen(tuesdayWindow, at: tuesdayOpen + 7199))
        #expect(!MaintenanceWindows.isOpen(tuesdayWindow, at: tuesdayOpen + 7200))
        #expect(MaintenanceWindows.nextOpening([tuesdayWindow], after: tuesdayOpen) == tuesdayOpen + 7 * day)
    }

    @Test func windowArithmetic() {
        // 1970-01-01 was a Thursday (3); 2024-01-01 a Monday (0)
        #expect(MaintenanceWindows.weekday(0) == 3)
        #expect(MaintenanceWindows.weekday(RunWorld.monday / day) == 0)
        // a slot from Sunday 23:00 for 3 hours runs into Monday
        let late = CampaignSpec.Window(days: [6], startMinute: 23 * 60, minutes: 180)
        #expect(MaintenanceWindows.isOpen(late, at: t + 3600))
        #expect(!MaintenanceWindows.isOpen(late, at: t + 2 * 3600))
        #expect(MaintenanceWindows.nextOpening(late, after: t) == t + 6 * day + 23 * 3600)
        // a negative offset moves local time back: Monday 00:30 UTC is Sunday 23:30 at UTC-1
        var west = CampaignSpec.Window(days: [6], startMinute: 23 * 60, minutes: 60)
        west.utcOffsetMinutes = -60
        #expect(MaintenanceWindows.isOpen(west, at: t + 1800))
        #expect(!MaintenanceWindows.isOpen(west, at: t + 3600 + 1800))
        #expect(!MaintenanceWindows.isOpen(west, at: Int64.max))
        #expect(MaintenanceWindows.nextOpening(west, after: Int64.max) == nil)
    }

    @Test func windowsPerRegion() throws {
        let w = try RunWorld(vehicles: 4, markets: ["DE", "US"])
        var spec = RunWorld.spec(waves: [RunWorld.wave(nil)])
        spec.regions = [CampaignSpec.Region(name: "EU", markets: ["DE"]), CampaignSpec.Region(name: "NA", markets: ["US"])]
        var eu = tuesdayWindow
        eu.regions = ["EU"]
        var na = CampaignSpec.Window(days: [0], startMinute: 0, minutes: 60)
        na.regions = ["NA"]
        spec.windows = [eu, na]
        let id = try w.campaign(spec, sizes: [4])
        try w.start(id, at: t)
        let r = try w.step(id, at: t + 60)
        #expect(r.int("notified") == 2)
        let markets = try w.db.prepare("SELECT market FROM targets WHERE campaign_id = ? AND state = 'notified' ORDER BY ord")
            .bind(1, id).rows { $0.text(0) ?? "" }
        #expect(markets == ["US", "US"])
        // the notified ones' answer timeout comes first; without them, the EU window
        #expect(r.int("next-due") == t + 60 + 3600)
        for ord in 0...3 where try w.target(id, ord: Int64(ord)).status.state == .notified {
            try w.answer(id, ord: Int64(ord), .succeed, at: t + 120)
        }
        #expect(try w.step(id, at: t + 120).int("next-due") == t + day + 3600)
    }
}
