import COTA
import OTACore

@c @implementation
public func ota_resolve(_ snapshot: UnsafePointer<UInt8>?, _ snapshotLen: Int,
                        _ rule: UnsafePointer<UInt8>?, _ ruleLen: Int,
                        _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    handleFree(out: out) { (out) throws(OTAError) in
        let ruleBytes = try Arguments.bytes(rule, ruleLen, "rule")
        let snapshotBytes = try Arguments.bytes(snapshot, snapshotLen, "snapshot")
        // The rule first: a malformed rule is reported before a large snapshot is read.
        let rule = try TargetRule.decode(ruleBytes)
        let parts = try Resolver.documentParts(snapshot: snapshotBytes, rule: rule)
        try give(parts.head, parts.targets, parts.tail, to: out)
    }
}

@c @implementation
public func ota_resolve_file(_ path: UnsafePointer<CChar>?, _ rule: UnsafePointer<UInt8>?, _ ruleLen: Int,
                             _ out: UnsafeMutablePointer<ota_buf>?) -> Int32 {
    handleFree(out: out) { (out) throws(OTAError) in
        let path = try Arguments.string(path, "path")
        let rule = try TargetRule.decode(try Arguments.bytes(rule, ruleLen, "rule"))
        try MappedFile.withContents(of: path, "snapshot") { (snapshot) throws(OTAError) in
            let parts = try Resolver.documentParts(snapshot: snapshot, rule: rule)
            try give(parts.head, parts.targets, parts.tail, to: out)
        }
    }
}
