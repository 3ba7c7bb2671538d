import Testing
import OTACore
import OTAStore

@Suite struct PackageStoreTests {
    @Test func lifecycleIsAuditedWithItsActors() throws {
        let s = try makeStore()
        let id = try released(s, version: "1.0", counter: 1)
        try Packages.withdraw(s.db, actor: "ann", now: t0 + 5, package: id, reason: "field issue")
        let trail = try Audit.entries(s.db).filter { $0.subject == "package:\(id)" }
        #expect(trail.map(\.action) == ["package.register", "package.verify-file", "package.verify-file",
                                         "package.validate", "package.approve", "package.release",
                                         "package.withdraw"])
        #expect(trail.map(\.actor) == ["eve", "eve", "eve", "eve", "ann", "cam", "ann"])
        #expect(try Audit.verify(s.db).firstBad == nil)
        #expect(try Packages.load(s.db, id).state == .withdrawn)
    }

    @Test func everyIllegalTransitionIsAConflictNamingTheState() throws {
        let s = try makeStore()
        let signer = try testSigner()
        let id = try register(s, manifestBytes())
        try verifyAll(s, id)
        func attempt(_ action: PackageAction) -> OTAError? {
            error { () throws(OTAError) in
                switch action {
                case .validate: try Packages.validate(s.db, actor: "root", now: t0, package: id)
                case .approve: try Packages.approve(s.db, actor: "root", now: t0, package: id, signer: signer)
                case .release: try Packages.release(s.db, actor: "root", now: t0, package: id)
                case .withdraw: try Packages.withdraw(s.db, actor: "root", now: t0, package: id, reason: "r")
                }
            }
        }
        // Walk draft → released, trying every illegal action at each step first.
        let path: [(PackageState, PackageAction)] = [(.draft, .validate), (.validated, .approve),
                                                     (.approved, .release), (.released, .withdraw)]
        for (state, legal) in path {
            for action in PackageAction.allCases where action != legal && action != .withdraw {
                let e = attempt(action)
                #expect(e?.code == .conflict && e?.message.contains("it is \(state.rawValue)") == true,
                        "\(state) \(action): \(e?.message ?? "accepted")")
            }
            #expect(attempt(legal) == nil, "\(state) \(legal)")
        }
        for action in PackageAction.allCases {
            #expect(attempt(action)?.message.contains("it is withdrawn and immutable") == true)
        }
    }

    @Test func withdrawFromEveryLiveState() throws {
        let s = try makeStore()
        let signer = try testSigner()
        for (i, stop) in [PackageState.draft, .validated, .approved, .released].enumerated() {
            let id = try register(s, manifestBytes(version: "w\(i)", counter: UInt64(10 + i)))
            try verifyAll(s, id)
            if stop != .draft { try Packages.validate(s.db, actor: "eve", now: t0, package: id) }
            if stop == .approved || stop == .released {
                try Packages.approve(s.db, actor: "ann", now: t0, package: id, signer: signer)
            }
            if stop == .released { try Packages.release(s.db, actor: "ann", now: t0, package: id) }
            #expect(try Packages.load(s.db, id).state == stop)
            try Packages.withdraw(s.db, actor: "cam", now: t0, package: id, reason: "stop at \(stop)")
            #expect(try Packages.load(s.db, id).state == .withdrawn)
        }
        let e = error { () throws(OTAError) in try Packages.withdraw(s.db, actor: "cam", now: t0, package: 1, reason: "") }
        #expect(e?.code == .badInput && e?.message.contains("reason: empty text") == true)
    }

    @Test func validationNeedsEveryFileMatched() throws {
        let s = try makeStore()
        let id = try register(s, manifestBytes())
        let none = error { () throws(OTAError) in try Packages.validate(s.db, actor: "eve", now: t0, package: id) }
        #expect(none?.message.contains("'app.bin' (unverified), 'cal.bin' (unverified)") == true)
        let result = try Packages.recordFileCheck(s.db, actor: "eve", now: t0, package: id, file: "app.bin",
                                                  size: 1000, sha256: sha)
        #expect(result == .mismatch("file 'app.bin' of package \(id) does not match its manifest: size 1000 (expected 1024); recorded as a mismatch"))
        try verifyAll(s, id, files: ["cal.bin"])
        let one = error { () throws(OTAError) in try Packages.validate(s.db, actor: "eve", now: t0, package: id) }
        #expect(one?.code == .conflict && one?.message.hasSuffix("not yet: 'app.bin' (mismatch)") == true)
        try verifyAll(s, id, files: ["app.bin"])
        try Packages.validate(s.db, actor: "eve", now: t0, package: id)
        let late = error { () throws(OTAError) in
            try Packages.recordFileCheck(s.db, actor: "eve", now: t0, package: id, file: "app.bin", size: 1, sha256: sha)
        }
        #expect(late?.code == .conflict && late?.message.contains("it is validated (file checks need draft)") == true)
        let missing = error { () throws(OTAError) in
            try Packages.requireFileCheckAllowed(s.db, actor: "eve", package: 99, file: "x")
        }
        #expect(missing?.code == .notFound)
    }

    @Test func twoPersonRuleHoldsForAdminsToo() throws {
        let s = try makeStore()
        try Roles.grant(s.db, actor: "root", now: t0, to: "eve", .approver)
        let id = try register(s, manifestBytes())
        try verifyAll(s, id)
        try Packages.validate(s.db, actor: "eve", now: t0, package: id)
        let own = error { () throws(OTAError) in try Packages.approve(s.db, actor: "eve", now: t0, package: id, signer: testSigner()) }
        #expect(own?.code == .denied && own?.message.hasPrefix("two-person rule") == true)
        let rootOwn = try register(s, manifestBytes(version: "2.0", counter: 2), actor: "root")
        try verifyAll(s, rootOwn)
        try Packages.validate(s.db, actor: "root", now: t0, package: rootOwn)
        let e = error { () throws(OTAError) in try Packages.approve(s.db, actor: "root", now: t0, package: rootOwn, signer: testSigner()) }
        #expect(e?.code == .denied)
        try Packages.approve(s.db, actor: "ann", now: t0, package: rootOwn, signer: testSigner())
    }

    @Test func approvalSignsTheCanonicalManifest() throws {
        let s = try makeStore()
        let id = try released(s, version: "1.0", counter: 1)
        let signer = try testSigner()
        let cose = try Packages.signature(s.db, package: id)
        let payload = try COSESign1.verify(cose, publicKey: signer.publicKey)
        #expect(payload == (try Packages.load(s.db, id).manifest))
        #expect(payload == (try ManifestParser.parse(manifestBytes(version: "1.0")).canonical))
        let noKey = try register(s, manifestBytes(version: "2.0", counter: 2))
        try verifyAll(s, noKey)
        try Packages.validate(s.db, actor: "eve", now: t0, package: noKey)
        let e = error { () throws(OTAError) in try Packages.approve(s.db, actor: "ann", now: t0, package: noKey, signer: nil) }
        #expect(e?.code == .misuse && e?.message.contains("no signing key") == true)
        #expect(error { () throws(OTAError) in try Packages.signature(s.db, package: noKey) }?.code == .notFound)
    }

    @Test func releaseCountersNeverGoBack() throws {
        let s = try makeStore()
        let first = try released(s, version: "1.0", hw: ["HW-1", "HW-2"], counter: 5)
        for (counter, hw) in [(UInt64(5), ["HW-2"]), (4, ["HW-9", "HW-1"])] {
            let e = error { () throws(OTAError) in try register(s, manifestBytes(version: "x\(counter)", hw: hw, counter: counter)) }
            #expect(e?.code == .conflict && e?.message.contains("of package \(first)") == true, "\(e?.message ?? "accepted")")
        }
        #expect(try Packages.list(s.db, filter: PackageFilter()).count > 0)
        _ = try released(s, version: "other-hw", hw: ["HW-3"], counter: 5)
        _ = try released(s, version: "other-ecu", ecu: "ABS", hw: ["HW-1"], counter: 1)
        let a = try register(s, manifestBytes(version: "6", hw: ["HW-1"], counter: 6))
        _ = try released(s, version: "7", hw: ["HW-2"], counter: 7)
        try verifyAll(s, a)
        try Packages.validate(s.db, actor: "eve", now: t0, package: a)
        try Packages.approve(s.db, actor: "ann", now: t0, package: a, signer: testSigner())
        // HW-1 alone does not overlap HW-2: released
        try Packages.release(s.db, actor: "cam", now: t0, package: a)
        let b = try register(s, manifestBytes(version: "6b", hw: ["HW-2", "HW-1"], counter: 8))
        let late = try register(s, manifestBytes(version: "late", hw: ["HW-2"], counter: 9))
        _ = try released(s, version: "10", hw: ["HW-2"], counter: 10)
        for id in [b, late] {
            try verifyAll(s, id)
            try Packages.validate(s.db, actor: "eve", now: t0, package: id)
            try Packages.approve(s.db, actor: "ann", now: t0, package: id, signer: testSigner())
            let e = error { () throws(OTAError) in try Packages.release(s.db, actor: "cam", now: t0, package: id) }
            #expect(e?.code == .conflict && e?.message.contains("counter 10 of package") == true)
        }
    }

    @Test func rolesAreCheckedForEveryChange() throws {
        let s = try makeStore()
        let e = error { () throws(OTAError) in try register(s, manifestBytes(), actor: "ann") }
        #expect(e?.message == "registering a package needs the role engineer; actor 'ann' has none of them")
        let id = try register(s, manifestBytes())
        let checks: [(String, () throws(OTAError) -> Void)] = [
            ("verifying package files needs the role engineer", { () throws(OTAError) in
                _ = try Packages.recordFileCheck(s.db, actor: "gus", now: t0, package: id, file: "app.bin", size: 1, sha256: sha) }),
            ("validating a package needs the role engineer", { () throws(OTAError) in
                try Packages.validate(s.db, actor: "cam", now: t0, package: id) }),
            ("approving a package needs the role approver", { () throws(OTAError) in
                try Packages.approve(s.db, actor: "eve", now: t0, package: id, signer: nil) }),
            ("releasing a package needs the role approver or campaign-manager", { () throws(OTAError) in
                try Packages.release(s.db, actor: "eve", now: t0, package: id) }),
            ("withdrawing a package needs the role approver or campaign-manager", { () throws(OTAError) in
                try Packages.withdraw(s.db, actor: "gus", now: t0, package: id, reason: "r") }),
        ]
        for (expected, call) in checks {
            let e = error(call)
            #expect(e?.code == .denied && e?.message.hasPrefix(expected) == true, "\(e?.message ?? "allowed")")
        }
    }

    @Test func triggersKeepReleasedPackagesImmutable() throws {
        let s = try makeStore()
        let id = try released(s, version: "1.0", counter: 1)
        for sql in ["UPDATE packages SET manifest = x'a0' WHERE id = \(id)",
                    "UPDATE packages SET state = 'approved' WHERE id = \(id)",
                    "UPDATE packages SET released_at = 1 WHERE id = \(id)",
                    "UPDATE package_files SET status = 'mismatch' WHERE package_id = \(id)",
                    "INSERT INTO package_files(package_id, position, name, size, sha256, uri) VALUES(\(id), 9, 'x', 1, x'00', 's3://x')",
                    "DELETE FROM package_events WHERE package_id = \(id)",
                    "DELETE FROM package_signatures WHERE package_id = \(id)",
                    "DELETE FROM packages WHERE id = \(id)"] {
            let e = error { () throws(OTAError) in try s.db.exec(sql) }
            #expect(e?.code == .store, "\(sql) was allowed")
        }
        try s.db.exec("UPDATE packages SET state = 'withdrawn' WHERE id = \(id)")
        #expect(error { () throws(OTAError) in try s.db.exec("UPDATE packages SET state = 'released' WHERE id = \(id)") } != nil)
        // a draft's manifest is fixed too, but its file checks may change
        let draft = try register(s, manifestBytes(version: "2.0", counter: 2))
        #expect(error { () throws(OTAError) in try s.db.exec("UPDATE packages SET release_counter = 0 WHERE id = \(draft)") } != nil)
        try s.db.exec("UPDATE package_files SET status = 'match' WHERE package_id = \(draft)")
    }

    @Test func listFiltersAndOrder() throws {
        let s = try makeStore()
        let a = try register(s, manifestBytes(version: "1"))
        let b = try register(s, manifestBytes(version: "2", ecu: "ABS"))
        try Packages.withdraw(s.db, actor: "cam", now: t0, package: a, reason: "r")
        func ids(_ f: PackageFilter) throws -> [Int64] {
            let doc = try CBORReader.decode(try Packages.list(s.db, filter: f))
            return (doc.array ?? []).compactMap { $0["id"]?.int64 }
        }
        #expect(try ids(PackageFilter()) == [a, b])
        #expect(try ids(PackageFilter(ecu: "ABS")) == [b])
        #expect(try ids(PackageFilter(state: .withdrawn)) == [a])
        #expect(try ids(PackageFilter(model: "Aurora")) == [a, b])
        #expect(try ids(PackageFilter(model: "Comet")) == [])
        let parsed = try withBuffer([0xa1, 0x65] + Array("state".utf8) + [0x65] + Array("draft".utf8)) {
            (raw) throws(OTAError) in try PackageFilter.parse(raw)
        }
        #expect(parsed == PackageFilter(state: .draft))
        #expect(try withBuffer([]) { (raw) throws(OTAError) in try PackageFilter.parse(raw) } == PackageFilter())
    }

    @Test func rolesGrantRevokeAndLastAdmin() throws {
        let s = try makeStore()
        #expect(try Roles.grants(s.db, of: "eve").map(\.role) == [.engineer])
        #expect(error { () throws(OTAError) in try Roles.grant(s.db, actor: "eve", now: t0, to: "eve", .admin) }?.code == .denied)
        #expect(error { () throws(OTAError) in try Roles.grant(s.db, actor: "root", now: t0, to: "eve", .engineer) }?.code == .conflict)
        #expect(error { () throws(OTAError) in try Roles.revoke(s.db, actor: "root", now: t0, from: "eve", .gateway) }?.code == .notFound)
        let last = error { () throws(OTAError) in try Roles.revoke(s.db, actor: "root", now: t0, from: "root", .admin) }
        #expect(last?.code == .conflict && last?.message.contains("last admin") == true)
        try Roles.revoke(s.db, actor: "root", now: t0, from: "eve", .engineer)
        #expect(try Roles.grants(s.db, of: "eve").isEmpty)
        #expect(error { () throws(OTAError) in try Roles.named("root") }?.code == .badInput)
        #expect(try Roles.named("campaign-manager") == .campaignManager)
        let actions = try Audit.entries(s.db).map(\.action)
        #expect(actions.first == "role.bootstrap" && actions.last == "role.revoke")
    }

    /// A manifest of exactly `total` bytes with no "requires" (its canonical form writes out
    /// `"requires": []`, 10 bytes more), padded with hardware part numbers of 255 bytes (257
    /// encoded) and one or two shorter ones (24 to 255 bytes: a 2-byte head) for the rest.
    static func manifestOfSize(_ total: Int, version: String) -> [UInt8] {
        func part(_ name: String, _ bytes: Int) -> String { name + String(repeating: "x", count: bytes - name.utf8.count) }
        let base = manifestBytes(version: version, hw: []).count + 2   // the list's head grows by 2
        let full = (total - base - 26) / 257
        var hw = (0..<full).map { part("HW-\($0)-", 255) }
        let rest = total - base - full * 257                            // 26 ... 282 bytes
        if rest - 2 <= 255 {
            hw.append(part("HW-last-", rest - 2))
        } else {
            hw += [part("HW-a-", 128), part("HW-b-", rest - 4 - 128)]
        }
        return manifestBytes(version: version, hw: hw)
    }

    @Test func aManifestWhoseCanonicalFormIsTooLongIsRefusedAtRegistration() throws {
        let s = try makeStore()
        let limit = ManifestParser.maxBytes
        let tooLong = Self.manifestOfSize(limit - 4, version: "1.0")
        #expect(tooLong.count == limit - 4)
        let e = error { () throws(OTAError) in try register(s, tooLong) }
        #expect(e?.code == .badInput && e?.message.contains("canonical form") == true)
        // one that fits with its defaults written out registers and reads back
        let fits = Self.manifestOfSize(limit - 10, version: "1.1")
        #expect(fits.count == limit - 10)
        let id = try register(s, fits)
        #expect(try Packages.info(s.db, package: id).count > limit)
    }

    @Test func aTamperedAuditSequenceIsCorruptNotATrap() throws {
        let s = try makeStore()
        try s.db.exec("INSERT INTO audit(seq, at, actor, action, subject, detail, hash) VALUES(9223372036854775807, 1, 'x', 'x', '', NULL, zeroblob(32))")
        let e = error { () throws(OTAError) in try Roles.grant(s.db, actor: "root", now: t0, to: "zed", .engineer) }
        #expect(e?.code == .corrupt && e?.message.contains("9223372036854775807") == true)
    }
}
