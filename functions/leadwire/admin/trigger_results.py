"""``GET /triggers/{id}/results``: the A/B results of a trigger over a period (core.insight.trigger_results).

Reads the trigger's deliveries in the period from the per-trigger delivery index (the same pages
``GET /triggers/{id}/deliveries`` serves) and, when a goal event is asked for or to count opens and
clicks, each fired lead's events once (one query of its partition per lead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from pydantic import BaseModel, Field

from leadwire.admin.deliveries import DeliveryAdmin
from leadwire.admin.insight import parse_window
from leadwire.core.insight.trigger_results import ArmResult, fired_leads, trigger_results
from leadwire.core.tracking import StoredEvent

DEFAULT_WITHIN = timedelta(days=7)
PAGE = 1000


class ArmView(BaseModel):
    name: str = Field(description="A variant's name, 'default' without variants, or 'holdout'")
    fires: int
    leads: int = Field(description="Leads fired in the period (each counted once, from its first fire)")
    sends: dict[str, int] = Field(description="Deliveries sent, by channel")
    notSent: dict[str, int] = Field(description="Deliveries not sent, by status")  # noqa: N815
    opens: int = Field(description="Sent emails opened (SES engagement events)")
    clicks: int = Field(description="Sent emails clicked")
    conversions: int | None = Field(
        description="Leads that performed the goal within the window; null without a goal"
    )
    conversionRate: float | None  # noqa: N815
    liftVsHoldout: float | None = Field(  # noqa: N815
        description="Conversion rate minus the holdout's, in percentage points; null without a holdout"
    )


class TriggerResultsView(BaseModel):
    triggerId: str  # noqa: N815
    goal: str | None
    within: str
    variants: list[ArmView]


class TriggerResults:
    def __init__(
        self, deliveries: DeliveryAdmin, lead_events: Callable[[str], Iterable[StoredEvent]]
    ) -> None:
        self._deliveries = deliveries
        self._lead_events = lead_events

    def results(
        self, trigger_id: str, start: str | None, end: str | None, goal: str | None, within: str | None
    ) -> TriggerResultsView:
        window = parse_window(within, "within", DEFAULT_WITHIN)
        found: list[dict[str, object]] = []
        cursor: str | None = None
        while True:
            page = self._deliveries.for_trigger(
                trigger_id, start=start, end=end, status=None, limit=PAGE, cursor=cursor
            )
            found.extend(delivery.model_dump() for delivery in page.deliveries)
            cursor = page.cursor
            if cursor is None:
                break
        events = {lead: list(self._lead_events(lead)) for lead in sorted(fired_leads(found))}
        arms = trigger_results(found, events, goal or "", window)
        return TriggerResultsView(
            triggerId=trigger_id,
            goal=goal,
            within=within or "P7D",
            variants=[_view(arm, goal is not None) for arm in arms],
        )


def _view(arm: ArmResult, with_goal: bool) -> ArmView:
    return ArmView(
        name=arm.name,
        fires=arm.fires,
        leads=arm.leads,
        sends=arm.sends,
        notSent=arm.not_sent,
        opens=arm.opens,
        clicks=arm.clicks,
        conversions=arm.conversions if with_goal else None,
        conversionRate=arm.conversion_rate if with_goal else None,
        liftVsHoldout=arm.lift if with_goal else None,
    )
