"""The one retry the dal does itself: the items a batch call leaves unprocessed.

botocore already retries what DynamoDB refuses whole (throttling, 5xx) with its own backoff, so
nothing here catches those. What it cannot retry is a *partial* answer: BatchWriteItem's
``UnprocessedItems`` and BatchGetItem's ``UnprocessedKeys`` come back in a successful response,
and AWS asks the caller to resend them with exponential backoff. These two functions do that, with
full jitter, and return what is still left after the last attempt: each caller says in its own
words what that means (a 503 the client resends, an erasure to send again).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from leadwire.core.capacity import CapacityMeter

ATTEMPTS: Final = 6
BASE_DELAY: Final = 0.05  # seconds; doubles each attempt (full jitter)
MAX_DELAY: Final = 1.0

Item = dict[str, Any]
Sleep = Callable[[float], None]


def _pause(attempt: int, sleep: Sleep | None, base_delay: float) -> None:
    if attempt:
        (sleep or time.sleep)(random.uniform(0, min(base_delay * 2**attempt, MAX_DELAY)))


def write_all(
    client: Any,
    table: str,
    requests: list[Item],
    on_written: Callable[[Item], None],
    *,
    attempts: int = ATTEMPTS,
    sleep: Sleep | None = None,
    base_delay: float = BASE_DELAY,
) -> list[Item]:
    """BatchWriteItem of at most 25 put or delete requests; ``on_written`` gets each request that
    was written (the capacity meter). Returns the requests still unprocessed."""
    pending = requests
    for attempt in range(attempts):
        if not pending:
            break
        _pause(attempt, sleep, base_delay)
        response = client.batch_write_item(RequestItems={table: pending})
        unprocessed = response.get("UnprocessedItems", {}).get(table, [])
        for request in pending:
            if request not in unprocessed:
                on_written(request)
        pending = unprocessed
    return pending


def written_item(request: Item) -> Item:
    """What a write request wrote (the item put, or the key deleted): what it is billed for."""
    return request["PutRequest"]["Item"] if "PutRequest" in request else request["DeleteRequest"]["Key"]


def get_all(
    client: Any,
    table: str,
    keys: list[Item],
    on_read: Callable[[Item], None],
    *,
    options: Item | None = None,
    attempts: int = ATTEMPTS,
    sleep: Sleep | None = None,
    base_delay: float = BASE_DELAY,
) -> tuple[list[Item], list[Item]]:
    """BatchGetItem of at most 100 keys (``options``: a projection, consistency); ``on_read`` gets
    each item found. Returns the items found and the keys still unprocessed."""
    found: list[Item] = []
    pending = keys
    for attempt in range(attempts):
        if not pending:
            break
        _pause(attempt, sleep, base_delay)
        response = client.batch_get_item(RequestItems={table: {"Keys": pending, **(options or {})}})
        for item in response.get("Responses", {}).get(table, []):
            on_read(item)
            found.append(item)
        pending = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    return found, pending


BATCH_GET_LIMIT: Final = 100
_KEY_NAMES: Final = {"#pk": "pk", "#sk": "sk"}


def stored_keys(
    client: Any, table: str, keys: list[Item], meter: CapacityMeter, kind: str, what: str
) -> set[tuple[str, str]]:
    """Which of ``keys`` (any number) name a stored item, as (pk, sk): BatchGetItem of 100 keys a
    call, keys only, eventually consistent, each key answered metered as ``kind`` (each is
    charged on its own: half a unit). ``StorageUnavailable``, naming ``what``, when keys stay
    unread."""
    from leadwire.core.errors import StorageUnavailable

    stored: set[tuple[str, str]] = set()
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        chunk = keys[start : start + BATCH_GET_LIMIT]
        items, pending = get_all(
            client,
            table,
            chunk,
            lambda item: None,
            options={"ProjectionExpression": "#pk, #sk", "ExpressionAttributeNames": _KEY_NAMES},
        )
        for _ in range(len(chunk) - len(pending)):
            meter.record_read(1, consistent=False, kind=kind)
        if pending:
            raise StorageUnavailable(f"{what} could not all be read; retry shortly", {"retryable": True})
        stored.update((item["pk"]["S"], item["sk"]["S"]) for item in items)
    return stored
