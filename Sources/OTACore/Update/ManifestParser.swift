/// Checks a package manifest completely and builds a `PackageManifest`, or throws one
/// `.badInput` that lists every problem with its field path (docs/schemas/package.cddl).
public enum ManifestParser {
    public static let maxBytes = 1 << 20
    public static let maxFiles = 1024
    public static let maxURIBytes = 2048
    /// A campaign's rule is built from the manifest: the target rule's limit, not another.
    public static let maxRequirements = TargetRule.maxRequirements

    static let keys = ["name", "version", "ecu", "category", "release-type", "issue", "protocol",
                       "powertrains", "models", "hw", "from", "to", "files", "release-notes",
                       "requires", "release-counter"]
    static let fileKeys = ["name", "size", "sha256", "uri"]

    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(OTAError) -> PackageManifest {
        let doc: CBOR
        do throws(OTAError) {
            doc = try CBORReader.decode(bytes, maxBytes: maxBytes)
        } catch {
            throw error.prefixed("manifest")
        }
        return try parse(doc)
    }

    public static func parse(_ bytes: [UInt8]) throws(OTAError) -> PackageManifest {
        try withBuffer(bytes) { (raw) throws(OTAError) in try parse(raw) }
    }

    public static func parse(_ doc: CBOR) throws(OTAError) -> PackageManifest {
        var c = FieldChecks()
        guard let m = c.fields(doc, "", known: keys) else {
            throw c.problems.error("manifest") ?? .badInput("manifest: not a map")
        }
        let name = m.required("name", &c).flatMap { c.identifier($0, "name") }
        let version = m.required("version", &c).flatMap { c.identifier($0, "version") }
        let ecu = m.required("ecu", &c).flatMap { c.identifier($0, "ecu") }
        let category = m.required("category", &c).flatMap { c.choice($0, "category", PackageCategory.self) }
        let releaseType = m.required("release-type", &c).flatMap { c.choice($0, "release-type", ReleaseType.self) }
        let issue = m.required("issue", &c).flatMap { c.prose($0, "issue") }
        let proto = m.required("protocol", &c).flatMap { c.choice($0, "protocol", CommProtocol.self) }
        let powertrains = m.required("powertrains", &c).flatMap { c.identifierList($0, "powertrains") }
        let models = m.required("models", &c).flatMap { c.identifierList($0, "models") }
        let hardware = m.required("hw", &c).flatMap { c.identifierList($0, "hw") }
        let from = m.required("from", &c).flatMap { c.identifierList($0, "from") }
        let to = m.required("to", &c).flatMap { c.identifier($0, "to") }
        let files = m.required("files", &c).flatMap { checkFiles($0, &c) }
        let notes = m.required("release-notes", &c).flatMap { c.prose($0, "release-notes") }
        let requires: [ECURequirement]? = m["requires"].map { checkRequires($0, ecu: ecu, &c) } ?? []
        let counter = m.required("release-counter", &c).flatMap { c.count($0, "release-counter") }

        if let from, let to, let i = from.firstIndex(of: to) {
            c.problems.add("from[\(i)]", "'\(to)' is the version the package installs (to)")
        }
        if let error = c.problems.error("manifest") { throw error }
        guard let name, let version, let ecu, let category, let releaseType, let issue, let proto,
              let powertrains, let models, let hardware, let from, let to, let files, let notes,
              let requires, let counter else {
            throw OTAError(.internalError, "manifest check passed with a field missing")
        }
        return PackageManifest(name: name, version: version, ecu: ecu, category: category,
                               releaseType: releaseType, issue: issue, commProtocol: proto,
                               powertrains: powertrains, models: models, hardware: hardware,
                               fromVersions: from, toVersion: to, files: files, releaseNotes: notes,
                               requires: requires, releaseCounter: counter)
    }

