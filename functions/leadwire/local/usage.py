"""What the local runtime's functions used: invocations and seconds per function, as Lambda bills.

``leadwire bench`` prices Lambda requests and GB-seconds from these figures and the memory the
stack gives each function (``leadwire.deployment.MEMORY_MB``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[..., Any]


@dataclass
class FunctionUsage:
    invocations: int = 0
    seconds: float = 0.0


@dataclass
class UsageMeter:
    functions: dict[str, FunctionUsage] = field(default_factory=dict)

    def timed(self, function: str, handler: Handler) -> Handler:
        """``handler``, counting its invocations and wall seconds under ``function``."""

        def invoke(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return handler(*args, **kwargs)
            finally:
                usage = self.functions.setdefault(function, FunctionUsage())
                usage.invocations += 1
                usage.seconds += time.perf_counter() - started

        return invoke

    def reset(self) -> None:
        self.functions.clear()
