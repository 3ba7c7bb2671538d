/// The canonical CBOR of a manifest: RFC 8949 deterministic encoding (definite lengths,
/// shortest heads, map keys in bytewise order), list items in their registered order.
/// These bytes are stored, returned by get, and are the payload that approval signs, so two
/// encodings of the same manifest (cbor2, libcbor, indefinite lengths, any key order) end up
/// as the same bytes and the same signature.
extension PackageManifest {
    public var canonical: [UInt8] {
        var m = CBORMapBuilder()
        m.text("name", name)
        m.text("version", version)
        m.text("ecu", ecu)
        m.text("category", category.rawValue)
        m.text("release-type", releaseType.rawValue)
        m.text("issue", issue)
        m.text("protocol", commProtocol.rawValue)
        m.add("powertrains") { $0.textList(powertrains) }
        m.add("models") { $0.textList(models) }
        m.add("hw") { $0.textList(hardware) }
        m.add("from") { $0.textList(fromVersions) }
        m.text("to", toVersion)
        m.add("files") { w in
            w.arrayHeader(files.count)
            for f in files {
                var fm = CBORMapBuilder()
                fm.text("name", f.name)
                fm.int("size", f.size)
                fm.bytes("sha256", f.sha256)
                fm.text("uri", f.uri)
                fm.write(to: &w)
            }
        }
        m.text("release-notes", releaseNotes)
        m.add("requires") { w in
            w.arrayHeader(requires.count)
            for r in requires {
                w.arrayHeader(2)
                w.text(r.node)
                w.textList(r.versions)
            }
        }
        m.int("release-counter", releaseCounter)
        return m.encoded
    }
}

extension CBORWriter {
    public mutating func textList(_ items: [String]) {
        arrayHeader(items.count)
        for s in items { text(s) }
    }
}
