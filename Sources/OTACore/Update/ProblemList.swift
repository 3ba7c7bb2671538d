/// Collects the problems found in a document, so that one error reports them together
/// ("files[2].sha256: expected 32 bytes, found 16; models: empty list").
public struct ProblemList {
    /// Problems beyond this many are only counted: the message stays readable, and a hostile
    /// document (50,000 unknown keys) costs a counter per problem, not a string.
    public static let listed = 20
    public private(set) var items: [String] = []
    /// Problems found beyond `listed`.
    public private(set) var unlisted = 0

    public init() {}

    public var isEmpty: Bool { items.isEmpty }
    public var count: Int { items.count + unlisted }
    /// True once no further problem will be listed: a check may stop looking.
    public var isFull: Bool { items.count >= ProblemList.listed }

    /// The path and the text are built only while the problem will be listed.
    public mutating func add(_ path: @autoclosure () -> String, _ problem: @autoclosure () -> String) {
        guard !isFull else {
            unlisted += 1
            return
        }
        items.append(path() + ": " + problem())
    }

    /// `.badInput` naming the listed problems, or nil when there is none.
    public func error(_ document: String) -> OTAError? {
        guard !items.isEmpty else { return nil }
        var message = document + " has \(count) problem" + (count == 1 ? "" : "s") + ": "
        for (i, item) in items.enumerated() {
            if i > 0 { message += "; " }
            message += item
        }
        if unlisted > 0 { message += "; ... and \(unlisted) more" }
        return .badInput(message)
    }
}
