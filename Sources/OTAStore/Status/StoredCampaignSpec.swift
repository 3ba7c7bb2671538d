import OTACore

/// The campaign's stored spec (canonical CBOR) as the model ingestion's policy reads.
enum StoredCampaignSpec {
    static func decode(_ bytes: [UInt8]) throws(OTAError) -> CampaignSpec {
        try CampaignSpecParser.parse(bytes)
    }
}
