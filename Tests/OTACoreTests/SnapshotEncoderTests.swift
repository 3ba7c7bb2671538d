import Testing
@testable import OTACore

@Suite("Snapshot encoder")
struct SnapshotEncoderTests {
    static var vehicles: [SnapshotVehicle] { [
        SnapshotVehicle(index: 0, vin: "WLXAS0K0M0A012345", model: "Aster", variant: "sedan", powertrain: "petrol",
                        market: "DE", produced: 1_600_000_000,
                        ecus: [SnapshotECU(node: "BCM", hw: "HW-1", sw: "1.0"),
                               SnapshotECU(node: "ECM", hw: "HW-2", sw: "2.0", calibration: "CAL-1"),
                               SnapshotECU(node: "DCM", hw: "HW-3", sw: "1.0", serial: "S1")],
                        engineNo: "EA1234", chassisNo: nil,
                        attributes: [SnapshotAttribute("trim", .text("sport")), SnapshotAttribute("kwh", .int(77)),
                                     SnapshotAttribute("tow", .bool(true))]),
        SnapshotVehicle(index: 1, vin: "WLXAS0K0M0A012346", model: "Aster", variant: "estate", powertrain: "petrol",
                        market: "FR", produced: 1_600_000_100,
                        ecus: [SnapshotECU(node: "BCM", hw: "HW-1", sw: "1.1")]),
    ] }

    @Test("layout: ascending keys, table in order of first use, optional fields cut")
    func layout() throws {
        var e = SnapshotEncoder(taken: 1_780_000_000)
        for v in SnapshotEncoderTests.vehicles { e.add(v) }
        let doc = try CBORReader.decode(e.finish())
        guard let pairs = doc.pairs else { Issue.record("not a map"); return }
        #expect(pairs.map(\.key) == [.unsigned(0), .unsigned(1), .unsigned(2), .unsigned(3)])
        #expect(doc[0] == .unsigned(1))
        #expect(doc[1] == .unsigned(1_780_000_000))
        let table = doc[2]?.array?.compactMap(\.text) ?? []
        #expect(table == ["Aster", "sedan", "petrol", "DE", "BCM", "HW-1", "1.0", "ECM", "HW-2", "2.0", "CAL-1",
                          "DCM", "HW-3", "trim", "kwh", "tow", "estate", "FR", "1.1"])
        let first = doc[3]?.array?[0].array ?? []
        #expect(first.count == 10)
        #expect(first[0] == .text("WLXAS0K0M0A012345"))
        #expect(first[1] == .unsigned(0))
        #expect(first[6].array?.map { $0.array?.count ?? 0 } == [3, 4, 5])
        #expect(first[6].array?[2].array?[3] == .null)     // no calibration, but a serial
        #expect(first[6].array?[2].array?[4] == .text("S1"))  // serials stay inline
        #expect(first[7] == .text("EA1234"))
        #expect(first[8] == .null)
        // Attribute keys through the table, in index order; values never indices.
        #expect(first[9] == .map([CBORPair(.unsigned(13), .text("sport")), CBORPair(.unsigned(14), .unsigned(77)),
                                  CBORPair(.unsigned(15), .bool(true))]))
        let second = doc[3]?.array?[1].array ?? []
        #expect(second.count == 7)
    }

    @Test("same vehicles, same bytes; header and vehicles join to the whole")
    func deterministic() {
        var a = SnapshotEncoder(taken: 5), b = SnapshotEncoder(taken: 5)
        for v in SnapshotEncoderTests.vehicles { a.add(v); b.add(v) }
        #expect(a.finish() == b.finish())
        #expect(a.header() + a.vehicles.bytes == a.finish())
        #expect(SnapshotEncoder(taken: 0).finish() == [0xa4, 0x00, 0x01, 0x01, 0x00, 0x02, 0x80, 0x03, 0x80])
    }
}
