"""Accounts (B2B) through the admin API: traits, score and a page of leads of one account."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from pydantic import Field

from leadwire.admin.models import ApiModel, HistoryEntry, HistoryPage
from leadwire.core.accounts import Contribution, account_score
from leadwire.core.errors import NotFound
from leadwire.core.rules import Definitions
from leadwire.dal.account_store import AccountRecord


class AccountReadPort(Protocol):
    def get(self, account_id: str) -> AccountRecord | None: ...

    def lead_page(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[str], str | None]: ...

    def parts(self, account_id: str) -> Iterable[Contribution]: ...

    def history(self, account_id: str) -> list[dict[str, Any]]: ...


class AccountView(ApiModel):
    account_id: str
    traits: dict[str, Any] = Field(description="From group calls, newest value per key by event time")
    score: float = Field(description="Evaluated now, with decay: sum, max or avg of its leads' scores")
    leads: list[str] = Field(description="A page of its lead ids; pass leadsCursor as cursor for the next")
    leads_cursor: str | None
    segments: list[str] = Field(description="Account-level segments the account is in")


class AccountAdmin:
    def __init__(
        self, accounts: AccountReadPort, definitions: Callable[[], Definitions], now: Callable[[], datetime]
    ) -> None:
        self._accounts = accounts
        self._definitions = definitions
        self._now = now

    def _require(self, account_id: str) -> AccountRecord:
        record = self._accounts.get(account_id)
        if record is None:
            raise NotFound(f"no account {account_id!r}", {"accountId": account_id})
        return record

    def history(self, account_id: str) -> HistoryPage:
        """Account-segment membership intervals (``leadId`` holds the account id)."""
        self._require(account_id)
        entries = [
            HistoryEntry.model_validate({**entry, "leadId": account_id})
            for entry in self._accounts.history(account_id)
        ]
        return HistoryPage(history=entries)

    def account(self, account_id: str, limit: int, cursor: str | None) -> AccountView:
        record = self._require(account_id)
        score = account_score(
            record.totals, self._definitions(), lambda: self._accounts.parts(account_id), self._now()
        )
        leads, next_cursor = self._accounts.lead_page(account_id, limit, cursor)
        return AccountView(
            account_id=account_id,
            traits=record.traits,
            score=round(score, 2),
            leads=leads,
            leads_cursor=next_cursor,
            segments=sorted(record.members),
        )
