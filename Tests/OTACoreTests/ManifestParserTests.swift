import Testing
import OTACore

@Suite struct ManifestParserTests {
    @Test func validManifestParsesIntoTheStruct() throws {
        let m = try ManifestParser.parse(encode(manifestCBOR()))
        #expect(m.name == "BCM-app" && m.version == "2.4.0" && m.ecu == "BCM")
        #expect(m.category == .security && m.releaseType == .critical && m.commProtocol == .ethernetDoIP)
        #expect(m.hardware == ["HW-1", "HW-2"] && m.fromVersions == ["2.3.0"] && m.toVersion == "2.4.0")
        #expect(m.files.map(\.name) == ["app.bin", "cal.bin"] && m.files[0].size == 1024)
        #expect(m.requires == [ECURequirement(node: "GW", versions: ["5.1"])])
        #expect(m.releaseCounter == 3)
    }

    @Test func requiresIsOptional() throws {
        #expect(try ManifestParser.parse(encode(manifestCBOR([("requires", nil)]))).requires.isEmpty)
        #expect(try ManifestParser.parse(encode(manifestCBOR([("requires", .array([]))]))).requires.isEmpty)
    }

    @Test func canonicalEncodingIsIndependentOfInputOrder() throws {
        guard case .map(let pairs) = manifestCBOR() else { return }
        let reversed = CBOR.map(pairs.reversed())
        let a = try ManifestParser.parse(encode(manifestCBOR())).canonical
        let b = try ManifestParser.parse(encode(reversed)).canonical
        #expect(a == b)
        // round trip: the canonical bytes parse to the same manifest and re-encode identically
        let again = try ManifestParser.parse(a)
        #expect(again.canonical == a)
        // keys in length-first order: "hw", "to", "ecu", ...
        guard case .map(let out) = try CBORReader.decode(a) else { return }
        #expect(out.prefix(4).map { $0.key.text ?? "" } == ["hw", "to", "ecu", "from"])
    }

    @Test func everyProblemIsReportedAtOnce() {
        let bad = manifestCBOR([
            ("files", .array([file("a"), file("b"), file("c", sha: [UInt8](repeating: 1, count: 16))])),
            ("models", .array([])), ("colour", .text("red")), ("version", nil),
        ])
        let message = problems(bad)
        #expect(message == "manifest has 4 problems: colour: unknown key; version: missing; models: empty list; files[2].sha256: expected 32 bytes, found 16")
    }

    @Test func manyProblemsAreCapped() {
        let items = (0..<40).map { _ in CBOR.text("") }
        let message = problems(manifestCBOR([("models", .array(items))]))
        #expect(message.hasPrefix("manifest has 40 problems: models[0]: empty text"))
        #expect(message.hasSuffix("models[19]: empty text; ... and 20 more"))  // 20 listed
    }

    @Test func eachFieldIsChecked() {
        let cases: [(String, CBOR, String)] = [
        ("name", CBOR.text(""), "name: empty text"),
        ("name", .text(String(repeating: "x", count: 257)), "name: 257 bytes, longer than 256"),
        ("name", .text("a\u{7}b"), "name: contains a control character"),
        ("version", .unsigned(2), "version: expected text, found integer"),
        ("ecu", .text("BCM "), "ecu: has leading or trailing spaces"),
        ("category", .text("cosmetic"), "category: 'cosmetic' is not one of 'security', 'bugfix', 'feature', 'recall' or 'calibration'"),
        ("release-type", .text("urgent"), "release-type: 'urgent' is not one of 'critical' or 'routine'"),
        ("issue", .text(""), "issue: empty text"),
        ("issue", .text("a\u{0}b"), "issue: contains a NUL character"),
        ("protocol", .text("can"), "protocol: 'can' is not one of 'CAN', 'CAN-FD', 'LIN', 'FlexRay', 'Ethernet-DoIP', 'Ethernet-SOME/IP', 'MOST' or 'K-Line'"),
        ("powertrains", .text("electric"), "powertrains: expected an array, found text"),
        ("models", .array([.text("A"), .text("B"), .text("A")]), "models[2]: duplicate of models[0]"),
        ("hw", .array([]), "hw: empty list"),
        ("from", .array([.unsigned(1)]), "from[0]: expected text, found integer"),
        ("from", texts(["2.4.0"]), "from[0]: '2.4.0' is the version the package installs (to)"),
        ("to", .null, "to: expected text, found null"),
        ("files", .map([]), "files: expected an array, found map"),
        ("release-notes", .bytes([1]), "release-notes: expected text, found byte string"),
        ("requires", .array([.text("GW")]), "requires[0]: expected [node, [versions]], found text"),
        ("requires", .array([.array([.text("BCM"), texts(["1"])])]), "requires[0].node: 'BCM' is the package's own ECU"),
        ("requires", .array([.array([.text("GW"), texts(["1"])]), .array([.text("GW"), texts(["2"])])]),
         "requires[1].node: 'GW' is a duplicate of requires[0].node"),
        ("requires", .array([.array([.text("GW"), .array([])])]), "requires[0].versions: empty list"),
        ("release-counter", .negative(0), "release-counter: expected an unsigned integer, found a negative integer"),
        ("release-counter", .unsigned(UInt64.max), "release-counter: 18446744073709551615 is larger than 9223372036854775807"),
        ("release-counter", .text("3"), "release-counter: expected an unsigned integer, found text"),
        ]
        for (field, value, expected) in cases {
            #expect(problems(manifestCBOR([(field, value)])) == "manifest has 1 problem: " + expected)
        }
    }

