import Testing
import CByteClass
@testable import OTACore

/// The check-only ECU path (ECUSkip.swift) classifies sixteen bytes at once and knows the
/// table's size; whatever the bytes and the size, it must accept and reject what the
/// general reader does.
@Suite("Snapshot walk: the check-only ECU path")
struct ECUSkipTests {
    typealias F = Fixture

    /// Every byte value at every position, among random neighbours, for every class.
    @Test func bytesAreClassifiedExactly() {
        var rng = SplitMix(seed: 3)
        for position in 0..<16 {
            for value in 0..<256 {
                var bytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                bytes[position] = UInt8(value)
                func expected(_ test: (UInt8) -> Bool) -> UInt16 {
                    var m: UInt16 = 0
                    for (i, b) in bytes.enumerated() where test(b) { m |= 1 << UInt16(i) }
                    return m
                }
                for (limit, count) in [(0, 0), (1, 1), (23, 23), (24, 24), (24, 127), (24, 128), (24, 129), (24, 208), (24, 255), (24, 256)] {
                    let c = ota_classify16(bytes, UInt8(limit), UInt8(min(count, 255)), count < 256 ? 0xffff : 0)
                    #expect(c.two_byte == expected { $0 == 0x18 } && c.null == expected { $0 == 0xf6 }, "\(bytes)")
                    #expect(c.index == expected { Int($0) < limit }, "below \(limit): \(bytes)")
                    #expect(c.too_big == expected { Int($0) >= count }, "at least \(count): \(bytes)")
                }
            }
        }
    }

    /// `FieldTable.steps` against a field-by-field walk of the same mask.
    @Test func stepsFollowTheTwoByteHeads() {
        let table = FieldTable()
        for mask in 0..<256 {
            var at = 0
            var starts: UInt8 = 0
            for k in 1...4 {
                starts |= 1 << UInt8(at)
                at += mask >> at & 1 == 1 ? 2 : 1
                #expect(FieldTable.end(table.steps[mask], fields: k) == at)
                #expect(FieldTable.starts(table.steps[mask], fields: k) == starts)
            }
        }
    }

    /// Random valid fleets over tables of every size class, each ECU a random mix of one-
    /// and two-byte indices, nulls, ASCII and non-ASCII text; then a few random bytes
    /// changed: an excluded vehicle (checked only) and a read one are valid or not alike.
    @Test(arguments: [0, 5, 23, 24, 30, 127, 128, 129, 208, 255, 256, 300])
    func randomECUsAgree(tableSize: Int) throws {
        var rng = SplitMix(seed: UInt64(tableSize) &+ 11)
        let table = (0..<tableSize).map { "s\($0)" }
        func field(_ nullable: Bool) -> CBOR {
            let kind = rng.next() % 10
            if kind < 4 && tableSize > 0 { return .unsigned(rng.next() % UInt64(min(tableSize, 24))) }
            if kind < 7 && tableSize > 0 { return .unsigned(rng.next() % UInt64(tableSize)) }
            if kind == 7 && nullable { return .null }
            if kind == 8 { return F.t("KPH61P034RK") }
            if kind == 9 { return F.t(rng.next() % 2 == 0 ? "h\u{e9}" : "") }
            return F.t("IVI")
        }
        func ecu() -> CBOR {
            let n = 3 + Int(rng.next() % 3)
            return .array((0..<n).map { field($0 >= 3) })
        }
        let vins = [F.vin1, F.vin2, F.vin3]
        let vehicles = (0..<12).map { i in F.vehicle(vins[i % 3], ecus: (0..<13).map { _ in ecu() }) }
        let document = F.snapshot(vehicles, table: tableSize == 0 ? nil : table)
        let skipping = try F.rule([("ecu", F.t("IVI")), ("models", F.list("none"))])
        let reading = TargetRule(ecu: "IVI")
        func resolved(_ bytes: [UInt8], _ rule: TargetRule) -> OTAError? {
            failure { () throws(OTAError) in try F.resolve(bytes, rule) }
        }
        let changes: [UInt8] = [0x00, 0x17, 0x18, 0x19, 0x60, 0x6b, 0x83, 0x85, 0xc3, 0xcf, 0xd0, 0xf6, 0xff]
        for round in 0..<400 {
            var bytes = document
            if round > 0 {
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let i = 40 + Int(rng.next() % UInt64(bytes.count - 40))
                    bytes[i] = rng.next() % 2 == 0 ? changes[Int(rng.next() % UInt64(changes.count))] : UInt8(truncatingIfNeeded: rng.next())
                }
            }
            let a = resolved(bytes, skipping), b = resolved(bytes, reading)
            #expect(a == b, "table \(tableSize), round \(round): \(String(describing: a)) vs \(String(describing: b))")
        }
    }
}
