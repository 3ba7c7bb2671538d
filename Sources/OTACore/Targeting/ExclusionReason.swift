/// Why a vehicle was left out of a resolution: the checks in the order in which they are
/// applied. A vehicle is counted under the first one it fails (docs/schemas/resolution.cddl).
public enum ExclusionReason: Int, Equatable, Sendable {
    case vins = 0      // not in "vins", or in "exclude-vins"
    case produced      // outside the production window
    case model
    case variant
    case powertrain
    case market
    case attributes    // an attribute is missing or has another value
    case noECU         // no ECU of the rule's node
    case hw            // no ECU of the node has a compatible hardware part number
    case upToDate      // every remaining ECU of the node is already on "to"
    case from          // no remaining ECU of the node is on one of the "from" versions
    case requires      // another ECU is missing or not on a required version

    public static let all: [ExclusionReason] = [
        .vins, .produced, .model, .variant, .powertrain, .market, .attributes,
        .noECU, .hw, .upToDate, .from, .requires,
    ]

    /// The key in the resolution's "excluded" map.
    public var name: String {
        switch self {
        case .vins: return "vins"
        case .produced: return "produced"
        case .model: return "model"
        case .variant: return "variant"
        case .powertrain: return "powertrain"
        case .market: return "market"
        case .attributes: return "attributes"
        case .noECU: return "no-ecu"
        case .hw: return "hw"
        case .upToDate: return "up-to-date"
        case .from: return "from"
        case .requires: return "requires"
        }
    }
}
