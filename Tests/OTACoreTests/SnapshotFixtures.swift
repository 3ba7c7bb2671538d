@testable import OTACore

/// Snapshots for tests, written with the library's own CBORWriter from `CBOR` values.
enum Fixture {
    static let taken: UInt64 = 1_780_272_000
    static let vin1 = "WLXEMFHX0TS598491"
    static let vin2 = "1LXBRFHX0TS598492"
    static let vin3 = "LLXCRFHX0TS598493"

    static func t(_ s: String) -> CBOR { .text(s) }

    static func ecu(_ node: String, _ hw: String, _ sw: String, calibration: CBOR? = nil,
                    serial: CBOR? = nil) -> CBOR {
        var f: [CBOR] = [t(node), t(hw), t(sw)]
        if let calibration { f.append(calibration) }
        if let serial {
            if calibration == nil { f.append(.null) }
            f.append(serial)
        }
        return .array(f)
    }

    static func vehicle(_ vin: String, model: String = "Aster", variant: String = "sedan",
                        powertrain: String = "petrol", market: String = "DE", produced: UInt64 = 1_700_000_000,
                        ecus: [CBOR], attributes: [CBORPair]? = nil, extra: [CBOR] = []) -> CBOR {
        var f: [CBOR] = [t(vin), t(model), t(variant), t(powertrain), t(market), .unsigned(produced), .array(ecus)]
        if let attributes { f += [.null, .null, .map(attributes)] }
        return .array(f + extra)
    }

    static func snapshot(_ vehicles: [CBOR], table: [String]? = nil, version: UInt64 = 1) -> [UInt8] {
        var pairs = [CBORPair(.unsigned(0), .unsigned(version)), CBORPair(.unsigned(1), .unsigned(taken))]
        if let table { pairs.append(CBORPair(.unsigned(2), .array(table.map { .text($0) }))) }
        pairs.append(CBORPair(.unsigned(3), .array(vehicles)))
        var w = CBORWriter()
        w.value(.map(pairs))
        return w.bytes
    }

    static func rule(_ pairs: [(String, CBOR)]) throws(OTAError) -> TargetRule {
        try TargetRule(.map(pairs.map { CBORPair(.text($0.0), $0.1) }))
    }

    static func list(_ items: String...) -> CBOR { .array(items.map { .text($0) }) }

    static func resolve(_ snapshot: [UInt8], _ rule: TargetRule) throws(OTAError) -> (targets: [ResolvedTarget], counts: ResolutionCounts) {
        try withBuffer(snapshot) { (raw) throws(OTAError) in try Resolver.targets(snapshot: raw, rule: rule) }
    }

    static func document(_ snapshot: [UInt8], _ rule: TargetRule) throws(OTAError) -> [UInt8] {
        try withBuffer(snapshot) { (raw) throws(OTAError) in try Resolver.document(snapshot: raw, rule: rule) }
    }
}

/// The error a call throws, or nil.
func failure<T>(_ body: () throws(OTAError) -> T) -> OTAError? {
    do throws(OTAError) {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
