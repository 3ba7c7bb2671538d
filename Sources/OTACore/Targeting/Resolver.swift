/// Target resolution: a pure function of a fleet snapshot's bytes and a target rule, the one
/// place where targeting semantics live (design: fleet-snapshot.md). Streaming over the bytes
/// in place; reentrant (no shared state).
public enum Resolver {
    /// Resolves `rule` over `snapshot`, passing each target to `sink` in snapshot order.
    /// Throws `.badInput` for a rule beyond `TargetRule`'s limits (before reading the
    /// snapshot), or for a snapshot that is not valid CBOR of the snapshot's shape, with the
    /// vehicle's position and the byte offset; the sink may then have seen some targets.
    public static func resolve<S: ResolutionSink>(snapshot: UnsafeRawBufferPointer, rule: TargetRule,
                                                  into sink: inout S) throws(OTAError) -> ResolutionCounts {
        var check = try RuleCheck(rule: rule, sink: sink)
        var walk = try SnapshotWalk(snapshot)
        defer { sink = check.sink }  // the targets so far, on success or failure
        try walk.begin(&check)
        while try walk.nextVehicle(&check) {}
        try walk.end()
        return check.counts
    }

    /// The resolution document (docs/schemas/resolution.cddl).
    public static func document(snapshot: UnsafeRawBufferPointer, rule: TargetRule) throws(OTAError) -> [UInt8] {
        var encoder = ResolutionEncoder()
        let counts = try resolve(snapshot: snapshot, rule: rule, into: &encoder)
        return encoder.document(counts)
    }

    /// `document` in the three pieces of `ResolutionEncoder.parts`.
    public static func documentParts(snapshot: UnsafeRawBufferPointer,
                                     rule: TargetRule) throws(OTAError) -> (head: [UInt8], targets: CBORWriter, tail: [UInt8]) {
        var encoder = ResolutionEncoder()
        let counts = try resolve(snapshot: snapshot, rule: rule, into: &encoder)
        return encoder.parts(counts)
    }

    /// The targets as values, with the counts.
    public static func targets(snapshot: UnsafeRawBufferPointer,
                               rule: TargetRule) throws(OTAError) -> (targets: [ResolvedTarget], counts: ResolutionCounts) {
        var list = TargetList()
        let counts = try resolve(snapshot: snapshot, rule: rule, into: &list)
        return (list.targets, counts)
    }
}
