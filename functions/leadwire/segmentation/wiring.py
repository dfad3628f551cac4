"""The segmentation context's composition root: the engine over the shared adapters
(``leadwire/wiring.py``), for the stream consumer, the sweep, the jobs and the admin's reads."""

from __future__ import annotations

from leadwire import clock, wiring
from leadwire.dal.lead_store import LeadStore
from leadwire.segmentation.accounts import Accounts
from leadwire.segmentation.engine import SegmentationEngine
from leadwire.stream_poison import UsableHistory

# Leads the segmentation consumer remembers (a few KB each: about 20 MB at most).
REMEMBERED_LEADS = 5000


@wiring.cached
def stream_lead_store() -> LeadStore:
    """The segmentation consumer's store: it remembers what it saved, and reads what it does not
    remember eventually consistently (see ``LeadStore``)."""
    return LeadStore(
        wiring.dynamodb(), wiring.table(), remember=REMEMBERED_LEADS, now=clock.now, eventual_loads=True
    )


@wiring.cached
def sweep_lead_store() -> LeadStore:
    """The sweep's store: it reads eventually consistently too (the engine makes sure of a lead
    read as absent, and the save's version check catches an outdated read)."""
    return LeadStore(wiring.dynamodb(), wiring.table(), eventual_loads=True)


def engine(leads: LeadStore | None = None) -> SegmentationEngine:
    """An engine on the current definitions (cheap: the adapters and the definitions are cached)."""
    return SegmentationEngine(
        leads or wiring.lead_store(),
        UsableHistory(wiring.event_store()),
        wiring.definitions_source().current(),
        clock.now,
        guard=wiring.lead_guard(),
        accounts=Accounts(wiring.account_store()),
    )


def sweep_engine() -> SegmentationEngine:
    """The sweep's engine: its own store, reading eventually consistently."""
    return engine(sweep_lead_store())


def stream_engine() -> SegmentationEngine:
    """The segmentation consumer's engine: its own remembering lead store."""
    return engine(stream_lead_store())


def fresh_engine() -> SegmentationEngine:
    """An engine on the definitions as stored now: a job must not run on a container's stale cache."""
    wiring.definitions_source().invalidate()
    return engine()
