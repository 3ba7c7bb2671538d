/// Checks a status report completely (docs/schemas/status-report.cddl) and builds a
/// `StatusReport`, or throws one `.badInput` naming every problem with its path.
public enum StatusReportParser {
    /// Larger reports are refused unread (a report is a few hundred bytes).
    public static let maxBytes = 64 << 10
    public static let maxFeedbackBytes = 1024
    public static let maxECUs = 64

    static let keys = ["vin", "campaign", "seq", "time", "state", "reason", "code", "progress", "feedback", "ecus"]
    static let ecuKeys = ["node", "slot", "hw", "sw", "calibration", "serial"]

    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(OTAError) -> StatusReport {
        let doc: CBOR
        do throws(OTAError) {
            doc = try CBORReader.decode(bytes, maxDepth: 8, maxBytes: maxBytes)
        } catch {
            throw error.prefixed("status report")
        }
        return try parse(doc)
    }

    public static func parse(_ bytes: [UInt8]) throws(OTAError) -> StatusReport {
        try withBuffer(bytes) { (raw) throws(OTAError) in try parse(raw) }
    }

    public static func parse(_ doc: CBOR) throws(OTAError) -> StatusReport {
        var c = FieldChecks()
        guard let m = c.fields(doc, "", known: keys) else {
            throw c.problems.error("status report") ?? .badInput("status report: not a map")
        }
        var vin = m.required("vin", &c).flatMap { c.expectText($0, "vin") }
        if let v = vin, !VINSyntax.isWellFormed(v) {
            c.problems.add("vin", "\(VIN.quoted(v)) is not 17 VIN characters (0-9, A-Z without I, O, Q)")
            vin = nil
        }
        let campaign = m.required("campaign", &c).flatMap { c.count($0, "campaign", min: 1) }
        let seq = m.required("seq", &c).flatMap { c.count($0, "seq") }
        let time = m["time"].flatMap { integer($0, "time", &c) }
        let state = m.required("state", &c).flatMap { c.choice($0, "state", StatusReport.State.self) }
        let reason = m["reason"].flatMap { c.choice($0, "reason", StatusReport.Reason.self) }
        let code = m["code"].flatMap { integer($0, "code", &c) }
        var progress = m["progress"].flatMap { c.count($0, "progress") }
        if let p = progress, p > 100 {
            c.problems.add("progress", "\(p) is more than 100")
            progress = nil
        }
        let feedback = m["feedback"].flatMap { feedbackText($0, &c) }
        let ecus = m["ecus"].flatMap { checkECUs($0, &c) }

        if let state {
            if state == .failed && m["reason"] == nil { c.problems.add("reason", "missing (a failed report says why)") }
            if m["reason"] != nil && state != .failed && state != .rolledBack {
                c.problems.add("reason", "only a failed or rolled-back report has a reason (state is \(state.rawValue))")
            }
            if m["ecus"] != nil && state != .installed && state != .failed && state != .rolledBack {
                c.problems.add("ecus", "versions come with installed, failed or rolled-back (state is \(state.rawValue))")
            }
        }
        if let error = c.problems.error("status report") { throw error }
        guard let vin, let campaign, let seq, let state else {
            throw OTAError(.internalError, "status report check passed with a field missing")
        }
        var r = StatusReport(vin: vin, campaign: campaign, seq: seq, state: state)
        r.time = time
        r.reason = reason
        r.code = code
        r.progress = progress
        r.feedback = feedback
        r.ecus = ecus
        return r
    }

    static func integer(_ v: CBOR, _ path: String, _ c: inout FieldChecks) -> Int64? {
        guard case .unsigned = v else {
            guard case .negative = v else {
                c.problems.add(path, "expected an integer, found \(v.typeName)")
                return nil
            }
            guard let n = v.int64 else {
                c.problems.add(path, "out of the 64-bit range")
                return nil
            }
            return n
        }
        guard let n = v.int64 else {
            c.problems.add(path, "out of the 64-bit range")
            return nil
        }
        return n
    }

    static func feedbackText(_ v: CBOR, _ c: inout FieldChecks) -> String? {
        guard let s = c.expectText(v, "feedback") else { return nil }
        if s.utf8.count > maxFeedbackBytes {
            c.problems.add("feedback", "\(s.utf8.count) bytes, more than \(maxFeedbackBytes)")
            return nil
        }
        if s.utf8.contains(0) {
            c.problems.add("feedback", "contains a NUL character")
            return nil
        }
        return s
    }

    static func checkECUs(_ v: CBOR, _ c: inout FieldChecks) -> [StatusReport.ECU]? {
        guard let items = c.list(v, "ecus", allowEmpty: true, max: maxECUs) else { return nil }
        var out: [StatusReport.ECU] = []
        var ok = true
        for (i, item) in items.enumerated() {
            let path = "ecus[\(i)]"
            guard let m = c.fields(item, path, known: ecuKeys) else {
                ok = false
                continue
            }
            let node = m.required("node", &c).flatMap { c.identifier($0, m.path("node")) }
            let slot = m.required("slot", &c).flatMap { c.count($0, m.path("slot")) }
            let hw = m.required("hw", &c).flatMap { c.identifier($0, m.path("hw")) }
            let sw = m.required("sw", &c).flatMap { c.identifier($0, m.path("sw")) }
            let calibration = m["calibration"].flatMap { c.identifier($0, m.path("calibration")) }
            let serial = m["serial"].flatMap { c.identifier($0, m.path("serial")) }
            guard let node, let slot, let hw, let sw,
                  m["calibration"] == nil || calibration != nil, m["serial"] == nil || serial != nil else {
                ok = false
                continue
            }
            if let j = out.firstIndex(where: { $0.node == node && $0.slot == slot }) {
                c.problems.add(path, "\(node) slot \(slot) is already reported in ecus[\(j)]")
                ok = false
                continue
            }
            out.append(StatusReport.ECU(node: node, slot: slot, hw: hw, sw: sw, calibration: calibration, serial: serial))
        }
        return ok ? out : nil
    }
}
