"""Many lead-state items by key at once: BatchGetItem, 100 keys a call, never a query per lead."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.errors import StorageUnavailable
from leadwire.core.leads import LeadRecord
from leadwire.dal.lead_items import lead_from_item, lead_key
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.unprocessed import get_all

BATCH_GET_LIMIT = 100


class LeadBatchReader:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def load_many(self, lead_ids: Iterable[str]) -> dict[str, LeadRecord]:
        """The stored records of ``lead_ids`` (eventually consistent; unknown ids are left out)."""
        ids = sorted(set(lead_ids))
        records: dict[str, LeadRecord] = {}
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            keys = [lead_key(lead_id) for lead_id in ids[start : start + BATCH_GET_LIMIT]]
            items, pending = get_all(self._client, self._table, keys, self._metered)
            if pending:
                raise StorageUnavailable("the lead table is throttled; retry shortly", {"retryable": True})
            for record in map(lead_from_item, items):
                records[record.lead_id] = record
        return records

    def _metered(self, item: dict[str, Any]) -> None:
        self._meter.record_read(item_size(item), consistent=False, kind="lead")
