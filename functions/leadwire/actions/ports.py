"""What the actions use case needs from the world, as protocols (adapters in this package and
``leadwire.dal``; fakes in the tests)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from leadwire.core.delivery.decisions import SendLine
from leadwire.core.email.message import EmailMessage
from leadwire.core.fires import Fire
from leadwire.core.leads import LeadRecord
from leadwire.core.onsite import OnsiteMessage
from leadwire.core.sms.message import SmsMessage
from leadwire.core.tracking import StoredEvent

if TYPE_CHECKING:
    from leadwire.core.accounts import Contribution
    from leadwire.dal.account_store import AccountRecord


class AccountsPort(Protocol):
    """Accounts as an account trigger's fire reads them (``AccountStore``)."""

    def get(self, account_id: str) -> AccountRecord | None: ...

    def linked(self, account_id: str) -> Iterable[tuple[str, Contribution]]: ...


class EventSinkPort(Protocol):
    def put_events(self, events: list[StoredEvent]) -> None: ...


class EventSourcePort(Protocol):
    def get_event(self, lead_id: str, message_id: str) -> StoredEvent | None: ...


class ErasedLeadsPort(Protocol):
    def erased(self, lead_id: str) -> bool: ...

    def discard(self, fire: Fire) -> None: ...


class LeadsPort(Protocol):
    def read(self, lead_id: str, *, at_least: int = 0) -> LeadRecord | None:
        """The lead as stored now, at ``at_least`` or a newer version (the actions write
        nothing of it)."""
        ...


class DeliveryLogPort(Protocol):
    def record_delivery(
        self,
        fire: Fire,
        delivery_id: str,
        channel: str,
        status: str,
        at: datetime,
        details: dict[str, Any],
        *,
        only_new: bool = False,
    ) -> bool:
        """``only_new``: unless the delivery has an item already (False: nothing written)."""
        ...

    def claim_delivery(
        self,
        fire: Fire,
        delivery_id: str,
        channel: str,
        at: datetime,
        details: dict[str, Any],
        prior: dict[str, Any] | None,
    ) -> bool: ...

    def get_delivery(self, lead_id: str, delivery_id: str) -> dict[str, Any] | None: ...


class SendLogPort(Protocol):
    def line(self, lead_id: str) -> SendLine: ...

    def save(self, lead_id: str, line: SendLine, keep: timedelta, now: datetime) -> bool: ...


class DeferPort(Protocol):
    def defer(self, fire: Fire, until: datetime) -> bool: ...


class WebhookResultLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def retryable(self) -> bool: ...
    @property
    def details(self) -> dict[str, Any]: ...


class WebhookPort(Protocol):
    def send(
        self, url: str, secret_ref: str, msg_id: str, payload: Mapping[str, Any], *, allow_private: bool
    ) -> WebhookResultLike: ...


class HttpPort(Protocol):
    def post_json(
        self, url: str, payload: Mapping[str, Any], headers: Mapping[str, str], *, allow_private: bool = False
    ) -> WebhookResultLike: ...


class EventBusPort(Protocol):
    bus_name: str

    def put(self, detail_type: str, detail: Mapping[str, Any]) -> str: ...


class EmailPort(Protocol):
    def send(self, message: EmailMessage) -> str: ...


class OnsitePort(Protocol):
    def put_message(
        self,
        lead_id: str,
        message_id: str,
        message: OnsiteMessage,
        created_at: datetime,
        expires_at: datetime,
        trigger_id: str,
    ) -> None: ...


class SmsPort(Protocol):
    def send(self, message: SmsMessage) -> str: ...


class PhoneBookPort(Protocol):
    """Which lead a number was texted for: written at send time, read when a STOP arrives."""

    def remember(self, phone: str, lead_id: str, at: datetime) -> None: ...

    def lead_for(self, phone: str) -> str | None: ...
