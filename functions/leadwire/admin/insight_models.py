"""Bodies of the segment-insight routes (DESIGN.md, "Contract, second part": these shapes)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from leadwire.admin.models import ApiModel, SegmentView


class SegmentSummary(SegmentView):
    """A live segment with its size: members, share of all known leads, and size guidance."""

    memberCount: int = Field(description="Members now")  # noqa: N815 -- the API's JSON field names
    shareOfLeads: float = Field(description="Members as a share (0..1) of all known leads")  # noqa: N815
    sizeWarning: Literal["too_large", "too_small"] | None = Field(  # noqa: N815
        description='"too_large" over 50% of leads, "too_small" under 1%, else null'
    )

    @model_serializer(mode="wrap")
    def _with_size_warning(self, handler: SerializerFunctionWrapHandler):
        # SegmentView drops absent fields; sizeWarning is null by contract, so it stays.
        return {**{k: v for k, v in handler(self).items() if v is not None}, "sizeWarning": self.sizeWarning}


class SegmentSummaryList(BaseModel):
    segments: list[SegmentSummary]


class SeriesPointView(ApiModel):
    at: str = Field(description="The end of the interval: the point is the state at that instant")
    members: int
    entered: int
    exited: int
    average_score: float | None = Field(description="Members' scores decayed to `at`; null without members")


class TopEventView(BaseModel):
    event: str
    count: int
    leads: int = Field(description="Distinct members who performed it")


class ConversionView(BaseModel):
    event: str
    within: str
    entered: int = Field(description="Leads that entered in [from, to]")
    converted: int = Field(description="Of those, leads that performed the event within `within` of entering")
    rate: float


class AnalyticsView(ApiModel):
    segment_id: str
    at: str
    member_count: int
    share_of_leads: float
    average_score: float | None
    series: list[SeriesPointView]
    top_events: list[TopEventView]
    conversion: ConversionView | None = Field(description="null without conversion_event")


class TreeNode(BaseModel):
    """One node of the definition with what the evaluator observed and decided."""

    model_config = ConfigDict(extra="allow")

    node: str
    holds: bool
    children: list[TreeNode] | None = None
    value: Any = None
    expected: Any = None


class LastChange(BaseModel):
    kind: Literal["entered", "exited"]
    at: str
    cause: str | None


class ExplainView(ApiModel):
    segment_id: str
    lead_id: str = Field(description="The lead; for an account segment, account:<accountId>")
    account_id: str | None = Field(default=None, description="The account, for an account segment")
    member: bool = Field(description="Whether the lead (or account) is a member now")
    holds: bool = Field(description="Whether the condition holds now")
    tree: dict[str, Any]
    exit_when: dict[str, Any] | None = Field(
        default=None, description="The exit_when tree, when the segment has one"
    )
    last_change: LastChange | None


class PreviewRequest(BaseModel):
    segment: dict[str, Any] = Field(description="A segment definition (it may replace a live one by id)")
    since: str = Field(default="P30D", description="The window the series covers, ending now")


class PreviewSeriesPoint(BaseModel):
    at: str = Field(description="The start of the UTC day")
    entered: int
    exited: int


class PreviewView(ApiModel):
    member_count: int
    sample: list[str]
    series: list[PreviewSeriesPoint]
    events: int = Field(description="Stored events replayed")
    leads: int = Field(description="Leads replayed")


class TriggerPreviewRequest(BaseModel):
    trigger: dict[str, Any]
    since: str = "P30D"


class TriggerSeriesPoint(BaseModel):
    at: str
    fires: int


class TriggerPreviewView(BaseModel):
    fires: int
    series: list[TriggerSeriesPoint]
    sends: dict[str, int] = Field(description="Per channel, what the delivery policy would let through")
    outcomes: dict[str, int] = Field(
        default_factory=dict, description="Per delivery outcome (sent, capped, ...)"
    )


class SnapshotRequest(BaseModel):
    id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=200)
    asOf: str | None = Field(default=None, description="ISO 8601; default now")  # noqa: N815


class LeadScorePoint(BaseModel):
    at: str = Field(description="The end of the interval: the score, decayed, at that instant")
    score: float


class LeadScoresView(ApiModel):
    lead_id: str
    at: str
    series: list[LeadScorePoint]
