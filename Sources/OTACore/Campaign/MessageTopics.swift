/// The MQTT topics of design/campaigns.md §5 (docs/messages.md).
public enum MessageTopics {
    /// Offers, reminders, cancels and clears for one vehicle in one campaign (QoS 1, retained).
    public static func vehicle(vin: String, campaign: Int64) -> String {
        "ota/v1/vehicles/\(vin)/campaigns/\(campaign)"
    }

    /// A campaign's events for operators' tools and the host's mailer (QoS 1, not retained).
    public static func events(campaign: Int64) -> String { "ota/v1/campaigns/\(campaign)/events" }

    /// Where vehicles publish their status reports.
    public static func status(vin: String) -> String { "ota/v1/vehicles/\(vin)/status" }
}