    static func checkFiles(_ value: CBOR, _ c: inout FieldChecks) -> [PackageFile]? {
        guard let items = c.list(value, "files", allowEmpty: false, max: maxFiles) else { return nil }
        var out: [PackageFile] = []
        var seen: [String: Int] = [:]
        var ok = true
        for (i, item) in items.enumerated() {
            let path = "files[\(i)]"
            guard let f = c.fields(item, path, known: fileKeys) else {
                ok = false
                continue
            }
            var name = f.required("name", &c).flatMap { c.identifier($0, f.path("name")) }
            if let n = name, let first = seen[n] {
                c.problems.add(f.path("name"), "'\(n)' is a duplicate of files[\(first)].name")
                name = nil
            } else if let n = name {
                seen[n] = i
            }
            let size = f.required("size", &c).flatMap { c.count($0, f.path("size"), min: 1) }
            let sha = f.required("sha256", &c).flatMap { digest($0, f.path("sha256"), &c) }
            let uri = f.required("uri", &c).flatMap { storageURI($0, f.path("uri"), &c) }
            guard let name, let size, let sha, let uri else {
                ok = false
                continue
            }
            out.append(PackageFile(name: name, size: size, sha256: sha, uri: uri))
        }
        return ok ? out : nil
    }

    static func digest(_ value: CBOR, _ path: String, _ c: inout FieldChecks) -> [UInt8]? {
        guard case .bytes(let b) = value else {
            let hint = value.text.map { $0.utf8.count == 64 && Hex.decode($0) != nil } == true
                ? " (hex text is not accepted: send the 32 bytes)" : ""
            c.problems.add(path, "expected a byte string of 32 bytes, found \(value.typeName)" + hint)
            return nil
        }
        guard b.count == SHA256.byteCount else {
            c.problems.add(path, "expected 32 bytes, found \(b.count)")
            return nil
        }
        return b
    }

    /// A URI with a scheme (RFC 3986: a letter, then letters, digits, + - .), something after
    /// the colon, and no spaces or control characters: "s3://bucket/key", "https://...".
    static func storageURI(_ value: CBOR, _ path: String, _ c: inout FieldChecks) -> String? {
        guard let s = c.expectText(value, path) else { return nil }
        let u = Array(s.utf8)
        guard u.count <= maxURIBytes else {
            c.problems.add(path, "\(u.count) bytes, longer than \(maxURIBytes)")
            return nil
        }
        guard !u.contains(where: { $0 <= 0x20 || $0 == 0x7f }) else {
            c.problems.add(path, "contains a space or a control character")
            return nil
        }
        func isAlpha(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) }
        func isSchemeChar(_ b: UInt8) -> Bool {
            isAlpha(b) || (b >= 0x30 && b <= 0x39) || b == 0x2b || b == 0x2d || b == 0x2e
        }
        var i = 0
        while i < u.count && isSchemeChar(u[i]) { i += 1 }
        guard i > 0, isAlpha(u[0]), i < u.count, u[i] == 0x3a, i + 1 < u.count else {
            c.problems.add(path, "'\(s)' is not a URI with a scheme, such as s3://bucket/key")
            return nil
        }
        return s
    }

    static func checkRequires(_ value: CBOR, ecu: String?, _ c: inout FieldChecks) -> [ECURequirement]? {
        guard let items = c.list(value, "requires", allowEmpty: true, max: maxRequirements) else { return nil }
        var out: [ECURequirement] = []
        var seen: [String: Int] = [:]
        var ok = true
        for (i, item) in items.enumerated() {
            let path = "requires[\(i)]"
            guard let pair = item.array, pair.count == 2 else {
                c.problems.add(path, item.array == nil
                    ? "expected [node, [versions]], found \(item.typeName)"
                    : "expected [node, [versions]], found an array of \(item.array?.count ?? 0)")
                ok = false
                continue
            }
            var node = c.identifier(pair[0], path + ".node")
            if let n = node, n == ecu {
                c.problems.add(path + ".node", "'\(n)' is the package's own ECU")
                node = nil
            } else if let n = node, let first = seen[n] {
                c.problems.add(path + ".node", "'\(n)' is a duplicate of requires[\(first)].node")
                node = nil
            } else if let n = node {
                seen[n] = i
            }
            let versions = c.identifierList(pair[1], path + ".versions")
            guard let node, let versions else {
                ok = false
                continue
            }
            out.append(ECURequirement(node: node, versions: versions))
        }
        return ok ? out : nil
    }
}
