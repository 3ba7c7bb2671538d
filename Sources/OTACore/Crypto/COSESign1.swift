/// COSE_Sign1 (RFC 9052 §4.2) with EdDSA (alg -8): the envelope in which package metadata is
/// signed, so that any COSE implementation (pycose, t_cose, go-cose) can verify it.
///
///     COSE_Sign1_Tagged = #6.18([protected: bstr .cbor {1: -8}, unprotected: {4: kid},
///                                 payload: bstr, signature: bstr .size 64])
///     signed bytes      = Sig_structure ["Signature1", protected, h'', payload]
public enum COSESign1 {
    public static let tag: UInt64 = 18
    public static let algEdDSA: Int64 = -8
    static let labelAlg: UInt64 = 1
    static let labelKid: UInt64 = 4

    /// The protected header's bytes: {1: -8}.
    public static var protectedHeader: [UInt8] {
        var w = CBORWriter(capacity: 4)
        w.mapHeader(1)
        w.unsigned(labelAlg)
        w.int(algEdDSA)
        return w.bytes
    }

    /// The Sig_structure that is actually signed (empty external AAD).
    public static func toBeSigned(protected: [UInt8], payload: [UInt8]) -> [UInt8] {
        var w = CBORWriter(capacity: payload.count + 32)
        w.arrayHeader(4)
        w.text("Signature1")
        w.bytes(protected)
        w.bytes([])
        w.bytes(payload)
        return w.bytes
    }

    /// The tagged COSE_Sign1 of `payload`, kid (UTF-8 bytes) in the unprotected header.
    public static func sign(payload: [UInt8], with signer: Ed25519Signer) throws(OTAError) -> [UInt8] {
        let protected = protectedHeader
        let signature = try signer.sign(toBeSigned(protected: protected, payload: payload))
        var w = CBORWriter(capacity: payload.count + 128)
        w.tag(tag)
        w.arrayHeader(4)
        w.bytes(protected)
        w.mapHeader(1)
        w.unsigned(labelKid)
        w.bytes(Array(signer.kid.utf8))
        w.bytes(payload)
        w.bytes(signature)
        return w.bytes
    }

    /// Checks a tagged COSE_Sign1 made with EdDSA against `publicKey`; returns the payload.
    public static func verify(_ message: [UInt8], publicKey: [UInt8]) throws(OTAError) -> [UInt8] {
        let doc = try CBORReader.decode(message)
        guard case .tagged(tag, let body) = doc, let items = body.array, items.count == 4,
              case .bytes(let protected) = items[0], items[1].pairs != nil,
              case .bytes(let payload) = items[2], case .bytes(let signature) = items[3] else {
            throw .badInput("not a tagged COSE_Sign1 with an embedded payload")
        }
        let header = try CBORReader.decode(protected)
        guard header[labelAlg]?.int64 == algEdDSA else {
            throw .badInput("COSE_Sign1: the protected header does not name EdDSA (-8)")
        }
        guard Ed25519.verify(signature: signature, message: toBeSigned(protected: protected, payload: payload),
                             publicKey: publicKey) else {
            throw .corrupt("COSE_Sign1: the signature does not verify with public key \(Hex.encode(publicKey))")
        }
        return payload
    }
}
