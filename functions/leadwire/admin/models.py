"""The admin API's request and response bodies (the OpenAPI document is generated from them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonDict

from leadwire import schema
from leadwire.core.instants import iso
from leadwire.core.jobs import Job, JobKind, JobStatus, StartableJobKind

SEGMENT_EXAMPLE: JsonDict = {
    "id": "stalled-trials",
    "name": "Stalled Trials",
    "condition": {
        "all": [
            {"performed": {"event": "trial_signup"}},
            {"last_activity": {"older_than": "P14D"}},
            {"not": {"performed": {"event": "api_call"}}},
        ]
    },
}


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class DefinitionBody(BaseModel):
    """What a POST or PUT of a segment or trigger carries besides the definition itself."""

    version: int | None = Field(
        default=None, ge=0, description="PUT: the version read (optimistic concurrency); ignored on POST"
    )
    source: str | None = Field(
        default=None, description="Ignored: GET shows it, so a GET body can be PUT back"
    )

    def document(self) -> dict[str, Any]:
        """The definition to validate and store: what the client sent, minus API bookkeeping."""
        sent = self.model_dump(exclude_unset=True, exclude={"version", "source"})
        return {key: value for key, value in sent.items() if value is not None}


class SegmentDefinition(DefinitionBody):
    """A segment definition as DESIGN.md gives it (canonical JSON; YAML is the same tree).

    Only the shape of a JSON object is checked here: the rule engine validates the definition
    against every other segment and answers ``invalid_definition`` with each problem's path.
    """

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [SEGMENT_EXAMPLE]})

    id: str | None = Field(default=None, description="Required on POST; on PUT the path's id wins")
    name: str | None = None
    description: str | None = None
    type: str | None = Field(default=None, description='"dynamic" (the default) or "static"')
    condition: dict[str, Any] | None = Field(
        default=None,
        description="A condition node: all, any, not, score, max_score, trait, performed (with "
        "optional distinct), sequence, visits, last_activity, first_seen, in_segment, subscribed",
    )
    exit_when: dict[str, Any] | None = Field(
        default=None, description="Hysteresis: leave only when this holds"
    )
    members: list[str] | None = Field(default=None, description="A static segment's lead ids")


class NewSegment(SegmentDefinition):
    """``POST /segments``: the id is required (a body without one is refused before the engine)."""

    id: str = Field(min_length=1, max_length=128, description="The new segment's id")


class SegmentView(BaseModel):
    """A live segment: its definition, where it comes from, and its version (0: config, unchanged)."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    description: str | None = None
    type: Literal["dynamic", "static"] = "dynamic"
    condition: dict[str, Any] | None = None
    exit_when: dict[str, Any] | None = None
    members: list[str] | None = None
    source: Literal["config", "api"]
    version: int

    @model_serializer(mode="wrap")
    def _without_absent_fields(self, handler: SerializerFunctionWrapHandler):
        # No return annotation on purpose: pydantic would document the response as that type.
        return {key: value for key, value in handler(self).items() if value is not None}


class SegmentList(BaseModel):
    segments: list[SegmentView]


class JobRef(ApiModel):
    job_id: str
    status: JobStatus


class SegmentChange(SegmentView):
    """A segment just created or replaced, and the job that re-evaluates every lead for it."""

    job: JobRef


class Member(ApiModel):
    lead_id: str
    entered_at: str


class MembersPage(BaseModel):
    members: list[Member]
    cursor: str | None


class LeadView(ApiModel):
    lead_id: str
    score: float = Field(description="Evaluated now, with decay")
    max_score: float = Field(description="The highest score the lead ever had")
    band: Literal["Cold", "Warm", "Hot", "Very Hot"]
    traits: dict[str, Any]
    segments: list[str]
    first_seen_at: str | None
    last_activity_at: str | None
    last_seen_at: str | None
    aliases: list[str] = Field(description="Anonymous ids merged into this lead")


class HistoryCause(BaseModel):
    entered: str | None = Field(description="A message id, 'time', 'definitions' or 'merge:<lead>'")
    exited: str | None


class HistoryEntry(ApiModel):
    segment_id: str
    entered_at: str
    exited_at: str | None = Field(description="null while a member")
    cause: HistoryCause
    definition_version: str | None = None
    lead_id: str = Field(description="The lead the interval was recorded on (the lead or one of its aliases)")


class HistoryPage(BaseModel):
    history: list[HistoryEntry]


class NewJob(BaseModel):
    """A job an operator starts: ``migrate`` rewrites items an older release wrote in the current
    shapes (run it once after an upgrade whose notes say so); ``reevaluate`` evaluates every
    lead against the current definitions."""

    model_config = ConfigDict(extra="forbid")
    kind: StartableJobKind
    reason: str = Field(default="", max_length=500)


