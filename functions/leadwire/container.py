"""Per-container state of the composition roots, in one light module (ingestion imports it too,
so it imports nothing heavy).

Every root's factories are cached per container through ``cached``, so ``reset()`` forgets all
of them, and the settings, at once. ``leadwire local`` hands its stand-ins for the AWS services
moto cannot play to ``use_local`` (which resets): the roots read them from ``local()``, and look
nothing up by themselves. Outside ``leadwire local`` none is set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from leadwire.settings import reset_settings

if TYPE_CHECKING:  # the stand-ins' types only
    from leadwire.actions.ports import EmailPort, SmsPort
    from leadwire.admin.previews import EventSourcePort
    from leadwire.jobs.starter import LocalJobQueue
    from leadwire.timers.local_timers import LocalTimers

Factory = TypeVar("Factory", bound=Callable[..., Any])

_CACHES: list[Any] = []


def cached(factory: Factory) -> Factory:
    """One instance per container, forgotten by ``reset()``."""
    wrapped = cache(factory)
    _CACHES.append(wrapped)
    return wrapped  # type: ignore[return-value]


def reset() -> None:
    for factory in _CACHES:
        factory.cache_clear()
    reset_settings()


@dataclass(frozen=True)
class LocalAdapters:
    """What ``leadwire local`` runs in place of AWS services, handed in by its runtime."""

    email: EmailPort | None = None  # the SES simulator (it also plays SES's event publishing)
    sms: SmsPort | None = None  # the End User Messaging simulator
    timers: LocalTimers | None = None  # timers held until the runtime's clock reaches them
    jobs: LocalJobQueue | None = None  # jobs run by the runtime's drain, not by a Lambda invoke
    events: Callable[[], EventSourcePort] | None = None  # previews read moto's table in place


_local: LocalAdapters | None = None


def use_local(adapters: LocalAdapters | None) -> None:
    """Put ``leadwire local``'s stand-ins in place (None: AWS's own services again), and forget
    every cached adapter and setting, so the next call builds on the new environment."""
    global _local
    _local = adapters
    reset()


def local() -> LocalAdapters | None:
    return _local
