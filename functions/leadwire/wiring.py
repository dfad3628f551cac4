"""The adapters every context shares: one DynamoDB client and the table's stores, the definitions,
the privacy guard, the stream failure queue, the event bus, and what ``leadwire local`` runs in
place of the AWS services moto cannot play.

Each context has its own composition root next to its handlers (``segmentation/wiring.py``,
``triggers/wiring.py``, ``actions/wiring.py``, ``timers/wiring.py``, ``jobs/wiring.py``,
``privacy/wiring.py``, ``admin/wiring.py``) and builds from these, caching through
``container.cached`` (re-exported here) so that one ``reset()`` forgets them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from leadwire import clock
from leadwire.config_loader import load_json_config
from leadwire.container import LocalAdapters, cached, local, reset, use_local
from leadwire.dal.account_store import AccountStore
from leadwire.dal.definition_store import DefinitionStore, writes_in_this_process
from leadwire.dal.delivery_store import DeliveryStore
from leadwire.dal.event_store import EventStore
from leadwire.dal.fire_store import FireStore
from leadwire.dal.job_store import JobStore
from leadwire.dal.lead_store import LeadStore
from leadwire.dal.suppression_store import SuppressionStore
from leadwire.dal.timer_store import TimerStore
from leadwire.definitions_source import DefinitionsSource
from leadwire.jobs.starter import JobStarter, LambdaJobStarter
from leadwire.privacy.guard import LeadGuard
from leadwire.privacy.known_suppressions import KnownSuppressions
from leadwire.settings import SettingsError, admin_settings, engine_settings
from leadwire.stream_poison import PoisonQueue

if TYPE_CHECKING:  # loaded only where events are sent
    from leadwire.actions.eventbridge import EventBridgeSender

__all__ = ["LocalAdapters", "cached", "local", "reset", "use_local"]


def table() -> str:
    return engine_settings().table_name


@cached
def dynamodb() -> Any:
    return boto3.client("dynamodb")


@cached
def lead_store() -> LeadStore:
    return LeadStore(dynamodb(), table())


@cached
def account_store() -> AccountStore:
    return AccountStore(dynamodb(), table())


@cached
def event_store() -> EventStore:
    return EventStore(dynamodb(), table())


@cached
def definition_store() -> DefinitionStore:
    return DefinitionStore(dynamodb(), table())


@cached
def suppression_store() -> SuppressionStore:
    return SuppressionStore(dynamodb(), table())


@cached
def fire_store() -> FireStore:
    return FireStore(dynamodb(), table())


@cached
def delivery_store() -> DeliveryStore:
    return DeliveryStore(dynamodb(), table())


@cached
def timer_store() -> TimerStore:
    return TimerStore(dynamodb(), table())


@cached
def job_store() -> JobStore:
    return JobStore(dynamodb(), table())


@cached
def definitions_source() -> DefinitionsSource:
    settings = engine_settings()
    return DefinitionsSource(
        load_json_config(Path(settings.config_path)),
        definition_store(),
        cache_seconds=settings.definitions_cache_seconds,
        written_here=writes_in_this_process,
    )


@cached
def known_suppressions() -> KnownSuppressions:
    """Suppression answers kept while the list stands still (one epoch read per round)."""
    return KnownSuppressions(suppression_store())


def lead_guard() -> LeadGuard:
    """Per invocation: one round of suppression questions."""
    return LeadGuard(known_suppressions().round(), fire_store())


@cached
def poison_queue() -> PoisonQueue:
    return PoisonQueue(lambda: boto3.client("sqs"), engine_settings().stream_failure_queue_url, clock.now)


@cached
def event_bridge_sender() -> EventBridgeSender:
    """The stack's bus (``EVENT_BUS_NAME``): the triggers' spike alerts and the actions' events."""
    from leadwire.actions.eventbridge import EventBridgeSender

    bus = engine_settings().event_bus_name
    if bus is None:
        raise SettingsError("EVENT_BUS_NAME is not set: events cannot be sent to EventBridge")
    return EventBridgeSender(lambda: boto3.client("events"), bus)


@cached
def job_starter() -> JobStarter:
    """The jobs function (``REEVALUATE_FUNCTION_NAME``), else ``leadwire local``'s queue."""
    settings = admin_settings()
    if settings.reevaluate_function_name:
        return LambdaJobStarter(boto3.client("lambda"), settings.reevaluate_function_name)
    adapters = local()
    if adapters is not None and adapters.jobs is not None and not settings.in_lambda:
        return adapters.jobs
    # Without either a job would never run: fail loudly instead of losing it.
    raise SettingsError("REEVALUATE_FUNCTION_NAME is required to start jobs")
