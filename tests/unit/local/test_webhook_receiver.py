"""The demo's and tests' CRM stand-in accepts only correctly signed, fresh webhooks: our signer's
signatures, checked by the reference Standard Webhooks verifier."""

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, tzinfo

import pytest
import standardwebhooks.webhooks

from leadwire.actions.webhooks import secret_bytes, sign
from leadwire.local.webhook_receiver import WebhookReceiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = 1_795_000_000  # 2026-11-18T11:06:40Z, the receiver's and the senders' clock


class _PinnedClock(datetime):
    """The reference verifier reads the wall clock (``datetime.now``) for its five-minute window:
    here it reads NOW."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> "_PinnedClock":
        return cls.fromtimestamp(NOW, tz or UTC)


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", _PinnedClock)
    server = WebhookReceiver(SECRET, fail_first=1)
    yield server
    server.close()


def post(receiver, msg_id, body, *, signature=None, stamp=None):
    stamp = NOW if stamp is None else stamp
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature or sign(secret_bytes(SECRET), msg_id, stamp, body),
    }
    request = urllib.request.Request(receiver.url(), data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_signed_webhook_is_refused_once_then_accepted_under_one_id(receiver):
    body = json.dumps({"type": "leadwire.trigger.fired"}).encode()
    assert post(receiver, "d-1", body) == 500
    assert post(receiver, "d-1", body) == 200
    assert [(r.webhook_id, r.payload["type"]) for r in receiver.accepted] == [
        ("d-1", "leadwire.trigger.fired")
    ]


def test_a_forged_or_stale_signature_is_refused(receiver):
    body = b'{"type": "x"}'
    assert post(receiver, "d-2", body, signature="v1,Zm9yZ2Vk") == 401
    assert post(receiver, "d-3", body, stamp=NOW - 3600) == 401
    assert post(receiver, "d-4", body, stamp=NOW + 3600) == 401
    assert [r.verified for r in receiver.requests] == [False, False, False]
    assert receiver.accepted == []
