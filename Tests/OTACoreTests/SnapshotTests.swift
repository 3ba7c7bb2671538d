import Testing
@testable import OTACore

@Suite("Snapshot.forEachVehicle: the import's view of a snapshot")
struct SnapshotTests {
    typealias F = Fixture

    func vehicles(_ bytes: [UInt8]) throws(OTAError) -> ([SnapshotVehicle], SnapshotHeader) {
        var out: [SnapshotVehicle] = []
        let header = try Snapshot.forEachVehicle(bytes) { (v) throws(OTAError) in out.append(v) }
        return (out, header)
    }

    @Test func vehiclesAreDecodedWithTheirStringsResolved() throws {
        let table = ["Aster", "GW", "5Q0 907", "CAL-1", "trim"]
        let v1: CBOR = .array([F.t(F.vin1), .unsigned(0), F.t("suv"), F.t("hybrid"), F.t("US"), .unsigned(42),
                               .array([.array([.unsigned(1), .unsigned(2), F.t("1.2"), .unsigned(3), F.t("SN1")]),
                                       .array([F.t("DCM"), F.t("D"), F.t("2"), .null])]),
                               F.t("EA1"), .null,
                               .map([CBORPair(.unsigned(4), F.t("sport")), CBORPair(F.t("kwh"), .negative(0)),
                                     CBORPair(F.t("tow"), .bool(false))]),
                               F.t("a later field")])
        let v2 = F.vehicle(F.vin2, ecus: [])
        let (vs, header) = try vehicles(F.snapshot([v1, v2], table: table))
        #expect(header == SnapshotHeader(formatVersion: 1, taken: Int64(F.taken), table: table))
        #expect(vs == [
            SnapshotVehicle(index: 0, vin: F.vin1, model: "Aster", variant: "suv", powertrain: "hybrid", market: "US",
                            produced: 42,
                            ecus: [SnapshotECU(node: "GW", hw: "5Q0 907", sw: "1.2", calibration: "CAL-1", serial: "SN1"),
                                   SnapshotECU(node: "DCM", hw: "D", sw: "2")],
                            engineNo: "EA1", chassisNo: nil,
                            attributes: [SnapshotAttribute("trim", .text("sport")), SnapshotAttribute("kwh", .int(-1)),
                                         SnapshotAttribute("tow", .bool(false))]),
            SnapshotVehicle(index: 1, vin: F.vin2, model: "Aster", variant: "sedan", powertrain: "petrol", market: "DE",
                            produced: 1_700_000_000, ecus: [], engineNo: nil, chassisNo: nil),
        ])
    }

    @Test func chunkedStringsAreJoined() throws {
        // the VIN and a model in chunks: (_ "WLXEMFHX0", "TS598491"), (_ "Ast", "er")
        var vin: [UInt8] = [0x7f, 0x69] + Array("WLXEMFHX0".utf8) + [0x68] + Array("TS598491".utf8) + [0xff]
        vin += [0x7f, 0x63] + Array("Ast".utf8) + [0x62] + Array("er".utf8) + [0xff]
        var w = CBORWriter()
        for s in ["sedan", "petrol", "DE"] { w.text(s) }
        w.unsigned(7)
        w.arrayHeader(0)
        let doc: [UInt8] = [0xa3, 0x00, 0x01, 0x01, 0x00, 0x03, 0x81, 0x87] + vin + w.bytes
        let (vs, _) = try vehicles(doc)
        #expect(vs.map(\.vin) == [F.vin1] && vs.map(\.model) == ["Aster"])
    }

    @Test func theBodysErrorStopsTheWalk() {
        let doc = F.snapshot([F.vehicle(F.vin1, ecus: []), F.vehicle(F.vin2, ecus: []), F.vehicle(F.vin3, ecus: [])])
        var seen = 0
        let e = failure { () throws(OTAError) in
            try Snapshot.forEachVehicle(doc) { (v) throws(OTAError) in
                seen += 1
                if v.index == 1 { throw OTAError(.conflict, "stop at 1") }
            }
        }
        #expect(e == OTAError(.conflict, "stop at 1") && seen == 2)
    }

    @Test func valuesOutsideInt64AreErrors() {
        let late = F.snapshot([F.vehicle(F.vin1, produced: UInt64.max, ecus: [])])
        #expect(failure { () throws(OTAError) in try vehicles(late) }?.message
                == "snapshot: vehicle 0 (byte 11): produced: 18446744073709551615 is past the largest supported time")
        let huge = F.snapshot([F.vehicle(F.vin1, ecus: [], attributes: [CBORPair(F.t("n"), .negative(UInt64.max))])])
        #expect(failure { () throws(OTAError) in try vehicles(huge) }?.message.contains(
            "attributes: the value of \"n\" is outside the 64-bit signed range") == true)
    }

    @Test func theResolverAndTheDecoderAgreeOnValidity() throws {
        // the same walk: an error for one is the same error for the other
        let bad = F.snapshot([F.vehicle(F.vin1, ecus: [.array([F.t("GW"), F.t("G")])])])
        let e1 = failure { () throws(OTAError) in try vehicles(bad) }
        let e2 = failure { () throws(OTAError) in try F.resolve(bad, TargetRule(ecu: "GW")) }
        #expect(e1 != nil && e1 == e2)
    }
}
