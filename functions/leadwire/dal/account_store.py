"""DynamoDB adapter for accounts (B2B): one account item and one small link item per lead.

* account (``ACCOUNT#<accountId>`` / ``ACCOUNT``): traits from ``group`` calls (merged
  last-writer-wins per key by event time), and the score aggregate of ``leadwire.core.accounts``
  (``ref``, ``weighted``, ``level``, ``leads``), which lead updates change with ``ADD`` only.
  With account segments, it also carries ``duePk``/``dueSk`` (the sparse ``due`` index, under
  ``account:<accountId>``) while decay may take the account across a score threshold: the
  sweep reads it beside the leads due and settles the account at that instant.
* link (``ACCOUNT#<accountId>`` / ``LEAD#<leadId>``): that lead's part (points, instant, trait
  points). Listing an account's leads is a paged query of this partition, never one big item.

A lead's update is one ``TransactWriteItems``: the link item, conditioned on the version read,
and the ``ADD`` of the difference on the account item, conditioned on its ``ref``. A retry after a
crash reads the link again, so the difference is never added twice. It is written only when the
lead's part really moved (scored points or trait points; decay alone and unscored events never
write), at most once per lead per stream batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.account_segments import AccountFacts
from leadwire.core.accounts import (
    AccountTotals,
    Contribution,
    account_view,
    count_deltas,
    delta,
    needs_rebase,
    rebased,
    score_curves,
    unchanged,
)
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.instants import iso
from leadwire.core.leads import Transition
from leadwire.core.rules import Definitions, Scoring
from leadwire.core.rules.account_view import AccountView
from leadwire.core.rules.traits import merge_traits
from leadwire.dal.lead_items import history_entry_item, history_from_item, member_item, member_key
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.partition_query import partition_items
from leadwire.dal.segment_stats import Flip, SegmentStats, segment_counter

LINK_PREFIX = schema.LEAD_PREFIX
MAX_ATTEMPTS = 6
CONFLICTS = ("ConditionalCheckFailedException", "TransactionCanceledException")


class AccountConflict(Exception):
    """Concurrent writers kept changing the account or the link; the stream batch retries."""


@dataclass(frozen=True)
class AccountRecord:
    account_id: str
    traits: dict[str, Any] = field(default_factory=dict)
    trait_stamps: dict[str, int] = field(default_factory=dict)
    totals: AccountTotals = field(default_factory=AccountTotals)
    version: int = 0
    members: dict[str, int] = field(default_factory=dict)  # account segment id -> entered at
    members_version: int = 0
    weighted_number: str = "0"  # as stored: the rebase's guard compares it exactly
    due_at: datetime | None = None  # when the sweep settles the account again (decay)

    def facts(self, definitions: Definitions, parts: Callable[[], Iterable[Contribution]]) -> AccountFacts:
        """What the account's segments read of it (``parts`` is read for a ``max`` score only)."""
        curves = score_curves(self.totals, definitions, parts)
        return AccountFacts(self.account_id, curves, self.traits, self.totals.counts, self.members)


def account_key(account_id: str) -> dict[str, dict[str, str]]:
    return {schema.PK: {"S": schema.ACCOUNT_PREFIX + account_id}, schema.SK: {"S": schema.ACCOUNT_SK}}


def link_key(account_id: str, lead_id: str) -> dict[str, dict[str, str]]:
    return {schema.PK: {"S": schema.ACCOUNT_PREFIX + account_id}, schema.SK: {"S": LINK_PREFIX + lead_id}}


def _number(value: float | int) -> dict[str, str]:
    return {"N": repr(float(value)) if isinstance(value, float) else str(value)}


def _record(item: Mapping[str, Any]) -> AccountRecord:
    return AccountRecord(
        account_id=item[schema.PK]["S"].removeprefix(schema.ACCOUNT_PREFIX),
        traits=json.loads(item["traits"]["S"]) if "traits" in item else {},
        trait_stamps=json.loads(item["traitStamps"]["S"]) if "traitStamps" in item else {},
        totals=AccountTotals(
            ref=int(item["ref"]["N"]),
            weighted=float(item.get("weighted", {"N": "0"})["N"]),
            level=float(item.get("level", {"N": "0"})["N"]),
            leads=int(float(item.get("leads", {"N": "0"})["N"])),
            counts={
                segment: int(float(value["N"]))
                for segment, value in item.get("counts", {"M": {}})["M"].items()
                if int(float(value["N"]))
            },
        ),
        version=int(item.get("v", {"N": "0"})["N"]),
        members=json.loads(item["members"]["S"]) if "members" in item else {},
        members_version=int(item.get("mv", {"N": "0"})["N"]),
        weighted_number=item.get("weighted", {"N": "0"})["N"],
        due_at=datetime.fromisoformat(item[schema.DUE_SK]["S"].split("#", 1)[0])
        if schema.DUE_SK in item
        else None,
    )


