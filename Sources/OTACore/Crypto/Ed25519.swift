import CSodium

/// Ed25519 (RFC 8032) through libsodium.
public enum Ed25519 {
    public static let seedBytes = 32
    public static let publicKeyBytes = 32
    public static let signatureBytes = 64

    /// libsodium must be initialised once before signing; `sodium_init` is thread-safe and
    /// returns 1 when it already was.
    public static func initialize() throws(OTAError) {
        guard sodium_init() >= 0 else { throw OTAError(.internalError, "libsodium failed to initialise") }
    }

    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureBytes, publicKey.count == publicKeyBytes else { return false }
        return signature.withUnsafeBufferPointer { s in
            message.withUnsafeBufferPointer { m in
                publicKey.withUnsafeBufferPointer { k in
                    guard let sp = s.baseAddress, let kp = k.baseAddress else { return false }
                    // A NULL message pointer with length 0 is fine for libsodium.
                    return crypto_sign_verify_detached(sp, m.baseAddress, UInt64(m.count), kp) == 0
                }
            }
        }
    }
}

/// Signs with Ed25519, either with a secret key held in memory (from a 32-byte seed) or with
/// a host callback for keys that never leave an HSM. Every signature is verified against the
/// public key before it is used, so a misconfigured callback cannot produce a bad signature.
public final class Ed25519Signer {
    /// `int (*)(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])`; 0 is success.
    public typealias SignFunction = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?,
                                                    Int, UnsafeMutablePointer<UInt8>?) -> Int32

    public let kid: String
    public let publicKey: [UInt8]
    /// libsodium's 64-byte secret key (seed || public key); zeroed when the signer goes away.
    private let secretKey: UnsafeMutablePointer<UInt8>?
    private let callback: SignFunction?
    private let context: UnsafeMutableRawPointer?

    private init(kid: String, publicKey: [UInt8], secretKey: UnsafeMutablePointer<UInt8>?,
                 callback: SignFunction?, context: UnsafeMutableRawPointer?) {
        self.kid = kid
        self.publicKey = publicKey
        self.secretKey = secretKey
        self.callback = callback
        self.context = context
    }

    deinit {
        if let secretKey {
            sodium_memzero(secretKey, 64)
            secretKey.deallocate()
        }
    }

    /// A signer with the key pair derived from `seed` (32 bytes, RFC 8032's private key).
    public static func fromSeed(_ seed: UnsafeRawBufferPointer, kid: String) throws(OTAError) -> Ed25519Signer {
        guard seed.count == Ed25519.seedBytes, let base = seed.baseAddress else {
            throw .badInput("signing key seed must be \(Ed25519.seedBytes) bytes, found \(seed.count)")
        }
        try Ed25519.initialize()
        let sk = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
        var pk = [UInt8](repeating: 0, count: Ed25519.publicKeyBytes)
        let rc = pk.withUnsafeMutableBufferPointer { p -> Int32 in
            guard let pp = p.baseAddress else { return -1 }
            return crypto_sign_seed_keypair(pp, sk, base.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else {
            sodium_memzero(sk, 64)
            sk.deallocate()
            throw OTAError(.internalError, "libsodium could not derive an Ed25519 key pair")
        }
        return Ed25519Signer(kid: kid, publicKey: pk, secretKey: sk, callback: nil, context: nil)
    }

    /// A signer that calls `sign(context, message, length, signature)`; `publicKey` is the
    /// key the callback's signatures must verify with.
    public static func external(_ sign: SignFunction, context: UnsafeMutableRawPointer?,
                                publicKey: [UInt8], kid: String) throws(OTAError) -> Ed25519Signer {
        guard publicKey.count == Ed25519.publicKeyBytes else {
            throw .badInput("public key must be \(Ed25519.publicKeyBytes) bytes, found \(publicKey.count)")
        }
        try Ed25519.initialize()
        return Ed25519Signer(kid: kid, publicKey: publicKey, secretKey: nil, callback: sign, context: context)
    }

    /// The 64-byte detached signature of `message`.
    public func sign(_ message: [UInt8]) throws(OTAError) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: Ed25519.signatureBytes)
        let rc: Int32 = sig.withUnsafeMutableBufferPointer { s in
            message.withUnsafeBufferPointer { m in
                guard let sp = s.baseAddress else { return -1 }
                if let secretKey {
                    var written: UInt64 = 0
                    return crypto_sign_detached(sp, &written, m.baseAddress, UInt64(m.count), secretKey)
                }
                guard let callback else { return -1 }
                // The callback signs a copy: what it may write there cannot change the bytes
                // its signature is then checked against.
                let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(m.count, 1))
                defer { copy.deallocate() }
                if let base = m.baseAddress { copy.baseAddress?.update(from: base, count: m.count) }
                return callback(context, copy.baseAddress, m.count, sp)
            }
        }
        guard rc == 0 else {
            throw OTAError(.io, secretKey == nil
                ? "the signer callback for key '\(kid)' failed with \(rc)"
                : "libsodium failed to sign with key '\(kid)'")
        }
        guard Ed25519.verify(signature: sig, message: message, publicKey: publicKey) else {
            throw .misuse("the signature made for key '\(kid)' does not verify with its public key \(Hex.encode(publicKey)): the signer and the public key given to ota_set_signer do not belong together")
        }
        return sig
    }
}
