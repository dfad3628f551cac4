"""Items as earlier releases wrote them, for the tests that prove old items still load and that
the migration job rewrites them (the release that changed a shape keeps its writer here)."""

import json
from typing import Any

from leadwire.core.instants import iso
from leadwire.core.leads import LeadRecord
from leadwire.dal.lead_items import lead_to_item


def format_1_lead_item(record: LeadRecord) -> dict[str, Any]:
    """The lead-state item before format 2: no ``f``, tokens inside ``s``, ISO 8601 instants,
    and the outbox (if any) as the model's JSON in ``ob``."""
    item = lead_to_item(record, record.version)
    item.pop("f")
    item.pop("rb", None)
    item.pop("sz", None)  # the state was always text then
    item["s"] = {"S": record.state.to_json()}
    for name, moment in (("ev", record.evaluated_at), ("nf", record.next_flip_at)):
        if moment is not None:
            item[name] = {"S": iso(moment)}
    if "ox" in item:
        item.pop("ox")
        outbox = [transition.model_dump(mode="json") for transition in record.outbox]
        item["ob"] = {"S": json.dumps(outbox)}
    return item
