"""DynamoDB adapter for job items (re-evaluation and migration) (pk ``JOB#<jobId>``, sk ``JOB``).

Plain attributes, readable in the console; every write is conditional on the version read, and
the item expires ``RETENTION`` after it was created.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter, item_size
from leadwire.core.instants import iso
from leadwire.core.jobs import Job, JobConflict
from leadwire.dal.metering import PROCESS_METER

JOB_PREFIX = "JOB#"
JOB_SK = "JOB"
RETENTION = timedelta(days=30)

_COUNTS = (
    ("leadsDone", "leads_done"),
    ("leadsSkipped", "leads_skipped"),
    ("changes", "changes"),
    ("entered", "entered"),
    ("exited", "exited"),
    ("itemsMigrated", "items_migrated"),
)
_UNITS = (("readUnits", "read_units"), ("writeUnits", "write_units"))
_INSTANTS = (("startedAt", "started_at"), ("finishedAt", "finished_at"))


def job_key(job_id: str) -> dict[str, dict[str, str]]:
    return {schema.PK: {"S": f"{JOB_PREFIX}{job_id}"}, schema.SK: {"S": JOB_SK}}


def job_to_item(job: Job) -> dict[str, dict[str, Any]]:
    item: dict[str, dict[str, Any]] = {
        **job_key(job.job_id),
        "jobId": {"S": job.job_id},
        "status": {"S": job.status},
        "kind": {"S": job.kind},
        "reason": {"S": job.reason},
        "shard": {"N": str(job.shard)},
        "failures": {"N": str(job.failures)},
        "createdAt": {"S": iso(job.created_at)},
        "updatedAt": {"S": iso(job.updated_at)},
        "v": {"N": str(job.version)},
        schema.TTL_ATTRIBUTE: {"N": str(int((job.created_at + RETENTION).timestamp()))},
    }
    for attribute, name in _COUNTS:
        item[attribute] = {"N": str(getattr(job, name))}
    for attribute, name in _UNITS:
        item[attribute] = {"N": repr(float(getattr(job, name)))}
    for attribute, name in _INSTANTS:
        moment = getattr(job, name)
        if moment is not None:
            item[attribute] = {"S": iso(moment)}
    if job.cursor is not None:
        item["cursor"] = {"S": job.cursor}
    if job.failed_leads:
        item["failedLeads"] = {"L": [{"S": lead} for lead in job.failed_leads]}
    if job.error is not None:
        item["error"] = {"S": job.error}
    return item


def job_from_item(item: dict[str, dict[str, Any]]) -> Job:
    def text(name: str) -> str | None:
        value = item.get(name)
        return value["S"] if value else None

    def when(name: str) -> datetime | None:
        value = text(name)
        return datetime.fromisoformat(value) if value else None

    return Job(
        job_id=item["jobId"]["S"],
        status=item["status"]["S"],
        kind=text("kind") or "reevaluate",  # job items written before migrations existed
        reason=text("reason") or "",
        shard=int(item["shard"]["N"]),
        cursor=text("cursor"),
        failures=int(item["failures"]["N"]),
        failed_leads=[entry["S"] for entry in item.get("failedLeads", {}).get("L", [])],
        error=text("error"),
        created_at=datetime.fromisoformat(item["createdAt"]["S"]),
        updated_at=datetime.fromisoformat(item["updatedAt"]["S"]),
        version=int(item["v"]["N"]),
        # Items written before a count existed read it as 0 (the model's default).
        **{name: int(item[attribute]["N"]) for attribute, name in _COUNTS if attribute in item},
        **{name: float(item[attribute]["N"]) for attribute, name in _UNITS if attribute in item},
        **{name: when(attribute) for attribute, name in _INSTANTS},
    )


class JobStore:
    def __init__(self, client: Any, table_name: str, *, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self._meter = meter or PROCESS_METER

    def get(self, job_id: str) -> Job | None:
        response = self._client.get_item(TableName=self._table, Key=job_key(job_id), ConsistentRead=True)
        item = response.get("Item")
        self._meter.record_read(item_size(item) if item else 1, kind="job")
        return job_from_item(item) if item else None

    def save(self, job: Job) -> Job:
        """Store ``job`` if nobody stored it since it was read (version 0: create); returns it stored."""
        stored = job.model_copy(update={"version": job.version + 1})
        item = job_to_item(stored)
        if job.version == 0:
            condition: dict[str, Any] = {
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": schema.PK},
            }
        else:
            condition = {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "v"},
                "ExpressionAttributeValues": {":v": {"N": str(job.version)}},
            }
        try:
            self._client.put_item(TableName=self._table, Item=item, **condition)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise JobConflict(job.job_id) from None
            raise
        self._meter.record_write(item, kind="job")
        return stored
