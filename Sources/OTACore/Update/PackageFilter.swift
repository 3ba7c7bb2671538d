/// Which packages `ota_package_list` returns (docs/schemas/package.cddl, package-filter):
/// a CBOR map with the optional keys "ecu", "state" and "model"; an absent key does not filter.
public struct PackageFilter: Equatable {
    public var ecu: String?
    public var state: PackageState?
    /// Packages whose "models" list contains it.
    public var model: String?

    public init(ecu: String? = nil, state: PackageState? = nil, model: String? = nil) {
        self.ecu = ecu
        self.state = state
        self.model = model
    }

    /// Empty bytes mean no filter.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(OTAError) -> PackageFilter {
        guard bytes.count > 0 else { return PackageFilter() }
        let doc: CBOR
        do throws(OTAError) {
            doc = try CBORReader.decode(bytes, maxBytes: 64 << 10)
        } catch {
            throw error.prefixed("package filter")
        }
        var c = FieldChecks()
        guard let m = c.fields(doc, "", known: ["ecu", "state", "model"]) else {
            throw c.problems.error("package filter") ?? .badInput("package filter: not a map")
        }
        var f = PackageFilter()
        f.ecu = m["ecu"].flatMap { c.identifier($0, "ecu") }
        f.state = m["state"].flatMap { c.choice($0, "state", PackageState.self) }
        f.model = m["model"].flatMap { c.identifier($0, "model") }
        if let error = c.problems.error("package filter") { throw error }
        return f
    }
}
