import Testing
import OTACore

/// What one vehicle may hold to be imported (`SnapshotLimits`): a small snapshot cannot make
/// the import decode gigabytes (a string-table entry is copied for every field that names it)
/// or do quadratic work per vehicle.
@Suite struct SnapshotLimitsTests {
    func vehicle(ecus: [SnapshotECU], attributes: [SnapshotAttribute] = []) -> SnapshotVehicle {
        SnapshotVehicle(index: 0, vin: "WLXAS0K0M0A012345", model: "Aster", variant: "sedan", powertrain: "petrol",
                        market: "DE", produced: 1_600_000_000, ecus: ecus, attributes: attributes)
    }

    /// The vehicles `Snapshot.forEachVehicle` decodes from the encoding of `v`, or its error.
    func decode(_ v: SnapshotVehicle) -> Result<Int, OTAError> {
        var e = SnapshotEncoder(taken: 1_780_000_000)
        e.add(v)
        var ecus = 0
        do throws(OTAError) {
            _ = try Snapshot.forEachVehicle(e.finish()) { ecus += $0.ecus.count }
            return .success(ecus)
        } catch {
            return .failure(error)
        }
    }

    func message(_ r: Result<Int, OTAError>) -> String {
        if case .failure(let e) = r { return e.message }
        return "decoded"
    }

    @Test func aVehicleHasAtMost1024ECUs() throws {
        let ecu = SnapshotECU(node: "DCM", hw: "DCM-A", sw: "1.0")
        #expect(try decode(vehicle(ecus: Array(repeating: ecu, count: 1024))).get() == 1024)
        #expect(message(decode(vehicle(ecus: Array(repeating: ecu, count: 1025)))).contains("ecus: more than 1024 in one vehicle"))
    }

    @Test func aVehicleHasAtMost1024Attributes() {
        let ecu = SnapshotECU(node: "BCM", hw: "BCM-A", sw: "1.0")
        let many = (0..<1025).map { SnapshotAttribute("a\($0)", .int(Int64($0))) }
        #expect((try? decode(vehicle(ecus: [ecu], attributes: Array(many.prefix(1024)))).get()) == 1)
        #expect(message(decode(vehicle(ecus: [ecu], attributes: many))).contains("attributes: more than 1024 in one vehicle"))
    }

    @Test func aSharedTableStringCountsEachTimeItIsDecoded() {
        let big = String(repeating: "h", count: 600_000)   // in the string table once
        let once = vehicle(ecus: [SnapshotECU(node: "BCM", hw: big, sw: "1.0")])
        #expect((try? decode(once).get()) == 1)
        let twice = vehicle(ecus: [SnapshotECU(node: "BCM", hw: big, sw: "1.0"), SnapshotECU(node: "ECM", hw: big, sw: "1.0")])
        #expect(message(decode(twice)).contains("text fields take more than 1048576 bytes"))
    }

    @Test func aLastWaveWithAShareDoesNotSilentlyTakeTheRest() throws {
        func wave(_ size: (String, CBOR)?) -> CBOR {
            var pairs = [CBORPair(.text("success-gate"), .unsigned(90)), CBORPair(.text("failure-threshold"), .unsigned(5))]
            if let size { pairs.append(CBORPair(.text(size.0), size.1)) }
            return .map(pairs)
        }
        let mixed = try CampaignSpecParser.parse(encode(specCBOR([("waves", .array([wave(("count", .unsigned(10))), wave(("share", .unsigned(30)))]))])))
        let m = CampaignSpecChecks.waveSizes(mixed, targets: 1000)
        #expect(m.problems == ["waves: the waves take 310 of the 1000 targets; leave share and count out of the last wave to give it the rest"])
        // shares that add up to 100 leave only what rounding down leaves: the last wave takes it
        let thirds = try CampaignSpecParser.parse(encode(specCBOR([("waves", .array([wave(("share", .unsigned(33))), wave(("share", .unsigned(33))), wave(("share", .unsigned(34)))]))])))
        let t = CampaignSpecChecks.waveSizes(thirds, targets: 10)
        #expect(t.sizes == [3, 3, 4] && t.problems.isEmpty)
    }
}
