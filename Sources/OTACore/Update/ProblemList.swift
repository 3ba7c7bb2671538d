/// Collects every problem found in a document, so that one error reports them all
/// ("files[2].sha256: expected 32 bytes, found 16; models: empty list").
public struct ProblemList {
    /// Problems beyond this many are counted, not listed, so the message stays readable.
    public static let listed = 32
    public private(set) var items: [String] = []

    public init() {}

    public var isEmpty: Bool { items.isEmpty }

    public mutating func add(_ path: String, _ problem: String) {
        items.append(path + ": " + problem)
    }

    /// `.badInput` naming every problem, or nil when there is none.
    public func error(_ document: String) -> OTAError? {
        guard !items.isEmpty else { return nil }
        var message = document + " has \(items.count) problem" + (items.count == 1 ? "" : "s") + ": "
        for (i, item) in items.prefix(ProblemList.listed).enumerated() {
            if i > 0 { message += "; " }
            message += item
        }
        if items.count > ProblemList.listed {
            message += "; and \(items.count - ProblemList.listed) more"
        }
        return .badInput(message)
    }
}
