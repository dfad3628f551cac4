"""The demo's on-site chapter on the local runtime: the come-back trigger added through the admin
API stores a pop-up for a cart abandoner, and the played page view shows it once, records the
shown and clicked events, and leaves nothing for the page after."""

from datetime import timedelta

import pytest

from leadwire.local.demo.onsite import COME_BACK_ID, add_come_back, report_onsite
from leadwire.local.runtime import LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, track


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "tests"}, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def caller(api):
    """The demo client's ``call(method, path, body)`` over the in-process runtime."""

    def call(method, path, body=None):
        route, _, query = path.partition("?")
        status, answer, _ = api.request(method, route, body, query=query)
        assert status < 300, (method, path, answer)
        return answer

    return call


def test_the_come_back_popup_is_shown_clicked_and_then_gone(api):
    call = caller(api)
    add_come_back(call)
    api.send(track("ann", "cart_abandoned", properties={"cart_id": "c1"}))
    api.drain()

    lines = report_onsite(call)

    assert lines[0].endswith(f"({COME_BACK_ID}, added with POST /triggers): 1 pop-ups stored")
    assert 'ann\'s next page view: GET /v1/messages -> "Still thinking it over?"' in lines[1]
    assert "(CTA 'Back to my cart' -> /cart)" in lines[1]
    assert lines[2].endswith(
        "the lead's events now hold onsite_clicked, onsite_shown; the page after that: 0 messages"
    )
    _, left = api.get("/v1/messages", "userId=ann")
    assert left == {"messages": []}


def test_a_popup_past_its_month_is_not_played(api):
    call = caller(api)
    add_come_back(call)
    api.send(track("bo", "cart_abandoned"))
    api.drain()
    api.post("/_local/clock", {"advance": "P31D"})

    lines = report_onsite(call)

    assert lines[1:] == ["  none still unexpired at the end of the replay"]
    assert "1 pop-ups stored" in lines[0]
