import COTA
import OTACore

@c @implementation
public func ota_set_signing_key(_ db: OpaquePointer?, _ seed: UnsafePointer<UInt8>?,
                                _ kid: UnsafePointer<CChar>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        if seed == nil && kid == nil {
            h.signer = nil
            return
        }
        guard let seed else { throw .misuse("seed is NULL but kid is not (pass both NULL to remove the key)") }
        let kid = try Arguments.identity(kid, "kid")
        h.signer = try Ed25519Signer.fromSeed(UnsafeRawBufferPointer(start: seed, count: Ed25519.seedBytes),
                                              kid: kid)
    }
}

@c @implementation
public func ota_set_signer(_ db: OpaquePointer?, _ sign: ota_sign_fn?, _ ctx: UnsafeMutableRawPointer?,
                           _ pub: UnsafePointer<UInt8>?, _ kid: UnsafePointer<CChar>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        guard let sign else {
            h.signer = nil
            return
        }
        guard let pub else { throw .misuse("pub is NULL: the signer's public key is needed to check its signatures") }
        let kid = try Arguments.identity(kid, "kid")
        let key = Array(UnsafeBufferPointer(start: pub, count: Ed25519.publicKeyBytes))
        h.signer = try Ed25519Signer.external(sign, context: ctx, publicKey: key, kid: kid)
    }
}

@c @implementation
public func ota_signing_public_key(_ db: OpaquePointer?, _ out: UnsafeMutablePointer<UInt8>?) -> Int32 {
    onHandle(db) { (h) throws(OTAError) in
        let out = try Arguments.out(out)
        guard let signer = h.signer else {
            throw .misuse("no signing key or signer is set on this handle (ota_set_signing_key, ota_set_signer)")
        }
        try copyFixed(signer.publicKey, to: out, count: Ed25519.publicKeyBytes, what: "the signing public key")
    }
}