def account_subject(account_id: str) -> str:
    """How an account appears where a lead id would: history, fires, the due index."""
    return schema.ACCOUNT_SUBJECT_PREFIX + account_id


def _part(item: Mapping[str, Any]) -> Contribution:
    return Contribution(
        points=float(item["p"]["N"]),
        at=int(item["a"]["N"]) if "a" in item else None,
        level=float(item["l"]["N"]),
        segments=frozenset(item["segs"]["SS"]) if "segs" in item else frozenset(),
    )


class AccountStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER
        self._stats = SegmentStats(client, table_name, meter=self._meter)

    # -- reads -----------------------------------------------------------------------------------
    def get(self, account_id: str) -> AccountRecord | None:
        item = self._get(account_key(account_id))
        return None if item is None else _record(item)

    def view(self, account_id: str, definitions: Definitions) -> AccountView | None:
        record = self.get(account_id)
        if record is None:
            return None
        return account_view(
            account_id, record.traits, record.totals, definitions, lambda: self.parts(account_id)
        )

    def lead_page(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        """One page of the account's lead ids, in id order, and the cursor of the next page."""
        request = {
            **self._partition_query(account_id, LINK_PREFIX),
            "ProjectionExpression": "sk",
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = link_key(account_id, cursor)
        response = self._client.query(**request)
        items = response.get("Items", [])
        self._meter.record_read(sum(item_size(item) for item in items) or 1, consistent=False, kind="account")
        lead_ids = [item["sk"]["S"].removeprefix(LINK_PREFIX) for item in items]
        more = "LastEvaluatedKey" in response and lead_ids
        return lead_ids, lead_ids[-1] if more else None

    def parts(self, account_id: str) -> Iterator[Contribution]:
        """Every lead's part, page by page (what ``max`` reads)."""
        return (part for _lead_id, part in self.linked(account_id))

    def linked(self, account_id: str) -> Iterator[tuple[str, Contribution]]:
        """(lead id, its part) for every lead of the account, page by page, in id order."""
        items = self._items(account_id, LINK_PREFIX)
        yield from ((item[schema.SK]["S"].removeprefix(LINK_PREFIX), _part(item)) for item in items)

    # -- writes ----------------------------------------------------------------------------------
    def merge_traits(self, account_id: str, traits: Mapping[str, Any], at_ms: int) -> None:
        """A ``group`` call's traits, each kept if newer than the stored one (event time)."""
        if not traits:
            return
        for _ in range(MAX_ATTEMPTS):
            record = self._ensure(account_id, at_ms // 1000)
            merged, stamps = dict(record.traits), dict(record.trait_stamps)
            if not merge_traits(merged, stamps, traits, at_ms) and stamps == record.trait_stamps:
                return
            update: dict[str, Any] = {
                "TableName": self._table,
                "Key": account_key(account_id),
                "UpdateExpression": "SET traits = :t, traitStamps = :s, v = :next",
                "ConditionExpression": "v = :v",
                "ExpressionAttributeValues": {
                    ":t": {"S": json.dumps(merged, sort_keys=True, separators=(",", ":"))},
                    ":s": {"S": json.dumps(stamps, sort_keys=True, separators=(",", ":"))},
                    ":v": _number(record.version),
                    ":next": _number(record.version + 1),
                },
            }
            if self._written(self._client.update_item, **update):
                self._meter.record_write({**account_key(account_id), **update["ExpressionAttributeValues"]})
                return
        raise AccountConflict(account_id)

    def link(
        self, account_id: str, lead_id: str, part: Contribution | None, definitions: Definitions
    ) -> bool:
        """Make the lead's stored part ``part`` (``None``: remove the lead from the account).
        True if anything was written."""
        scoring = definitions.scoring
        for _ in range(MAX_ATTEMPTS):
            link_item = self._get(link_key(account_id, lead_id))
            old = None if link_item is None else _part(link_item)
            if part is None and old is None:
                return False
            record = self._ensure(account_id, (part.at if part and part.at is not None else 0))
            ref = record.totals.ref
            if part is not None and needs_rebase(ref, part, scoring):
                self._rebase(record, part.at or ref, scoring)
                continue
            if part is not None and unchanged(old, part, ref, scoring):
                return False
            if self._written(self._transact, account_id, lead_id, old, link_item, part, ref, scoring):
                return True
        raise AccountConflict(account_id)

    def save_memberships(
        self,
        record: AccountRecord,
        members: dict[str, int],
        transitions: list[Transition],
        due_at: datetime | None = None,
    ) -> bool:
        """The account's new account-segment memberships and due instant, then their member and
        history items (each write idempotent). False if another writer moved them first (the
        caller re-reads)."""
        values: dict[str, Any] = {
            ":m": {"S": json.dumps(members, sort_keys=True, separators=(",", ":"))},
            ":mv": _number(record.members_version),
            ":next": _number(record.members_version + 1),
        }
        if due_at is None:
            expression = "SET members = :m, mv = :next REMOVE #duePk, #dueSk"
        else:
            expression = "SET members = :m, mv = :next, #duePk = :duePk, #dueSk = :dueSk"
            values[":duePk"] = {"S": schema.due_pk(due_at)}
            values[":dueSk"] = {"S": schema.due_sk(iso(due_at), account_subject(record.account_id))}
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": account_key(record.account_id),
            "UpdateExpression": expression,
            "ConditionExpression": "attribute_not_exists(mv) OR mv = :mv",
            "ExpressionAttributeNames": {"#duePk": schema.DUE_PK, "#dueSk": schema.DUE_SK},
            "ExpressionAttributeValues": values,
        }
        if not self._written(self._client.update_item, **update):
            return False
        self._meter.record_write(
            {**account_key(record.account_id), **update["ExpressionAttributeValues"]}, kind="account"
        )
        for transition in transitions:
            self._write_change(record.account_id, transition)
        return True

    def history(self, account_id: str) -> list[dict[str, Any]]:
        """Membership intervals of the account, as lead history gives them."""
        entries = [history_from_item(item) for item in self._items(account_id, schema.HISTORY_PREFIX)]
        return sorted(entries, key=lambda entry: (entry["enteredAt"], entry["segmentId"]))

    # -- internals -------------------------------------------------------------------------------
    def _transact(
        self,
        account_id: str,
        lead_id: str,
        old: Contribution | None,
        link_item: Mapping[str, Any] | None,
        part: Contribution | None,
        ref: int,
        scoring: Scoring,
    ) -> None:
        weighted, level, leads = delta(old, part, ref, scoring)
        version = 0 if link_item is None else int(link_item["v"]["N"])
        guard = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if link_item is None
            else {"ConditionExpression": "v = :v", "ExpressionAttributeValues": {":v": _number(version)}}
        )
        if part is None:
            key = link_key(account_id, lead_id)
            link_write: dict[str, Any] = {"Delete": {"TableName": self._table, "Key": key, **guard}}
            written: dict[str, dict[str, Any]] = dict(link_key(account_id, lead_id))
        else:
            written = {
                **link_key(account_id, lead_id),
                "p": _number(part.points),
                "l": _number(part.level),
                "v": _number(version + 1),
                **({"a": _number(part.at)} if part.at is not None else {}),
                **({"segs": {"SS": sorted(part.segments)}} if part.segments else {}),
            }
            link_write = {"Put": {"TableName": self._table, "Item": written, **guard}}
        counters = sorted(count_deltas(old, part).items())
        add: dict[str, Any] = {
            "TableName": self._table,
            "Key": account_key(account_id),
            "UpdateExpression": "ADD "
            + ", ".join(
                ["weighted :w", "#level :l", "leads :n"]
                + [f"counts.#c{i} :c{i}" for i in range(len(counters))]
            ),
            "ConditionExpression": "#ref = :ref",
            "ExpressionAttributeNames": {
                "#level": "level",
                "#ref": "ref",
                **{f"#c{i}": segment for i, (segment, _) in enumerate(counters)},
            },
            "ExpressionAttributeValues": {
                ":w": _number(weighted),
                ":l": _number(level),
                ":n": _number(leads),
                ":ref": _number(ref),
                **{f":c{i}": _number(change) for i, (_, change) in enumerate(counters)},
            },
        }
        self._client.transact_write_items(TransactItems=[link_write, {"Update": add}])
        for _ in range(2):  # a transactional write costs twice the units of a plain one
            self._meter.record_write(written, kind="account")
            self._meter.record_write(
                {**account_key(account_id), **add["ExpressionAttributeValues"]}, kind="account"
            )

    def _write_change(self, account_id: str, transition: Transition) -> None:
        """Like a lead's interval item and member item, under ``account:<accountId>``."""
        change, subject = transition.change, account_subject(account_id)
        key = {
            schema.PK: {"S": schema.ACCOUNT_PREFIX + account_id},
            schema.SK: {"S": f"{schema.HISTORY_PREFIX}{change.segment_id}#{iso(transition.entered_at)}"},
        }
        if change.kind == "entered":
            entry = {**history_entry_item(subject, transition), **key, "account": {"S": account_id}}
            self._client.put_item(TableName=self._table, Item=entry)
            self._meter.record_write(entry, kind="account")
            member = {**member_item(account_id, transition), "account": {"S": account_id}}
            old = self._client.put_item(TableName=self._table, Item=member, ReturnValues="ALL_OLD")
            self._meter.record_write(member, kind="account")
            if not old.get("Attributes"):
                self._stats.add(subject, segment_counter(change.segment_id), 1)
            self._stats.log_flip(Flip(change.segment_id, subject, "entered", change.at, transition.cause))
            return
        exit_update: dict[str, Any] = {
            "TableName": self._table,
            "Key": key,
            "UpdateExpression": "SET #out = :out, outCause = :cause",
            "ExpressionAttributeNames": {"#out": "out"},
            "ExpressionAttributeValues": {":out": {"S": iso(change.at)}, ":cause": {"S": transition.cause}},
        }
        self._client.update_item(**exit_update)
        self._meter.record_write({**key, **exit_update["ExpressionAttributeValues"]}, kind="account")
        gone = self._client.delete_item(
            TableName=self._table, Key=member_key(change.segment_id, account_id), ReturnValues="ALL_OLD"
        )
        self._meter.record_write(member_key(change.segment_id, account_id), kind="account")
        if gone.get("Attributes"):
            self._stats.add(subject, segment_counter(change.segment_id), -1)
        self._stats.log_flip(Flip(change.segment_id, subject, "exited", change.at, transition.cause))

    def _ensure(self, account_id: str, ref: int) -> AccountRecord:
        """The account item, created (with ``ref``) if absent."""
        item = self._get(account_key(account_id))
        if item is not None:
            return _record(item)
        created: dict[str, dict[str, Any]] = {
            **account_key(account_id),
            "ref": _number(ref),
            "weighted": _number(0),
            "level": _number(0),
            "leads": _number(0),
            "counts": {"M": {}},
            "v": _number(0),
        }
        put = {"TableName": self._table, "Item": created, "ConditionExpression": "attribute_not_exists(pk)"}
        if self._written(self._client.put_item, **put):
            self._meter.record_write(created, kind="account")
            return _record(created)
        item = self._get(account_key(account_id))
        assert item is not None  # another writer just created it
        return _record(item)

    def _rebase(self, record: AccountRecord, ref: int, scoring: Scoring) -> None:
        moved = rebased(record.totals, ref, scoring)
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": account_key(record.account_id),
            "UpdateExpression": "SET weighted = :w, #ref = :new",
            "ConditionExpression": "#ref = :old AND weighted = :was",
            "ExpressionAttributeNames": {"#ref": "ref"},
            "ExpressionAttributeValues": {
                ":w": _number(moved.weighted),
                ":new": _number(ref),
                ":old": _number(record.totals.ref),
                ":was": {"N": record.weighted_number},
            },
        }
        if self._written(self._client.update_item, **update):
            self._meter.record_write(
                {**account_key(record.account_id), **update["ExpressionAttributeValues"]}
            )

    def _items(self, account_id: str, prefix: str) -> Iterator[dict[str, Any]]:
        pk = schema.ACCOUNT_PREFIX + account_id
        return partition_items(self._client, self._table, pk, self._meter, "account", prefix=prefix)

    def _partition_query(self, account_id: str, prefix: str) -> dict[str, Any]:
        """A query of the account's items whose sort key starts with ``prefix``."""
        return {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": schema.ACCOUNT_PREFIX + account_id},
                ":prefix": {"S": prefix},
            },
        }

    def _get(self, key: dict[str, dict[str, str]]) -> dict[str, Any] | None:
        item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        self._meter.record_read(item_size(item) if item else 1, kind="account")
        return item

    @staticmethod
    def _written(write: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Run ``write``; False if a condition failed (someone else wrote first)."""
        try:
            write(*args, **kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] in CONFLICTS:
                return False
            raise
        return True
