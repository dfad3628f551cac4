"""The privacy routes' bodies: the export document, an erasure, an unsuppression."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from leadwire.admin.models import ApiModel, DeliveryView, HistoryEntry, JobView, LeadView


class ExportDocument(ApiModel):
    lead_id: str
    exported_at: str
    ids: list[str] = Field(description="The lead and every anonymous id merged into it")
    profile: LeadView | None = Field(description="Null while the engine has not processed the lead")
    state: dict[str, Any] | None = Field(
        description="The stored engine state: counters, consent, memberships"
    )
    events: list[dict[str, Any]] = Field(description="Every stored event, oldest first, as stored")
    history: list[HistoryEntry]
    deliveries: list[DeliveryView]
    fires: list[dict[str, Any]]
    timers: list[dict[str, Any]] = Field(description="Waiting, satisfied and fired timer instances")
    send_log: list[dict[str, Any]] = Field(description="Recent sends the frequency caps count")
    segments: list[str] = Field(description="Segments whose member lists hold the lead now")
    other: list[dict[str, Any]] = Field(description="Any other item stored in the lead's partitions")


class ErasureView(ApiModel):
    lead_id: str
    status: str = Field(description="'erased': everything is gone and the ids are suppressed")
    ids: int = Field(description="How many ids were erased: the lead and its merged anonymous ids")
    erased: dict[str, int] = Field(description="Items erased by kind (events, state, history, ...)")
    job: JobView


class UnsuppressView(ApiModel):
    lead_id: str
    unsuppressed: int = Field(description="Suppressed ids lifted: the lead and the ids erased with it")
    dropped_events: int = Field(description="Events acknowledged and dropped while suppressed")
