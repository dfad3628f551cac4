"""What one fired trigger costs, measured at the adapters: write units by item kind and consumer
invocations, for a cart abandonment whose reminder email is sent and confirmed by SES.

The bounds are the figures of the design (README "Costs"), so a change that adds a write per fire
fails here first.
"""

import shutil
from datetime import timedelta

import pytest

from leadwire.dal.metering import PROCESS_METER
from leadwire.local.runtime import DEFAULT_CONFIG, LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, track


@pytest.fixture
def api(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def snapshot(api):
    invocations = {c.name: c.invocations for c in api.runtime.pump.consumers}
    return dict(PROCESS_METER.writes_by_kind), invocations


def delta(before, after):
    return {
        k: round(after.get(k, 0) - before.get(k, 0), 2) for k in after if after.get(k, 0) != before.get(k, 0)
    }


def test_a_fired_cart_abandonment_costs_a_bounded_number_of_writes_and_invocations(api):
    traits = {"email": "ann@example.com", "first_name": "Ann", "subscriptions": {"email": True}}
    api.send({"type": "identify", "userId": "ann", "traits": traits})
    api.drain()
    api.post("/_local/clock", {"advance": "PT6H"})
    api.send(
        track(
            "ann",
            "cart_added",
            properties={"cart_id": "c-1"},
            timestamp=(NOW + timedelta(hours=6)).isoformat(),
        )
    )
    api.drain()
    writes_before, calls_before = snapshot(api)
    # The deadline passes: the timer fires, the actions run, SES reports back.
    api.post("/_local/clock", {"advance": "PT2H"})
    writes_after, calls_after = snapshot(api)
    writes, calls = delta(writes_before, writes_after), delta(calls_before, calls_after)
    print("write units by kind:", writes, "invocations:", calls)

    _, outbox = api.get("/_local/outbox")
    mine = [m for m in outbox["messages"] if m["triggerId"] == "cart-abandonment"]
    assert sorted((m["channel"], m["status"]) for m in mine) == [("email", "sent"), ("event", "sent")]
    # The state machine marks the timer fired with the fire's fields (1 unit, not metered by the
    # adapters), and the reactions consumer writes the FIRE item from that change (1 unit). The
    # actions write the deliveries (the email's claim and outcome, the derived event's record)
    # and reserve a cap slot; SES's Send/Delivery confirm the email once.
    assert writes["fire"] == 1
    assert writes["delivery"] == 3
    assert writes["send_log"] == 1
    assert writes["delivery_confirmation"] == 1
    # Two events re-enter the pipeline: cart_abandoned, and SES's email_delivered; they move the
    # lead like any event (state and membership writes).
    assert writes["event"] == 2
    assert writes["lead"] + writes.get("member", 0) + writes.get("history", 0) <= 6
    # Two reactions invocations for the fire (the timer's mark, whose change writes the FIRE item,
    # then its actions); segmentation and the reactions (its triggers) see the two derived events.
    assert calls == {"leadwire-segmentation": 2, "leadwire-reactions": 5}
