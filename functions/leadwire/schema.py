"""The single-table layout, shared by the CDK stack, the local runtime and the adapters.

Pure constants and key builders: no boto3 here, so infra/ and the core can import it.

Item types (pk / sk):

=================  ============================  ===================================
item               pk                            sk
=================  ============================  ===================================
event              LEAD#<leadId>                 EVT#<messageId>
lead state         LEAD#<leadId>                 STATE
membership hist.   LEAD#<leadId>                 HIST#@<version> (one page per save)
  (before pages)   LEAD#<leadId>                 HIST#<segmentId>#<enteredAt>
delivery           LEAD#<leadId>                 DLV#<deliveryId>
segment override   DEF#SEGMENT                   <segmentId>
trigger override   DEF#TRIGGER                   <triggerId>
definitions ver.   DEF#VERSION                   VERSION
alias              ALIAS#<anonymousId>           ALIAS
segment member     SEG#<segmentId>               MEM#<leadId>
timer              TIMER#<triggerId>             <leadId>#<matchKey>
trigger fire       LEAD#<leadId>                 FIRE#<fireId>
on-site message    LEAD#<leadId>                 ONSITE#<deliveryId>
on-site closure    LEAD#<leadId>                 ONSITE#<deliveryId>#closed
suppressed id      SUPPRESSED#<sha256(id)>       SUPPRESSED
erased delivery    ERASED#<erasureId>            DLV#<deliveryId>
account            ACCOUNT#<accountId>           ACCOUNT
account lead       ACCOUNT#<accountId>           LEAD#<leadId>
texted number      PHONE#<e164>                  PHONE
=================  ============================  ===================================

Events are keyed by ``messageId`` alone, never by a timestamp, so a retried request lands on the
same key whatever its clock-skew correction computes; the stream filter passes only INSERTs of
event items, so an identical re-put (AWS: no record; moto: a MODIFY) never reaches the engine.

The sparse ``due`` index holds lead-state items that carry ``duePk``/``dueSk``: the instant the
sweep must look at the lead again (a window sliding out, an ``older_than`` threshold, decay
crossing a threshold), partitioned by UTC hour and sorted by instant, so the sweep reads only the
leads due since its checkpoint, one range query per hour, however many leads are not due.

The sparse ``leads`` index lists every lead without scanning events. Lead-state items carry
``leadShard``/``leadSk`` from creation and never change them (``lead_shard`` is a stable hash of
the lead id), and the index projects keys only: it costs one index write per lead lifetime, since
an update that leaves the index keys unchanged writes nothing to a KEYS_ONLY index. The
re-evaluation job (after a segment or scoring change) pages through all leads shard by shard,
``LEAD_SHARDS`` partitions queried independently so no single index partition runs hot.

The sparse ``deliveries`` index lists a trigger's delivery-log items by time: delivery items carry
``dlvPk`` (``TRG#<triggerId>#<UTC day>``: one partition per trigger per day, so a busy trigger
does not make one partition hot for ever) and ``dlvSk`` (``<instant>#<deliveryId>``). It projects
keys only: a delivery item is rewritten on every status change (sending, then sent), and an
index whose projected attributes are only its keys is written once, when the item first gets its
keys, as long as the keys do not change; so the instant in the keys is the fire's, which the
rewrites keep. The admin reader fetches the items by key (one BatchGetItem per page).
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime
from typing import Any, Final

PK: Final = "pk"
SK: Final = "sk"
DUE_INDEX: Final = "due"
DUE_PK: Final = "duePk"
DUE_SK: Final = "dueSk"
LEADS_INDEX: Final = "leads"
LEAD_SHARD: Final = "leadShard"
LEAD_SHARD_SK: Final = "leadSk"
LEAD_SHARDS: Final = 16
DELIVERIES_INDEX: Final = "deliveries"
DELIVERY_INDEX_PK: Final = "dlvPk"
DELIVERY_INDEX_SK: Final = "dlvSk"
TTL_ATTRIBUTE: Final = "expiresAt"

LEAD_PREFIX: Final = "LEAD#"
EVENT_PREFIX: Final = "EVT#"
STATE_SK: Final = "STATE"
HISTORY_PREFIX: Final = "HIST#"
DELIVERY_PREFIX: Final = "DLV#"
ALIAS_PREFIX: Final = "ALIAS#"
SEGMENT_PREFIX: Final = "SEG#"
MEMBER_PREFIX: Final = "MEM#"
TIMER_PREFIX: Final = "TIMER#"
FIRE_PREFIX: Final = "FIRE#"
ONSITE_PREFIX: Final = "ONSITE#"
ONSITE_CLOSED_SUFFIX: Final = "#closed"
ACCOUNT_PREFIX: Final = "ACCOUNT#"
ACCOUNT_SK: Final = "ACCOUNT"
# What an account's history, member and fire items carry where a lead's carry its lead id.
ACCOUNT_SUBJECT_PREFIX: Final = "account:"
SUPPRESSED_PREFIX: Final = "SUPPRESSED#"
SUPPRESSED_SK: Final = "SUPPRESSED"
# One item counts every change of the suppression list, so readers can keep their answers while it
# stands still (privacy/known_suppressions.py); no digest (64 hex digits) is "EPOCH".
SUPPRESSION_EPOCH_PK: Final = SUPPRESSED_PREFIX + "EPOCH"
ERASED_PREFIX: Final = "ERASED#"
PHONE_PREFIX: Final = "PHONE#"  # the lead a number was last texted for (an inbound STOP finds it)
PHONE_SK: Final = "PHONE"
SWEEP_PK: Final = "SWEEP"
SWEEP_CHECKPOINT_SK: Final = "CHECKPOINT"

# Lambda event-source-mapping filter for the segmentation consumer: new event items only.
# The local stream pump evaluates exactly this pattern, and the CDK stack deploys it.
EVENT_INSERT_FILTER: Final[dict[str, Any]] = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {SK: {"S": [{"prefix": EVENT_PREFIX}]}}},
}

# The trigger consumer: new events (event triggers, awaited events) and membership history (a
# page's INSERT is a save's enters and exits; MODIFY is for interval items written before pages,
# where an INSERT opened an interval and a MODIFY that set ``out`` closed it).
HISTORY_CHANGE_FILTER: Final[dict[str, Any]] = {
    "eventName": ["INSERT", "MODIFY"],
    "dynamodb": {"Keys": {SK: {"S": [{"prefix": HISTORY_PREFIX}]}}},
}
# The actions consumer: a trigger fired (at once, or when the trigger consumer wrote a woken timer's fire).
FIRE_INSERT_FILTER: Final[dict[str, Any]] = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {SK: {"S": [{"prefix": FIRE_PREFIX}]}}},
}
# The trigger consumer: a timer's state machine woke and marked it fired, writing the fire's
# fields (``fire``) with the mark; the consumer writes the FIRE item from them.
TIMER_FIRED_FILTER: Final[dict[str, Any]] = {
    "eventName": ["MODIFY"],
    "dynamodb": {
        "Keys": {PK: {"S": [{"prefix": TIMER_PREFIX}]}},
        "NewImage": {"status": {"S": ["fired"]}, "fire": {"S": [{"exists": True}]}},
    },
}

KEY_SCHEMA: Final[list[dict[str, str]]] = [
    {"AttributeName": PK, "KeyType": "HASH"},
    {"AttributeName": SK, "KeyType": "RANGE"},
]
ATTRIBUTE_DEFINITIONS: Final[list[dict[str, str]]] = [
    {"AttributeName": PK, "AttributeType": "S"},
    {"AttributeName": SK, "AttributeType": "S"},
    {"AttributeName": DUE_PK, "AttributeType": "S"},
    {"AttributeName": DUE_SK, "AttributeType": "S"},
    {"AttributeName": LEAD_SHARD, "AttributeType": "S"},
    {"AttributeName": LEAD_SHARD_SK, "AttributeType": "S"},
    {"AttributeName": DELIVERY_INDEX_PK, "AttributeType": "S"},
    {"AttributeName": DELIVERY_INDEX_SK, "AttributeType": "S"},
]
GLOBAL_SECONDARY_INDEXES: Final[list[dict[str, Any]]] = [
    {
        "IndexName": DUE_INDEX,
        "KeySchema": [
            {"AttributeName": DUE_PK, "KeyType": "HASH"},
            {"AttributeName": DUE_SK, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    },
    {
        "IndexName": LEADS_INDEX,
        "KeySchema": [
            {"AttributeName": LEAD_SHARD, "KeyType": "HASH"},
            {"AttributeName": LEAD_SHARD_SK, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    },
    {
        "IndexName": DELIVERIES_INDEX,
        "KeySchema": [
            {"AttributeName": DELIVERY_INDEX_PK, "KeyType": "HASH"},
            {"AttributeName": DELIVERY_INDEX_SK, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    },
]
STREAM_VIEW_TYPE: Final = "NEW_AND_OLD_IMAGES"


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """Arguments for ``CreateTable`` that match the CDK stack (used by local mode and tests)."""
    return {
        "TableName": table_name,
        "KeySchema": KEY_SCHEMA,
        "AttributeDefinitions": ATTRIBUTE_DEFINITIONS,
        "GlobalSecondaryIndexes": GLOBAL_SECONDARY_INDEXES,
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
    }


def lead_pk(lead_id: str) -> str:
    return f"{LEAD_PREFIX}{lead_id}"


def lead_id_from_pk(pk: str) -> str:
    return pk.removeprefix(LEAD_PREFIX)


def lead_shard(lead_id: str) -> str:
    """The ``leads`` index partition of a lead: stable across processes (crc32, not ``hash()``)."""
    return lead_shard_key(zlib.crc32(lead_id.encode("utf-8")) % LEAD_SHARDS)


def lead_shard_key(index: int) -> str:
    """The ``leads`` index partition number ``index`` (0 .. LEAD_SHARDS - 1)."""
    return f"LEADS#{index}"


def due_pk(moment: datetime) -> str:
    """The due index's hour bucket of a UTC instant."""
    return f"DUE#{moment.astimezone(UTC):%Y-%m-%dT%H}"


