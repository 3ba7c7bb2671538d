/// A report as it arrives: a plain CBOR map, or a COSE_Sign1 (tag 18, EdDSA) whose payload is
/// that map. `open` splits the envelope without trusting it; `verify` checks the signature
/// against the vehicle's key (done only when the store holds one for the vehicle).
public struct StatusEnvelope {
    /// The report map's bytes (the COSE payload, or the whole input).
    public var payload: [UInt8]
    /// The signed parts, when the report came as a COSE_Sign1.
    public var signature: (protected: [UInt8], signature: [UInt8])?

    public var isSigned: Bool { signature != nil }

    /// Splits `bytes`; a malformed envelope is `.badInput`.
    public static func open(_ bytes: UnsafeRawBufferPointer) throws(OTAError) -> StatusEnvelope {
        guard let first = bytes.first else { throw .badInput("status report: empty") }
        guard bytes.count <= StatusReportParser.maxBytes + 256 else {
            throw .badInput("status report: \(bytes.count) bytes, more than \(StatusReportParser.maxBytes)")
        }
        // 0xd2 is tag 18 in one byte; any other tag head is not a COSE_Sign1.
        guard first == 0xd2 else { return StatusEnvelope(payload: Array(bytes), signature: nil) }
        let doc: CBOR
        do throws(OTAError) {
            doc = try CBORReader.decode(bytes, maxDepth: 4, maxBytes: StatusReportParser.maxBytes + 256)
        } catch {
            throw error.prefixed("status report COSE_Sign1")
        }
        guard case .tagged(COSESign1.tag, let body) = doc, let items = body.array, items.count == 4,
              case .bytes(let protected) = items[0], items[1].pairs != nil,
              case .bytes(let payload) = items[2], case .bytes(let signature) = items[3] else {
            throw .badInput("status report: tag 18 but not a COSE_Sign1 with an embedded payload")
        }
        return StatusEnvelope(payload: payload, signature: (protected, signature))
    }

    public static func open(_ bytes: [UInt8]) throws(OTAError) -> StatusEnvelope {
        try withBuffer(bytes) { (raw) throws(OTAError) in try open(raw) }
    }

    /// Whether the envelope is a COSE_Sign1 with EdDSA that verifies with `publicKey`.
    public func verify(publicKey: [UInt8]) -> Bool {
        guard let signature else { return false }
        guard let header = try? CBORReader.decode(signature.protected, maxDepth: 2),
              header[COSESign1.labelAlg]?.int64 == COSESign1.algEdDSA else { return false }
        return Ed25519.verify(signature: signature.signature,
                              message: COSESign1.toBeSigned(protected: signature.protected, payload: payload),
                              publicKey: publicKey)
    }
}