class JobView(ApiModel):
    job_id: str
    status: JobStatus
    kind: JobKind
    reason: str
    shards: int = Field(description="Shards of the leads index the job pages through")
    shards_done: int
    leads_done: int
    leads_skipped: int = Field(description="Anonymous leads merged into a known one")
    changes: int = Field(description="Membership changes: entries plus exits")
    entered: int = Field(description="Of the changes: entries")
    exited: int = Field(description="Of the changes: exits")
    progress: float = Field(description="Share of the leads index paged so far, 0 to 1 (1 when done)")
    read_units: float = Field(description="DynamoDB read units the job consumed (as metered)")
    write_units: float = Field(description="DynamoDB write units the job consumed (as metered)")
    items_migrated: int = Field(description="Items rewritten in the current shape (migrate jobs)")
    failures: int
    failed_leads: list[str]
    error: str | None
    created_at: str
    started_at: str | None
    updated_at: str
    finished_at: str | None

    @classmethod
    def of(cls, job: Job) -> JobView:
        return cls(
            job_id=job.job_id,
            status=job.status,
            kind=job.kind,
            reason=job.reason,
            shards=schema.LEAD_SHARDS,
            shards_done=min(job.shard, schema.LEAD_SHARDS),
            leads_done=job.leads_done,
            leads_skipped=job.leads_skipped,
            changes=job.changes,
            entered=job.entered,
            exited=job.exited,
            progress=1.0 if job.status == "done" else min(job.shard, schema.LEAD_SHARDS) / schema.LEAD_SHARDS,
            read_units=job.read_units,
            write_units=job.write_units,
            items_migrated=job.items_migrated,
            failures=job.failures,
            failed_leads=job.failed_leads,
            error=job.error,
            created_at=iso(job.created_at),
            started_at=iso(job.started_at) if job.started_at else None,
            updated_at=iso(job.updated_at),
            finished_at=iso(job.finished_at) if job.finished_at else None,
        )


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable and machine-readable, e.g. invalid_definition, not_found, conflict")
    message: str
    details: Any = Field(
        description="invalid_definition and segment_in_use: {problems: [{path, message, segmentId}]}; "
        "confirmation_required: {segmentId, leads, flips, share, threshold, membersBefore, membersAfter, "
        "entering, exiting, sample: {entering, exiting}}"
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


TRIGGER_EXAMPLE: JsonDict = {
    "id": "cart-abandonment",
    "on": {"event": "cart_added"},
    "wait": {"until": {"event": "purchase", "match": ["cart_id"]}, "timeout": "PT1H"},
    "actions": [
        {"type": "emit_event", "event": "cart_abandoned"},
        {"type": "email", "template": "cart-reminder"},
    ],
}


class TriggerDefinition(DefinitionBody):
    """A trigger definition as DESIGN.md gives it.

    Only ``id`` and ``version`` are checked here: the whole definition is parsed as the trigger
    consumer will parse it, against every segment, template and other trigger, and refused with
    422 ``invalid_definition`` listing each problem with its path inside the trigger.
    """

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [TRIGGER_EXAMPLE]})

    id: str | None = Field(default=None, description="Required on POST; on PUT the path's id wins")
    name: str | None = None
    description: str | None = None
    on: Any = Field(
        description="Required. "
        '{"enter": SEGMENT}, {"exit": SEGMENT}, {"event": NAME, "where": ...} or '
        '{"anniversary": {"trait", "at"}}',
    )
    wait: Any = Field(default=None, description='{"until": {"event", "match", "where"}, "timeout": DURATION}')
    delay: Any = Field(default=None, description="DURATION (not with wait)")
    only_if: Any = Field(default=None, description="A condition node, re-checked at fire time")
    reentry: Any = Field(default=None, description='"once", "every_time" or {"once_per": DURATION}')
    actions: Any = Field(default=None, description="email, webhook, eventbridge or emit_event actions")
    variants: Any = Field(default=None, description="A/B variants, each with a name, weight and actions")


class NewTrigger(TriggerDefinition):
    """``POST /triggers``: the id is required (a body without one is refused before the engine)."""

    id: str = Field(min_length=1, max_length=128, description="The new trigger's id")


class TriggerView(BaseModel):
    """A live trigger: its definition as stored, where it comes from, and its version
    (0: from the config, unchanged)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [TRIGGER_EXAMPLE]})

    id: str
    source: Literal["config", "api"]
    version: int


class TriggerList(BaseModel):
    triggers: list[TriggerView]


class DeliveryView(BaseModel):
    """One action of one fire, as the delivery log holds it (plus what the channel recorded)."""

    model_config = ConfigDict(extra="allow")

    deliveryId: str  # noqa: N815 -- the API's JSON field names
    triggerId: str  # noqa: N815
    leadId: str  # noqa: N815
    fireId: str  # noqa: N815
    channel: str
    status: str = Field(
        description="sent, sending, failed, deferred, deferred_cap, capped, expired, suppressed, "
        "no_consent, skipped, held_out, rejected or unconfirmed"
    )
    at: str = Field(description="When the status was recorded")
    firedAt: str = Field(description="When the trigger fired")  # noqa: N815


class DeliveriesPage(BaseModel):
    deliveries: list[DeliveryView]
    cursor: str | None = Field(description="Pass it back for the next page; null on the last")
