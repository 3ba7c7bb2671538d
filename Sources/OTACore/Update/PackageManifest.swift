/// A package manifest: one software release for one ECU node (docs/schemas/package.cddl).
/// Built only by `ManifestParser`, which checks every field; encoded back by `canonical`.
public struct PackageManifest: Equatable {
    public var name: String
    /// The package's own version; with `name` it identifies the package in the store.
    public var version: String
    /// The ECU node it updates ("BCM", "ABS", ...), as in fleet snapshots and target rules.
    public var ecu: String
    public var category: PackageCategory
    public var releaseType: ReleaseType
    public var issue: String
    public var commProtocol: CommProtocol
    public var powertrains: [String]
    public var models: [String]
    /// Compatible hardware part numbers.
    public var hardware: [String]
    /// Installed software versions it may be installed over.
    public var fromVersions: [String]
    /// The software version the ECU reports once it is installed.
    public var toVersion: String
    public var files: [PackageFile]
    public var releaseNotes: String
    /// Other ECUs that must be on one of the given versions.
    public var requires: [ECURequirement]
    /// Uptane rollback protection: never lower for the same node and hardware once released.
    public var releaseCounter: Int64

    public init(name: String, version: String, ecu: String, category: PackageCategory,
                releaseType: ReleaseType, issue: String, commProtocol: CommProtocol,
                powertrains: [String], models: [String], hardware: [String],
                fromVersions: [String], toVersion: String, files: [PackageFile],
                releaseNotes: String, requires: [ECURequirement], releaseCounter: Int64) {
        self.name = name
        self.version = version
        self.ecu = ecu
        self.category = category
        self.releaseType = releaseType
        self.issue = issue
        self.commProtocol = commProtocol
        self.powertrains = powertrains
        self.models = models
        self.hardware = hardware
        self.fromVersions = fromVersions
        self.toVersion = toVersion
        self.files = files
        self.releaseNotes = releaseNotes
        self.requires = requires
        self.releaseCounter = releaseCounter
    }
}

public struct PackageFile: Equatable {
    public var name: String
    public var size: Int64
    public var sha256: [UInt8]
    /// Where the artifact is stored ("s3://bucket/key", "https://...").
    public var uri: String

    public init(name: String, size: Int64, sha256: [UInt8], uri: String) {
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.uri = uri
    }
}

public struct ECURequirement: Equatable {
    public var node: String
    public var versions: [String]

    public init(node: String, versions: [String]) {
        self.node = node
        self.versions = versions
    }
}

public enum PackageCategory: String, CaseIterable, Equatable {
    case security, bugfix, feature, recall, calibration
}

public enum ReleaseType: String, CaseIterable, Equatable {
    case critical, routine
}

/// How the ECU is flashed. A closed list, so that "CANFD" or "can" is caught at registration.
public enum CommProtocol: String, CaseIterable, Equatable {
    case can = "CAN"
    case canFD = "CAN-FD"
    case lin = "LIN"
    case flexRay = "FlexRay"
    case ethernetDoIP = "Ethernet-DoIP"
    case ethernetSOMEIP = "Ethernet-SOME/IP"
    case most = "MOST"
    case kLine = "K-Line"
}

extension CaseIterable where Self: RawRepresentable, Self.RawValue == String {
    /// "a, b or c", for messages that list the allowed values.
    public static var allowedList: String {
        var out = ""
        let all = Array(allCases)
        for (i, c) in all.enumerated() {
            if i > 0 { out += i == all.count - 1 ? " or " : ", " }
            out += "'" + c.rawValue + "'"
        }
        return out
    }
}
