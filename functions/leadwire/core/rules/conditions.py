"""The condition tree of the rule language: one node is an object with exactly one key."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, ClassVar

from pydantic import Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from leadwire.core.rules.canonical import short_id
from leadwire.core.rules.comparisons import Comparison, NumberComparison, StrictModel, count_cap, holds
from leadwire.core.rules.durations import Duration
from leadwire.core.rules.events import LeadEvent
from leadwire.core.rules.lookup import lookup

EventName = Annotated[str, Field(min_length=1, max_length=200)]
PropertyPath = Annotated[str, Field(min_length=1, max_length=200)]
SegmentId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")]
Channel = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]

MAX_SEQUENCE_STEPS = 8
# A distinct count keeps one hashed value per counted value, so its threshold is bounded (see
# ``distinct``); a visit count keeps the newest visits (see ``visits``).
MAX_DISTINCT_COUNT = 32
MAX_VISIT_COUNT = 16
# Loc elements that pydantic adds for the tagged union; error paths drop them.
NODE_TAG_PREFIX = "node:"


class EventFilter(StrictModel):
    """An event name plus property tests: what ``performed``, a sequence step and a scoring rule match."""

    event: EventName
    where: dict[PropertyPath, Comparison] = Field(default_factory=dict)

    @cached_property
    def filter_id(self) -> str:
        """Stable across reloads and shared by every node with the same event and ``where``."""
        where = {path: test.operators for path, test in self.where.items()}
        return short_id({"event": self.event, "where": where})

    def matches(self, event: LeadEvent) -> bool:
        return event.name == self.event and all(
            holds(test, lookup(event.properties, path)) for path, test in self.where.items()
        )


class Performed(EventFilter):
    within: Duration | None = None
    distinct: PropertyPath | None = None  # count distinct values of this property, not events
    count: NumberComparison = NumberComparison(gte=1)

    @field_validator("count")
    @classmethod
    def _distinct_count_bounded(cls, count: NumberComparison, info: ValidationInfo) -> NumberComparison:
        if info.data.get("distinct") is not None and count_cap(count) > MAX_DISTINCT_COUNT:
            raise PydanticCustomError(
                "distinct_count",
                "with 'distinct', count can test at most {limit} distinct values",
                {"limit": MAX_DISTINCT_COUNT - 1},
            )
        return count

    @cached_property
    def distinct_id(self) -> str:
        """The distinct-value set this node reads: shared by every node with the same filter and
        property (a distinct use never shares a counter with a plain count of the same filter)."""
        return short_id({"filter": self.filter_id, "distinct": self.distinct})


class Visits(StrictModel):
    """Visits (runs of activity with gaps under the configured ``visits.gap``) that lasted at least
    ``min_duration`` (first to last activity), counted while their last activity is ``within``."""

    within: Duration | None = None
    min_duration: Duration | None = None
    count: NumberComparison = NumberComparison(gte=1)

    @field_validator("count")
    @classmethod
    def _count_bounded(cls, count: NumberComparison) -> NumberComparison:
        if count_cap(count) > MAX_VISIT_COUNT:
            raise PydanticCustomError(
                "visit_count", "count can test at most {limit} visits", {"limit": MAX_VISIT_COUNT - 1}
            )
        return count


class Sequence(StrictModel):
    steps: list[EventFilter] = Field(min_length=1, max_length=MAX_SEQUENCE_STEPS)
    within: Duration | None = None

    @cached_property
    def sequence_id(self) -> str:
        return short_id(self.model_dump(mode="json", exclude_defaults=True))


class Recency(StrictModel):
    within: Duration | None = None
    older_than: Duration | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Recency:
        if (self.within is None) == (self.older_than is None):
            raise PydanticCustomError("recency", "give exactly one of 'within' or 'older_than'")
        return self


class TraitTest(Comparison):
    name: PropertyPath


class Node(StrictModel):
    """A condition node; its one key is ``KIND``."""

    KIND: ClassVar[str]


class AllNode(Node):
    KIND: ClassVar[str] = "all"
    all: list[Condition] = Field(min_length=1)


class AnyNode(Node):
    KIND: ClassVar[str] = "any"
    any: list[Condition] = Field(min_length=1)


class NotNode(Node):
    KIND: ClassVar[str] = "not"
    not_: Condition = Field(alias="not")


class ScoreNode(Node):
    KIND: ClassVar[str] = "score"
    score: NumberComparison


class MaxScoreNode(Node):
    KIND: ClassVar[str] = "max_score"
    max_score: NumberComparison


class TraitNode(Node):
    KIND: ClassVar[str] = "trait"
    trait: TraitTest


class PerformedNode(Node):
    KIND: ClassVar[str] = "performed"
    performed: Performed


class SequenceNode(Node):
    KIND: ClassVar[str] = "sequence"
    sequence: Sequence


class VisitsNode(Node):
    KIND: ClassVar[str] = "visits"
    visits: Visits


class LastActivityNode(Node):
    KIND: ClassVar[str] = "last_activity"
    last_activity: Recency


class FirstSeenNode(Node):
    KIND: ClassVar[str] = "first_seen"
    first_seen: Recency


class InSegmentNode(Node):
    KIND: ClassVar[str] = "in_segment"
    in_segment: SegmentId


class SubscribedNode(Node):
    KIND: ClassVar[str] = "subscribed"
    subscribed: Channel


class AccountTest(StrictModel):
    score: NumberComparison


class AccountNode(Node):
    """The lead's account (from ``group`` calls): its score, as ``accounts.score`` aggregates it."""

    KIND: ClassVar[str] = "account"
    account: AccountTest


