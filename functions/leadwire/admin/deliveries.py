"""The delivery log through the admin API: what each action of each fire did, per lead or per trigger.

``GET /leads/{id}/deliveries``: the lead's deliveries and those of every anonymous id merged
into it, newest fire first (ties: delivery id, descending), in pages.
``GET /triggers/{id}/deliveries?from=&to=&status=``: the trigger's deliveries fired in
``[from, to]`` (default: the last 7 days; at most ``MAX_RANGE``), newest first, optionally only
some statuses, in pages; a page may hold fewer than ``limit`` when a status filter is given (the
reader examines a bounded number of entries per call): continue while ``cursor`` is not null.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from leadwire.admin.models import DeliveriesPage, DeliveryView
from leadwire.admin.paging import decode_cursor, encode_cursor
from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.core.leads import LeadRecord
from leadwire.dal.delivery_log import IndexPosition, TriggerQuery

DEFAULT_RANGE = timedelta(days=7)
MAX_RANGE = timedelta(days=93)
STATUSES = (
    "sent",
    "sending",
    "failed",
    "deferred",
    "deferred_cap",
    "capped",
    "expired",
    "suppressed",
    "no_consent",
    "skipped",
    "held_out",
    "rejected",
    "unconfirmed",
)


class DeliveryLogPort(Protocol):
    def lead_deliveries(self, lead_id: str) -> list[dict[str, Any]]: ...

    def trigger_deliveries(
        self, query: TriggerQuery, *, limit: int, after: IndexPosition | None = None
    ) -> tuple[list[dict[str, Any]], IndexPosition | None]: ...


def _bad_cursor() -> InvalidRequest:
    return InvalidRequest("cursor is not one this API issued", {"field": "cursor"})


def parse_instant(value: str, field: str) -> datetime:
    """An ISO 8601 instant (``Z`` or an offset; none means UTC)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(
            f"{field}: {value!r} is not an ISO 8601 instant such as 2026-11-02T09:00:00Z", {"field": field}
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_statuses(value: str | None) -> frozenset[str] | None:
    """``status=failed,deferred``: one or more known statuses, comma-separated."""
    if not value:
        return None
    statuses = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(statuses - set(STATUSES))
    if unknown or not statuses:
        raise InvalidRequest(
            f"status: unknown {', '.join(map(repr, unknown))}; statuses are {', '.join(STATUSES)}",
            {"field": "status"},
        )
    return statuses


class DeliveryAdmin:
    def __init__(
        self,
        log: DeliveryLogPort,
        resolve_lead: Callable[[str], LeadRecord | None],
        trigger_exists: Callable[[str], bool],
        now: Callable[[], datetime],
    ) -> None:
        self._log = log
        self._resolve_lead = resolve_lead
        self._trigger_exists = trigger_exists
        self._now = now

    def for_lead(self, lead_id: str, *, limit: int, cursor: str | None) -> DeliveriesPage:
        after = self._lead_position(cursor)
        record = self._resolve_lead(lead_id)
        # An alias resolves to its lead; a lead the engine has not stored yet still shows its log.
        owners = [lead_id] if record is None else [record.lead_id, *record.aliases]
        found = [d for owner in owners for d in self._log.lead_deliveries(owner)]
        if record is None and not found and after is None:
            raise NotFound(f"no lead {lead_id!r}", {"leadId": lead_id})
        ordered = sorted(found, key=_newest_first_key, reverse=True)
        remaining = [d for d in ordered if after is None or _newest_first_key(d) < after]
        page = remaining[:limit]
        next_cursor = None
        if len(remaining) > limit:
            fired_at, delivery_id = _newest_first_key(page[-1])
            next_cursor = encode_cursor({"f": fired_at, "id": delivery_id})
        return DeliveriesPage(deliveries=[DeliveryView.model_validate(d) for d in page], cursor=next_cursor)

    def for_trigger(
        self,
        trigger_id: str,
        *,
        start: str | None,
        end: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> DeliveriesPage:
        query = TriggerQuery(trigger_id, *self._range(start, end), parse_statuses(status))
        after = self._index_position(cursor)
        found, position = self._log.trigger_deliveries(query, limit=limit, after=after)
        if not found and position is None and after is None and not self._trigger_exists(trigger_id):
            # A deleted trigger's log stays readable; an id that never delivered here is unknown.
            raise NotFound(
                f"no trigger {trigger_id!r}, and no deliveries of it in the range", {"triggerId": trigger_id}
            )
        next_cursor = None
        if position is not None:
            next_cursor = encode_cursor(
                {"d": position.day.isoformat(), "s": position.dlv_sk, "p": position.pk, "k": position.sk}
            )
        return DeliveriesPage(deliveries=[DeliveryView.model_validate(d) for d in found], cursor=next_cursor)

    def _range(self, start: str | None, end: str | None) -> tuple[datetime, datetime]:
        until = parse_instant(end, "to") if end else self._now().astimezone(UTC)
        since = parse_instant(start, "from") if start else until - DEFAULT_RANGE
        if since > until:
            raise InvalidRequest("from: must not be after 'to'", {"field": "from"})
        if until - since > MAX_RANGE:
            raise InvalidRequest(
                f"from: the range is at most {MAX_RANGE.days} days; page through shorter ranges",
                {"field": "from"},
            )
        return since, until

    @staticmethod
    def _lead_position(cursor: str | None) -> tuple[str, str] | None:
        position = decode_cursor(cursor)
        if position is None:
            return None
        fired_at, delivery_id = position.get("f"), position.get("id")
        if not isinstance(fired_at, str) or not isinstance(delivery_id, str):
            raise _bad_cursor()
        return fired_at, delivery_id

    @staticmethod
    def _index_position(cursor: str | None) -> IndexPosition | None:
        position = decode_cursor(cursor)
        if position is None:
            return None
        keys = [position.get(name) for name in ("s", "p", "k")]
        if not all(key is None or isinstance(key, str) for key in keys) or not isinstance(
            position.get("d"), str
        ):
            raise _bad_cursor()
        try:
            day = date.fromisoformat(position["d"])
        except ValueError:
            raise _bad_cursor() from None
        return IndexPosition(day, *keys)


def _newest_first_key(delivery: dict[str, Any]) -> tuple[str, str]:
    return str(delivery.get("firedAt") or delivery.get("at")), str(delivery["deliveryId"])
