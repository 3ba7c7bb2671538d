"""Status reports and statistics (include/ota.h, section "Status reports and statistics"):
ingestion of vehicles' reports, vehicle keys, campaign statistics and per-vehicle rows.
Documents are CBOR bytes (docs/schemas/status-report.cddl, campaign-stats.cddl,
campaign-vehicles.cddl); decode them with cbor2."""
from ._native import cstr, lib

FAST_INGEST = 0x4  # ota_open_options.flags: ingestion commits with synchronous = NORMAL


def topic(vin):
    """The topic a vehicle publishes its status on."""
    return f"ota/v1/vehicles/{vin}/status"


class Status:
    """Status ingestion and statistics on an open `Store`. Every method raises `OTAError` on
    failure; a rejected report is not a failure (its result says why)."""

    def __init__(self, store):
        self.store = store

    def set_key(self, actor, now, vin, public_key):
        if len(public_key) != 32:
            raise ValueError("an Ed25519 public key has 32 bytes")
        self.store.check(lib.ota_vehicle_set_key(self.store.handle, cstr(actor), now, cstr(vin), bytes(public_key)))

    def ingest(self, actor, now, topic_, report):
        """One report (bytes); returns the CBOR result document."""
        return self.store.call_buf(lib.ota_status_ingest, cstr(actor), now, cstr(topic_), report, len(report))

    def ingest_batch(self, actor, now, batch):
        """A CBOR array of [topic, report-bytes] (bytes); returns the CBOR array of results."""
        return self.store.call_buf(lib.ota_status_ingest_batch, cstr(actor), now, batch, len(batch))

    def stats(self, campaign, now):
        return self.store.call_buf(lib.ota_campaign_stats, campaign, now)

    def vehicles(self, campaign, filter_=b""):
        return self.store.call_buf(lib.ota_campaign_vehicles, campaign, filter_ or None, len(filter_))
