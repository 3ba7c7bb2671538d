import OTACore

/// The campaign's stored spec (canonical CBOR) as the model ingestion's policy reads.
enum StoredCampaignSpec {
    static func decode(_ bytes: [UInt8]) throws(OTAError) -> CampaignSpec {
        throw OTAError(.internalError, "TEMP: spec parser not merged yet")
    }
}
