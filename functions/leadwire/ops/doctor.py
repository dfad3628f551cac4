"""``leadwire doctor``: what a deployed stack is missing or doing wrong, in plain words.

Each check reads one thing through the caller's credentials and answers ``ok``, ``fail`` (with
what to do) or ``unknown`` (it could not look: usually a missing permission). The stack is found
through a ``DeployedStack`` port: its outputs and its resources' physical ids. The checks
themselves live in ``doctor_checks``; this module runs them and prints the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

Status = Literal["ok", "fail", "unknown"]
_MARKS = {"ok": "ok     ", "fail": "FAIL   ", "unknown": "UNKNOWN"}


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str = ""


class DeployedStack(Protocol):
    name: str

    def outputs(self) -> dict[str, str]: ...

    def physical_ids(self, resource_type: str) -> list[str]: ...


class CloudFormationStack:
    """The stack as CloudFormation describes it (``DescribeStacks``, ``ListStackResources``)."""

    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        self.name = name
        self._outputs: dict[str, str] | None = None

    def outputs(self) -> dict[str, str]:
        if self._outputs is None:
            (stack,) = self._client.describe_stacks(StackName=self.name)["Stacks"]
            self._outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        return self._outputs

    def physical_ids(self, resource_type: str) -> list[str]:
        paginator = self._client.get_paginator("list_stack_resources")
        return [
            summary["PhysicalResourceId"]
            for page in paginator.paginate(StackName=self.name)
            for summary in page["StackResourceSummaries"]
            if summary["ResourceType"] == resource_type and summary.get("PhysicalResourceId")
        ]


Check = Callable[[], Iterable[Finding]]


def run_checks(checks: Sequence[tuple[str, Check]], unknown: Callable[[Exception], str]) -> list[Finding]:
    """Every check runs; one that cannot look (``unknown`` explains the error) costs no other."""
    findings: list[Finding] = []
    for name, check in checks:
        try:
            findings.extend(check())
        except Exception as exc:  # a check that cannot look must not hide the others' answers
            findings.append(Finding(name, "unknown", unknown(exc)))
    return findings


def format_report(stack_name: str, findings: Sequence[Finding]) -> str:
    width = max((len(f.check) for f in findings), default=0)
    lines = [f"leadwire doctor: stack {stack_name}"]
    for finding in findings:
        lines.append(f"  {_MARKS[finding.status]}  {finding.check:<{width}}  {finding.message}")
        if finding.fix and finding.status != "ok":
            lines.append(f"  {'':7}  {'':<{width}}  -> {finding.fix}")
    problems = sum(f.status == "fail" for f in findings)
    unknown = sum(f.status == "unknown" for f in findings)
    lines.append(
        f"{problems} problem(s), {unknown} check(s) could not look."
        if problems or unknown
        else "Everything checked is in order."
    )
    return "\n".join(lines)


def to_json(stack_name: str, findings: Sequence[Finding]) -> dict[str, Any]:
    return {
        "stack": stack_name,
        "ok": all(f.status == "ok" for f in findings),
        "findings": [asdict(f) for f in findings],
    }
