import Testing
import OTACore

@Suite struct SigningTests {
    // RFC 8032 §7.1, test 1: the empty message.
    static let seed = Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60") ?? []
    static let publicKey = Hex.decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a") ?? []
    static let signature = Hex.decode("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b") ?? []

    func signer() throws -> Ed25519Signer {
        try withBuffer(Self.seed) { (raw) throws(OTAError) in try Ed25519Signer.fromSeed(raw, kid: "k1") }
    }

    @Test func rfc8032VectorOne() throws {
        let s = try signer()
        #expect(s.publicKey == Self.publicKey)
        #expect(try s.sign([]) == Self.signature)
        #expect(Ed25519.verify(signature: Self.signature, message: [], publicKey: Self.publicKey))
        #expect(!Ed25519.verify(signature: Self.signature, message: [0], publicKey: Self.publicKey))
    }

    @Test func seedMustBe32Bytes() {
        #expect(throws: OTAError.self) {
            try withBuffer([UInt8](repeating: 1, count: 31)) { (raw) throws(OTAError) in
                _ = try Ed25519Signer.fromSeed(raw, kid: "k")
            }
        }
    }

    @Test func coseSign1RoundTripAndTamper() throws {
        let payload: [UInt8] = encode(manifestCBOR())
        let cose = try COSESign1.sign(payload: payload, with: try signer())
        #expect(Array(cose.prefix(2)) == [0xd2, 0x84])            // tag 18, array of 4
        #expect(try COSESign1.verify(cose, publicKey: Self.publicKey) == payload)
        guard case .tagged(18, .array(let items)) = try CBORReader.decode(cose) else {
            Issue.record("not a tagged array")
            return
        }
        #expect(items[0] == .bytes([0xa1, 0x01, 0x27]))           // {1: -8}
        #expect(items[1] == .map([CBORPair(.unsigned(4), .bytes(Array("k1".utf8)))]))
        var tampered = cose
        tampered[tampered.count - 1] ^= 1
        #expect(throws: OTAError.self) { _ = try COSESign1.verify(tampered, publicKey: Self.publicKey) }
        #expect(throws: OTAError.self) { _ = try COSESign1.verify([0x80], publicKey: Self.publicKey) }
    }

    @Test func callbackSignerIsCheckedAgainstItsPublicKey() throws {
        let inner = try signer()
        let good: Ed25519Signer.SignFunction = { ctx, msg, len, sig in
            guard let ctx, let sig else { return 1 }
            let s = Unmanaged<Ed25519Signer>.fromOpaque(ctx).takeUnretainedValue()
            let bytes = msg.map { Array(UnsafeBufferPointer(start: $0, count: len)) } ?? []
            guard let out = try? s.sign(bytes) else { return 1 }
            for (i, b) in out.enumerated() { sig[i] = b }
            return 0
        }
        let ctx = Unmanaged.passUnretained(inner).toOpaque()
        let hsm = try Ed25519Signer.external(good, context: ctx, publicKey: Self.publicKey, kid: "hsm")
        #expect(try hsm.sign([]) == Self.signature)

        let wrongKey = try Ed25519Signer.external(good, context: ctx, publicKey: [UInt8](repeating: 9, count: 32), kid: "bad")
        do throws(OTAError) {
            _ = try wrongKey.sign([1, 2, 3])
            Issue.record("a signature that does not verify was accepted")
        } catch {
            #expect(error.code == .misuse)
        }
        let failing: Ed25519Signer.SignFunction = { _, _, _, _ in 42 }
        let offline = try Ed25519Signer.external(failing, context: nil, publicKey: Self.publicKey, kid: "off")
        do throws(OTAError) {
            _ = try offline.sign([1])
        } catch {
            #expect(error.code == .io && error.message.contains("failed with 42"))
        }
        withExtendedLifetime(inner) {}
    }

    @Test func aCallbackThatWritesIntoTheMessageCannotPassItsCheck() throws {
        let inner = try signer()
        // despite the const, it changes the bytes it was given and signs what it made of them
        let rogue: Ed25519Signer.SignFunction = { ctx, msg, len, sig in
            guard let ctx, let msg, let sig, len > 0 else { return 1 }
            UnsafeMutablePointer(mutating: msg)[0] ^= 0xff
            let s = Unmanaged<Ed25519Signer>.fromOpaque(ctx).takeUnretainedValue()
            guard let out = try? s.sign(Array(UnsafeBufferPointer(start: msg, count: len))) else { return 1 }
            for (i, b) in out.enumerated() { sig[i] = b }
            return 0
        }
        let hsm = try Ed25519Signer.external(rogue, context: Unmanaged.passUnretained(inner).toOpaque(),
                                             publicKey: Self.publicKey, kid: "hsm")
        let message: [UInt8] = [1, 2, 3]
        do throws(OTAError) {
            _ = try hsm.sign(message)
            Issue.record("a signature over other bytes was accepted")
        } catch {
            #expect(error.code == .misuse)
        }
        #expect(message == [1, 2, 3])
        withExtendedLifetime(inner) {}
    }

    @Test func deterministicMapOrdersKeys() {
        var m = CBORMapBuilder()
        m.int("release-counter", 1)
        m.text("b", "x")
        m.text("aa", "y")
        m.text("a", "z")
        guard case .map(let pairs) = (try? CBORReader.decode(m.encoded)) ?? .null else {
            Issue.record("not a map")
            return
        }
        #expect(pairs.map { $0.key.text ?? "" } == ["a", "b", "aa", "release-counter"])
    }
}