def due_sk(moment_iso: str, lead_id: str) -> str:
    return f"{moment_iso}#{lead_id}"


def delivery_index_pk(trigger_id: str, day: date) -> str:
    """The ``deliveries`` index partition of a trigger's deliveries on one UTC day."""
    return f"TRG#{trigger_id}#{day:%Y-%m-%d}"


def delivery_index_sk(at: datetime, delivery_id: str) -> str:
    """The ``deliveries`` index sort key: the instant (UTC, ms, ``Z``: sorts in time order), then the id.

    Pass the fire's instant, the same on every rewrite of the delivery: keys that never change
    keep the keys-only index at one write per delivery. Its partition is ``delivery_index_pk(trigger,
    at's UTC date)``.
    """
    utc = at.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z#{delivery_id}"


def delivery_index_keys(trigger_id: str, at: datetime, delivery_id: str) -> dict[str, dict[str, str]]:
    """Both ``deliveries`` index attributes of a delivery item, ready to merge into the item."""
    return {
        DELIVERY_INDEX_PK: {"S": delivery_index_pk(trigger_id, at.astimezone(UTC).date())},
        DELIVERY_INDEX_SK: {"S": delivery_index_sk(at, delivery_id)},
    }


def event_sk(message_id: str) -> str:
    return f"{EVENT_PREFIX}{message_id}"


def timer_pk(trigger_id: str) -> str:
    return f"{TIMER_PREFIX}{trigger_id}"


def fire_sk(fire_id: str) -> str:
    return f"{FIRE_PREFIX}{fire_id}"


def alias_pk(anonymous_id: str) -> str:
    return f"{ALIAS_PREFIX}{anonymous_id}"


def segment_pk(segment_id: str) -> str:
    return f"{SEGMENT_PREFIX}{segment_id}"


def member_sk(lead_id: str) -> str:
    return f"{MEMBER_PREFIX}{lead_id}"


# Per lead: the recent sends that frequency caps count (one item, pruned to the longest cap).
SEND_LOG_SK: Final = "SENDS"


def onsite_sk(message_id: str) -> str:
    """A pending on-site message: queried with its closures by the prefix ``ONSITE#``."""
    return f"{ONSITE_PREFIX}{message_id}"


def onsite_closed_sk(message_id: str) -> str:
    return f"{ONSITE_PREFIX}{message_id}{ONSITE_CLOSED_SUFFIX}"
