/// Writes the resolution document (docs/schemas/resolution.cddl) as targets arrive:
/// `{"scanned": n, "targets": [[vin, hw, from, serial / null], ...], "excluded": {...}}`,
/// deterministically encoded (keys sorted by their encoding, shortest integer heads).
public struct ResolutionEncoder: ResolutionSink {
    private var items = CBORWriter(capacity: 1 << 16)
    private var count = 0

    public init() {}

    public mutating func target(vin: UnsafeBufferPointer<UInt8>, hw: UnsafeBufferPointer<UInt8>,
                                from: UnsafeBufferPointer<UInt8>,
                                serial: UnsafeBufferPointer<UInt8>?) throws(OTAError) {
        items.arrayHeader(4)
        items.text(utf8: vin)
        items.text(utf8: hw)
        items.text(utf8: from)
        if let serial { items.text(utf8: serial) } else { items.null() }
        count += 1
    }

    /// The whole document. "excluded" lists only the reasons that excluded a vehicle.
    public func document(_ counts: ResolutionCounts) -> [UInt8] {
        let p = parts(counts)
        return joinedBytes([p.head, p.targets.bytes, p.tail])
    }

    /// The document in three pieces to be joined (head, targets, tail); the targets stay in
    /// their writer, so that a large result is copied once, into the caller's buffer.
    public func parts(_ counts: ResolutionCounts) -> (head: [UInt8], targets: CBORWriter, tail: [UInt8]) {
        var head = CBORWriter(capacity: 32)
        head.mapHeader(3)
        head.text("scanned")
        head.unsigned(UInt64(counts.scanned))
        head.text("targets")
        head.arrayHeader(count)
        var tail = CBORWriter(capacity: 160)
        tail.text("excluded")
        var reasons = ExclusionReason.all.filter { counts.excluded($0) > 0 }
        // Deterministic encoding orders keys by their encoded bytes: shorter names first.
        reasons.sort { a, b in
            let x = Array(a.name.utf8), y = Array(b.name.utf8)
            return x.count != y.count ? x.count < y.count : x.lexicographicallyPrecedes(y)
        }
        tail.mapHeader(reasons.count)
        for r in reasons {
            tail.text(r.name)
            tail.unsigned(UInt64(counts.excluded(r)))
        }
        return (head.bytes, items, tail.bytes)
    }
}