    @Test func requiresHasTheTargetRuleLimit() {
        // a campaign's rule is built from the manifest: more would not fit the rule
        func requires(_ n: Int) -> CBOR { .array((0..<n).map { .array([.text("N\($0)"), texts(["1"])]) }) }
        #expect(problems(manifestCBOR([("requires", requires(TargetRule.maxRequirements))])) == "")
        #expect(problems(manifestCBOR([("requires", requires(33))])) == "manifest has 1 problem: requires: 33 items, more than 32")
    }

    @Test(arguments: ["name", "version", "ecu", "category", "release-type", "issue", "protocol",
                      "powertrains", "models", "hw", "from", "to", "files", "release-notes",
                      "release-counter"])
    func everyRequiredFieldIsRequired(field: String) {
        #expect(problems(manifestCBOR([(field, nil)])) == "manifest has 1 problem: \(field): missing")
    }

    @Test func fileEntriesAreChecked() {
        let cases: [(CBOR, String)] = [
        (file("a", size: 0), "files[0].size: 0 is less than 1"),
        (file("a", sha: []), "files[0].sha256: expected 32 bytes, found 0"),
        (file("a", uri: "bucket/key"), "files[0].uri: 'bucket/key' is not a URI with a scheme, such as s3://bucket/key"),
        (file("a", uri: "3s://x"), "files[0].uri: '3s://x' is not a URI with a scheme, such as s3://bucket/key"),
        (file("a", uri: "s3:"), "files[0].uri: 's3:' is not a URI with a scheme, such as s3://bucket/key"),
        (file("a", uri: "s3://b/a b"), "files[0].uri: contains a space or a control character"),
        (CBOR.map([CBORPair(.text("name"), .text("a"))]), "files[0].size: missing"),
        (CBOR.text("a"), "files[0]: expected a map, found text"),
        (CBOR.map([CBORPair(.unsigned(1), .text("a"))]), "files[0] key #0: expected a text key, found integer"),
        ]
        for (entry, expected) in cases {
            let message = problems(manifestCBOR([("files", .array([entry]))]))
            #expect(message.contains(expected), "\(message)")
        }
    }

    @Test func hexDigestsGetAHint() {
        let hex = CBOR.map([CBORPair(.text("name"), .text("a")), CBORPair(.text("size"), .unsigned(1)),
                            CBORPair(.text("sha256"), .text(String(repeating: "ab", count: 32))),
                            CBORPair(.text("uri"), .text("https://cdn/a"))])
        #expect(problems(manifestCBOR([("files", .array([hex]))])).hasSuffix("found text (hex text is not accepted: send the 32 bytes)"))
    }

    @Test func duplicateFileNames() {
        let message = problems(manifestCBOR([("files", .array([file("a"), file("b"), file("a")]))]))
        #expect(message == "manifest has 1 problem: files[2].name: 'a' is a duplicate of files[0].name")
    }

    @Test func documentLevelErrors() {
        #expect(problems(.array([])) == "manifest has 1 problem: (top level): expected a map, found array")
        #expect(problems(.map([CBORPair(.unsigned(1), .null)])).contains("key #0: expected a text key, found integer"))
        do throws(OTAError) {
            _ = try ManifestParser.parse([0xa1, 0x61])
            Issue.record("truncated CBOR parsed")
        } catch {
            #expect(error.code == .badInput && error.message.hasPrefix("manifest: truncated CBOR"))
        }
    }
}
