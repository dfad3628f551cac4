"""What the account tests share: a runtime with some definitions posted, and small call builders."""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from leadwire.local.runtime import DEFAULT_CONFIG, LocalRuntime

from .local_api import WRITE_KEY, LocalApi

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@contextmanager
def account_api(segments=(), triggers=()) -> Iterator[LocalApi]:
    """A local runtime on the simulated clock at NOW with ``segments`` and ``triggers`` created, on
    the default config without its own account segments (these tests bring theirs)."""
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "config"
        shutil.copytree(DEFAULT_CONFIG, config, ignore=shutil.ignore_patterns("accounts.yaml"))
        with _runtime(config, segments, triggers) as api:
            yield api


@contextmanager
def _runtime(config: Path, segments, triggers) -> Iterator[LocalApi]:
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW)
    try:
        api = LocalApi(runtime)
        for path, definitions in (("/segments", segments), ("/triggers", triggers)):
            for definition in definitions:
                status, body = api.post(path, definition)
                assert status == 201, body
        api.drain()
        yield api
    finally:
        runtime.close()


def group(user, account, **traits):
    return {"type": "group", "userId": user, "groupId": account, "traits": traits}


def track(user, event):
    return {"type": "track", "userId": user, "event": event}


def hot(user, extra=()):
    """55 points on the default scoring (Hot Leads: 50+, leaves below 45); ``extra`` adds events."""
    return [track(user, "trial_signup"), track(user, "demo_requested"), *(track(user, e) for e in extra)]


def account(api, account_id):
    status, body = api.get(f"/accounts/{account_id}")
    assert status == 200, body
    return body


def lead(api, user):
    status, body = api.get(f"/leads/{user}")
    assert status == 200, body
    return body