class AccountTraitNode(Node):
    """A trait of the lead's account (``group`` call traits); false for a lead without an account."""

    KIND: ClassVar[str] = "account_trait"
    account_trait: TraitTest


class LeadsTest(StrictModel):
    in_segment: SegmentId
    count: NumberComparison = NumberComparison(gte=1)


class LeadsNode(Node):
    """Account segments only: how many of the account's leads are in a lead segment."""

    KIND: ClassVar[str] = "leads"
    leads: LeadsTest


NODE_TYPES: tuple[type[Node], ...] = (
    AllNode,
    AnyNode,
    NotNode,
    ScoreNode,
    MaxScoreNode,
    TraitNode,
    PerformedNode,
    SequenceNode,
    VisitsNode,
    LastActivityNode,
    FirstSeenNode,
    InSegmentNode,
    SubscribedNode,
    AccountNode,
    AccountTraitNode,
    LeadsNode,
)
NODE_KINDS: tuple[str, ...] = tuple(node.KIND for node in NODE_TYPES)


def _node_tag(raw: Any) -> str | None:
    if isinstance(raw, Node):
        return NODE_TAG_PREFIX + raw.KIND
    if isinstance(raw, dict) and len(raw) == 1:
        return NODE_TAG_PREFIX + str(next(iter(raw)))
    return None


Condition = Annotated[
    Annotated[AllNode, Tag(NODE_TAG_PREFIX + "all")]
    | Annotated[AnyNode, Tag(NODE_TAG_PREFIX + "any")]
    | Annotated[NotNode, Tag(NODE_TAG_PREFIX + "not")]
    | Annotated[ScoreNode, Tag(NODE_TAG_PREFIX + "score")]
    | Annotated[MaxScoreNode, Tag(NODE_TAG_PREFIX + "max_score")]
    | Annotated[TraitNode, Tag(NODE_TAG_PREFIX + "trait")]
    | Annotated[PerformedNode, Tag(NODE_TAG_PREFIX + "performed")]
    | Annotated[SequenceNode, Tag(NODE_TAG_PREFIX + "sequence")]
    | Annotated[VisitsNode, Tag(NODE_TAG_PREFIX + "visits")]
    | Annotated[LastActivityNode, Tag(NODE_TAG_PREFIX + "last_activity")]
    | Annotated[FirstSeenNode, Tag(NODE_TAG_PREFIX + "first_seen")]
    | Annotated[InSegmentNode, Tag(NODE_TAG_PREFIX + "in_segment")]
    | Annotated[SubscribedNode, Tag(NODE_TAG_PREFIX + "subscribed")]
    | Annotated[AccountNode, Tag(NODE_TAG_PREFIX + "account")]
    | Annotated[AccountTraitNode, Tag(NODE_TAG_PREFIX + "account_trait")]
    | Annotated[LeadsNode, Tag(NODE_TAG_PREFIX + "leads")],
    Discriminator(_node_tag, custom_error_type="condition_node", custom_error_message="not a condition node"),
]

for _model in (AllNode, AnyNode, NotNode):
    _model.model_rebuild()


def children(node: Node) -> list[Condition]:
    """The direct sub-conditions of ``node`` (empty for leaves)."""
    if isinstance(node, AllNode):
        return list(node.all)
    if isinstance(node, AnyNode):
        return list(node.any)
    if isinstance(node, NotNode):
        return [node.not_]
    return []


def walk(node: Node, loc: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Node]]:
    """Every node under ``node`` (itself first) with its location in the definition."""
    found: list[tuple[tuple[str | int, ...], Node]] = [(loc, node)]
    if isinstance(node, AllNode | AnyNode):
        for index, child in enumerate(children(node)):
            found.extend(walk(child, (*loc, node.KIND, index)))
    elif isinstance(node, NotNode):
        found.extend(walk(node.not_, (*loc, "not")))
    return found
