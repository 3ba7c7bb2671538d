import OTACore

extension Arguments {
    /// An identity from the caller (actor, who, role, kid, bootstrap_admin): a string that
    /// passes `Identity.check`, the one rule for every name.
    static func identity(_ p: UnsafePointer<CChar>?, _ what: String) throws(OTAError) -> String {
        let s = try string(p, what)
        try Identity.check(s, what)
        return s
    }

    /// The authenticated actor of a call that changes state.
    static func actor(_ p: UnsafePointer<CChar>?) throws(OTAError) -> String {
        try identity(p, "actor")
    }
}
