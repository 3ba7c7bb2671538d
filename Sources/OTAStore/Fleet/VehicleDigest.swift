import OTACore

/// A running SHA-256 over the vehicles a pass of the import read, so that the write pass can
/// prove it wrote what the check pass checked (the caller's snapshot bytes are borrowed, and
/// could change between the passes). Each vehicle is fed as one CBOR array of its decoded
/// fields: self-delimiting, so no two different vehicle lists feed the same bytes.
struct VehicleDigest {
    private var hash = SHA256()

    mutating func add(_ v: SnapshotVehicle) {
        var w = CBORWriter(capacity: 512)
        w.arrayHeader(10)
        w.text(v.vin); w.text(v.model); w.text(v.variant); w.text(v.powertrain); w.text(v.market)
        w.int(v.produced)
        w.arrayHeader(v.ecus.count)
        for e in v.ecus {
            w.arrayHeader(5)
            w.text(e.node); w.text(e.hw); w.text(e.sw); w.optionalText(e.calibration); w.optionalText(e.serial)
        }
        w.optionalText(v.engineNo); w.optionalText(v.chassisNo)
        w.arrayHeader(2 * v.attributes.count)
        for a in v.attributes {
            w.text(a.key)
            a.value.write(to: &w)
        }
        w.withBytes { hash.update(UnsafeRawBufferPointer($0)) }
    }

    mutating func finish() -> [UInt8] { hash.finalize() }
}
