"""Idempotence: the tokens of the last ``DEDUPE_WINDOW`` applied message ids, in arrival order.

Ingestion already writes one item per ``messageId`` and the stream filter passes INSERTs only,
so a duplicate reaches the engine only when the stream redelivers a batch after a failure. The
window must hold at least the events one lead can contribute to one batch (the segmentation
handler bounds that). A token is 48 bits of SHA-256 in 8 base64url characters, so a false
"already seen" has probability about ``DEDUPE_WINDOW / 2**48`` per event (5e-13).
"""

from __future__ import annotations

import base64
import hashlib
from itertools import zip_longest

DEDUPE_WINDOW = 100
TOKEN_LENGTH = 8


def token(message_id: str) -> str:
    digest = hashlib.sha256(message_id.encode("utf-8")).digest()[:6]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def tokens(stored: str) -> list[str]:
    """The tokens of a stored window, oldest first."""
    return [stored[i : i + TOKEN_LENGTH] for i in range(0, len(stored), TOKEN_LENGTH)]


def union(first: str, second: str) -> str:
    """Two stored windows as one, bounded to ``DEDUPE_WINDOW``, keeping the newest tokens of each.

    The windows hold arrival order per lead only, so they are interleaved from their newest ends
    (``first``'s newest, ``second``'s newest, ...): each keeps at least its newest half of the window.
    """
    newest_first: dict[str, None] = {}
    for pair in zip_longest(reversed(tokens(first)), reversed(tokens(second))):
        newest_first.update((key, None) for key in pair if key is not None)
    return "".join(reversed(list(newest_first)[:DEDUPE_WINDOW]))


class RecentMessages:
    """The stored form is one string of concatenated tokens, oldest first."""

    def __init__(self, stored: str) -> None:
        self._tokens = tokens(stored)
        self._seen = set(self._tokens)

    def first_time(self, message_id: str) -> bool:
        """Remember ``message_id``; False if it is already in the window."""
        key = token(message_id)
        if key in self._seen:
            return False
        self._tokens.append(key)
        self._seen.add(key)
        return True

    def stored(self) -> str:
        return "".join(self._tokens[-DEDUPE_WINDOW:])
