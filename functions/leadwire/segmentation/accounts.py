"""Accounts in the segmentation consumer: the engine's account port over the account store.

Besides reading and linking (the store's), ``settle`` re-evaluates the account's segments after
one of its leads moved it, and records entries and exits as history items on the account's
partition. Those items carry ``account:<accountId>`` where lead history carries the lead id, so
the reactions consumer turns them into ``enter``/``exit`` triggers like a lead's (the fire is
keyed by that id, which no lead id collides with as long as none starts with ``account:``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from leadwire.core.account_segments import account_evaluation, account_transitions
from leadwire.core.accounts import Contribution
from leadwire.core.leads import Transition, next_due
from leadwire.core.rules import Definitions
from leadwire.core.rules.account_view import AccountView
from leadwire.core.rules.clock import epoch_seconds
from leadwire.dal.account_store import AccountConflict, AccountRecord

MAX_ATTEMPTS = 5
MAX_FLIPS = 100  # time-based flips recorded in one settle (a sweep after a long outage)
ERASURE_CAUSE = "erasure"
TIME_CAUSE = "time"


class AccountStorePort(Protocol):
    def get(self, account_id: str) -> AccountRecord | None: ...

    def view(self, account_id: str, definitions: Definitions) -> AccountView | None: ...

    def parts(self, account_id: str) -> Iterable[Contribution]: ...

    def merge_traits(self, account_id: str, traits: Mapping[str, Any], at_ms: int) -> None: ...

    def link(
        self, account_id: str, lead_id: str, part: Contribution | None, definitions: Definitions
    ) -> bool: ...

    def save_memberships(
        self,
        record: AccountRecord,
        members: dict[str, int],
        transitions: list[Transition],
        due_at: datetime | None = None,
    ) -> bool: ...


class Accounts:
    def __init__(self, store: AccountStorePort) -> None:
        self._store = store

    def view(self, account_id: str, definitions: Definitions) -> AccountView | None:
        return self._store.view(account_id, definitions)

    def merge_traits(self, account_id: str, traits: Mapping[str, Any], at_ms: int) -> None:
        self._store.merge_traits(account_id, traits, at_ms)

    def link(
        self, account_id: str, lead_id: str, part: Contribution | None, definitions: Definitions
    ) -> bool:
        return self._store.link(account_id, lead_id, part, definitions)

    def advance(
        self, account_id: str, definitions: Definitions, now: datetime, versions: Mapping[str, str]
    ) -> list[Transition]:
        """The sweep's call: the flips time alone brought since the account's due instant, each
        recorded at its own instant (cause ``time``), however late the sweep runs."""
        return self.settle(account_id, definitions, now, TIME_CAUSE, versions, swept=True)

    def settle(
        self,
        account_id: str,
        definitions: Definitions,
        now: datetime,
        cause: str,
        versions: Mapping[str, str],
        *,
        swept: bool = False,
    ) -> list[Transition]:
        """Evaluate the account's segments at ``now`` and record what changed (``cause``: the
        lead that moved it; ``versions``: each segment's definition version, for history), with
        the instant the sweep must look again (decay taking the score across a threshold).
        ``swept``: start from the stored due instant instead (``advance``)."""
        if not definitions.account_segments:
            return []
        for _ in range(MAX_ATTEMPTS):
            record = self._store.get(account_id)
            if record is None or (swept and (record.due_at is None or record.due_at > now)):
                return []  # gone, or another writer already moved its due instant on
            facts = record.facts(definitions, lambda: self._store.parts(account_id))
            # Every settle leaves the due instant after itself, so starting at it never goes back
            # before an evaluation already recorded.
            at = min(record.due_at, now) if swept and record.due_at is not None else now
            members, transitions = dict(record.members), []
            upcoming: datetime | None = None
            for _flip in range(MAX_FLIPS):
                evaluation = account_evaluation(replace(facts, members=members), definitions, at)
                after = {key: epoch_seconds(entered) for key, entered in evaluation.memberships.items()}
                transitions += account_transitions(members, after, at, cause, versions)
                members, upcoming = after, evaluation.next_flip_at
                if upcoming is None or upcoming > now:
                    break
                at = upcoming
            due_at = next_due(record.due_at, upcoming, now)
            if members == record.members and due_at == record.due_at:
                return []
            if self._store.save_memberships(record, members, transitions, due_at):
                return transitions
        raise AccountConflict(account_id)


class AccountUnlinker:
    """Erasure's port: take a lead out of its account as the engine does when a lead leaves one,
    then settle the account's segments (cause ``erasure``)."""

    def __init__(
        self,
        store: AccountStorePort,
        definitions: Callable[[], Definitions],
        versions: Callable[[Definitions], Mapping[str, str]],
        now: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._definitions = definitions
        self._versions = versions
        self._now = now

    def unlink(self, account_id: str, lead_id: str) -> None:
        definitions = self._definitions()
        if self._store.link(account_id, lead_id, None, definitions):
            Accounts(self._store).settle(
                account_id, definitions, self._now(), ERASURE_CAUSE, self._versions(definitions)
            )
