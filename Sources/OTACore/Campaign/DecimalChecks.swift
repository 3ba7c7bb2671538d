/// Numbers with at most two decimals (percentages, ramp and backoff factors), read as
/// hundredths so that nothing afterwards compares floats: 12.5 % is 1250 basis points, a
/// factor of 1.5 is 150. Integers and floats are both accepted; a float counts as the
/// two-decimal value nearest to it when it lies within 1e-6 of it, so a float32 or float64
/// encoding of 0.1 is 0.10, while 0.125 has three decimals and is refused.
extension FieldChecks {
    /// The value in hundredths, within `min...max` (both in hundredths), or nil after a problem.
    public mutating func hundredths(_ value: CBOR, _ path: String, min: Int, max: Int,
                                    what: String) -> Int? {
        let n: Int
        switch value {
        case .unsigned(let u):
            guard u <= UInt64(max / 100 + 1) else {
                problems.add(path, "\(u) is more than \(Self.decimal(max))\(what)")
                return nil
            }
            n = Int(u) * 100
        case .negative(let u):
            problems.add(path, "-\(u &+ 1) is less than \(Self.decimal(min))\(what)")
            return nil
        case .float(let d):
            guard d.isFinite else {
                problems.add(path, "expected a number with at most two decimals, found \(d.isNaN ? "NaN" : "an infinity")")
                return nil
            }
            // Outside the range by far: say so without converting an unbounded value to Int.
            guard d >= Double(min) / 100 - 1, d <= Double(max) / 100 + 1 else {
                problems.add(path, "\(d) is outside \(Self.decimal(min))-\(Self.decimal(max))\(what)")
                return nil
            }
            let k = (d * 100).rounded()
            guard (d * 100 - k).magnitude <= 1e-4 else {
                problems.add(path, "\(d) has more than two decimals")
                return nil
            }
            n = Int(k)
        default:
            problems.add(path, "expected a number, found \(value.typeName)")
            return nil
        }
        guard n >= min, n <= max else {
            problems.add(path, "\(Self.decimal(n)) is outside \(Self.decimal(min))-\(Self.decimal(max))\(what)")
            return nil
        }
        return n
    }

    /// A percentage 0-100 with at most two decimals, in basis points (0...10,000).
    public mutating func percent(_ value: CBOR, _ path: String) -> Int? {
        hundredths(value, path, min: 0, max: 10_000, what: " %")
    }

    /// An integer within `min...max` (negative values allowed when `min` is).
    public mutating func integer(_ value: CBOR, _ path: String, min: Int64, max: Int64) -> Int64? {
        guard let n = value.int64 else {
            switch value {
            case .unsigned(let u): problems.add(path, "\(u) is more than \(max)")
            case .negative: problems.add(path, "the integer is less than \(min)")
            default: problems.add(path, "expected an integer, found \(value.typeName)")
            }
            return nil
        }
        guard n >= min, n <= max else {
            problems.add(path, "\(n) is outside \(min)-\(max)")
            return nil
        }
        return n
    }

    public mutating func boolean(_ value: CBOR, _ path: String) -> Bool? {
        guard case .bool(let b) = value else {
            problems.add(path, "expected a bool, found \(value.typeName)")
            return nil
        }
        return b
    }

    /// A point in time: Unix seconds as an unsigned integer, or tagged as an epoch time (tag 1),
    /// at most the end of 9999 (`UnixTime.range`).
    public mutating func time(_ value: CBOR, _ path: String) -> Int64? {
        if case .tagged(1, let inner) = value { return time(inner, path) }
        guard let t = count(value, path) else { return nil }
        guard t <= UnixTime.range.upperBound else {
            problems.add(path, "\(t) is after the end of 9999 (at most \(UnixTime.range.upperBound))")
            return nil
        }
        return t
    }

    /// Hundredths as text: 1250 -> "12.5", 100 -> "1", 5 -> "0.05".
    public static func decimal(_ hundredths: Int) -> String {
        let sign = hundredths < 0 ? "-" : ""
        let m = hundredths.magnitude
        let whole = m / 100, frac = m % 100
        if frac == 0 { return sign + String(whole) }
        if frac % 10 == 0 { return sign + String(whole) + "." + String(frac / 10) }
        return sign + String(whole) + "." + (frac < 10 ? "0" : "") + String(frac)
    }
}
