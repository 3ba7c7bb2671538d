// swift-tools-version: 6.1
import PackageDescription

// The same sources build here (normal mode, for `swift test`) and in the Makefile's Embedded
// build (`make embedded`), which produces the shipped libota.a and libota.so.
let swiftSettings: [SwiftSetting] = [
    .enableExperimentalFeature("CImplementation"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "libota",
    products: [
        .library(name: "ota", type: .static, targets: ["OTA"]),
        .library(name: "ota-shared", type: .dynamic, targets: ["OTA"]),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCbor", providers: [.apt(["libcbor-dev"])]),
        .systemLibrary(name: "CSodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CShim"),
        .systemLibrary(name: "CByteClass"),
        .systemLibrary(name: "COTA"),
        .target(name: "OTACore", dependencies: ["CCbor", "CSodium", "CByteClass"], swiftSettings: swiftSettings),
        .target(name: "OTAStore", dependencies: ["OTACore", "CSQLite"], swiftSettings: swiftSettings),
        .target(name: "OTA", dependencies: ["OTACore", "OTAStore", "COTA", "CShim", "CSQLite"],
                swiftSettings: swiftSettings),
        .testTarget(name: "OTACoreTests", dependencies: ["OTACore", "CByteClass"], swiftSettings: swiftSettings),
        .testTarget(name: "OTAStoreTests", dependencies: ["OTAStore", "OTACore", "CSQLite"],
                    swiftSettings: swiftSettings),
    ]
)
