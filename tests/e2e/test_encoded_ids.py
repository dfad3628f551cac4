"""Lead ids in admin paths arrive percent-encoded, as a browser or curl sends them: decoded like
API Gateway decodes path parameters."""

import base64
import uuid
from urllib.parse import quote

import pytest

from .conftest import WRITE_KEY

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


@pytest.mark.parametrize("name", ["José Ñ", "a/b", "100%", "tag#1", "名前 ✓"])
def test_percent_encoded_lead_ids_reach_their_lead(local, name):
    # Given a lead whose id needs percent-encoding in a path
    lead_id = f"{name} {uuid.uuid4().hex[:8]}"
    status, _, _ = local.request("POST", "/v1/track", {"userId": lead_id, "event": "pricing_viewed"}, AUTH)
    assert status == 200
    local.drain()
    # When its events and state are read with the id percent-encoded (every reserved byte)
    encoded = quote(lead_id, safe="")
    events_status, _, events = local.request("GET", f"/leads/{encoded}/events")
    lead_status, _, lead = local.request("GET", f"/leads/{encoded}")
    # Then both answer for that lead
    assert (events_status, [e["event"] for e in events["events"]]) == (200, ["pricing_viewed"])
    assert (lead_status, lead["leadId"]) == (200, lead_id)


def test_the_issue_example_path_answers(local):
    # Given the lead "José Ñ"
    local.request("POST", "/v1/track", {"userId": "José Ñ", "event": "pricing_viewed"}, AUTH)
    local.drain()
    # When its events are read by the path from the issue
    status, _, body = local.request("GET", "/leads/Jos%C3%A9%20%C3%91/events")
    # Then they are there
    assert status == 200
    assert "pricing_viewed" in [e["event"] for e in body["events"]]
