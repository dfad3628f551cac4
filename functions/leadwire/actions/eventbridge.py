"""EventBridge actions: one ``leadwire`` event on the configured bus per fired action."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

EVENT_SOURCE = "leadwire"


class EventBridgeError(RuntimeError):
    """PutEvents refused the entry (a transient failure: the fire is retried)."""


class EventBridgeSender:
    def __init__(self, client: Callable[[], Any], bus_name: str = "default") -> None:
        self._client_factory = client
        self._client: Any = None
        self.bus_name = bus_name

    def put(self, detail_type: str, detail: Mapping[str, Any]) -> str:
        """Put one event; returns its event id, or raises ``EventBridgeError``."""
        if self._client is None:
            self._client = self._client_factory()
        response = self._client.put_events(
            Entries=[
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, separators=(",", ":"), default=str),
                    "EventBusName": self.bus_name,
                }
            ]
        )
        entry = response["Entries"][0]
        if response.get("FailedEntryCount", 0) or "EventId" not in entry:
            raise EventBridgeError(
                f"PutEvents failed: {entry.get('ErrorCode', 'unknown')}: {entry.get('ErrorMessage', '')}"
            )
        return str(entry["EventId"])
