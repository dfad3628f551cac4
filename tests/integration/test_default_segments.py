"""Each shipped default segment on a scenario that puts a lead in it (and keeps others out)."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.local.runtime import LocalRuntime

from .local_api import WRITE_KEY, LocalApi

NOW = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def api():
    runtime = LocalRuntime({WRITE_KEY: "tests"}, clock_start=NOW)
    yield LocalApi(runtime)
    runtime.close()


def at(minutes=0):
    return (NOW - timedelta(minutes=minutes)).isoformat()


def track(name, minutes=0, **properties):
    return {"type": "track", "event": name, "timestamp": at(minutes), "properties": properties}


def page(path, minutes=0):
    return {"type": "page", "name": path, "timestamp": at(minutes), "properties": {"path": path}}


def identify(**traits):
    return {"type": "identify", "timestamp": at(30), "traits": traits}


SCENARIOS = {
    # segment id: (messages that put a lead in it, a segment the lead must not be in)
    "cold-leads": ([page("/")], "warm-leads"),
    "warm-leads": ([track("trial_signup")], "hot-leads"),
    "hot-leads": ([track("trial_signup"), track("demo_requested")], "cold-leads"),
    "very-hot-leads": ([track("trial_signup"), track("demo_requested"), track("purchase")], "warm-leads"),
    "recent-activity": ([page("/")], "dormant-leads"),
    "email-engaged": ([track("email_opened", campaign="launch")], "trial-users"),
    "trial-users": ([track("trial_signup")], "stalled-trials"),
    "pricing-page-viewers": ([page("/pricing")], "trial-users"),
    "enterprise-prospects": ([identify(company_size=5000), page("/")], "smb-prospects"),
    "smb-prospects": ([identify(company_size=80), page("/")], "enterprise-prospects"),
    "high-value-prospects": (
        [identify(company_size=1200, industry="Technology"), page("/pricing"), track("webinar_registered")],
        "smb-prospects",
    ),
    "demo-ready-leads": (
        [page("/pricing"), track("trial_signup"), track("whitepaper_downloaded")],
        "cold-leads",
    ),
    "new-leads": ([page("/")], "dormant-leads"),
    "webinar-registrants": ([track("webinar_registered")], "trial-users"),
    "multi-touch-leads": (
        [
            track("touch", 3, channel="email"),
            track("touch", 2, channel="web"),
            track("touch", 1, channel="event"),
        ],
        "returning-visitors",  # three touches in one visit
    ),
    "returning-visitors": ([page("/", 90), page("/pricing")], "multi-touch-leads"),
    "high-fit-low-engagement": ([identify(company_size=800), page("/")], "warm-leads"),
    "hot-enterprise": (
        [identify(company_size=5000), track("trial_signup"), track("demo_requested")],
        "hot-smb",
    ),
    "hot-smb": (
        [identify(company_size=80), track("trial_signup"), track("demo_requested")],
        "hot-enterprise",
    ),
    "smb-trial-users": ([identify(company_size=80), track("trial_signup")], "hot-smb"),
}


@pytest.mark.parametrize("segment", sorted(SCENARIOS))
def test_default_segment_scenario(api, segment):
    messages, excluded = SCENARIOS[segment]
    lead = f"lead-{segment}"
    api.send(*[{**message, "userId": lead} for message in messages])
    api.drain()
    status, view = api.get(f"/leads/{lead}")
    assert status == 200
    assert segment in view["segments"]
    assert excluded not in view["segments"]


@pytest.mark.parametrize(
    "messages",
    [
        # score 55, whitepaper and webinar, but never viewed pricing
        [track("trial_signup"), track("whitepaper_downloaded"), track("webinar_registered")],
        # viewed pricing with a score of 46, but neither a whitepaper nor a webinar
        [page("/pricing"), track("trial_signup"), track("newsletter_subscribed")],
    ],
    ids=["no-pricing", "no-content"],
)
def test_demo_ready_needs_pricing_and_whitepaper_or_webinar_and_score(api, messages, request):
    lead = f"lead-not-demo-ready-{request.node.callspec.id}"
    api.send(*[{**message, "userId": lead} for message in messages])
    api.drain()
    status, view = api.get(f"/leads/{lead}")
    assert status == 200
    assert view["score"] >= 40
    assert "demo-ready-leads" not in view["segments"]
