"""Webhook signing, the address guard and the retry policy (no network)."""

import base64
from datetime import UTC, datetime

import pytest
import standardwebhooks

from leadwire.actions.secrets import SecretError
from leadwire.actions.webhooks import (
    HttpResult,
    WebhookRefused,
    WebhookSecretInvalid,
    WebhookSender,
    address_refusal,
    check_target,
    secret_bytes,
    sign,
)

REFERENCE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_standard_webhooks_reference_vector() -> None:
    signature = sign(
        secret_bytes(REFERENCE_SECRET), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


UNPADDED_SECRET = "whsec_" + base64.b64encode(b"a 32-byte key for unpadded tests").decode().rstrip("=")


def test_a_whsec_secret_decodes_with_or_without_its_padding() -> None:
    assert UNPADDED_SECRET.endswith("dGVzdHM")  # base64 of 32 bytes ends in one '=', dropped here
    assert secret_bytes(REFERENCE_SECRET) == base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert (
        secret_bytes(UNPADDED_SECRET)
        == secret_bytes(UNPADDED_SECRET + "=")
        == b"a 32-byte key for unpadded tests"
    )


@pytest.mark.parametrize("secret", [REFERENCE_SECRET, UNPADDED_SECRET, UNPADDED_SECRET + "="])
def test_the_reference_verifier_accepts_what_the_sender_signs(secret: str) -> None:
    # Given a sender holding a whsec_ secret (padded or not)
    opener = FakeOpener(HttpResult(200))
    webhooks = WebhookSender(
        lambda ref: secret, opener=opener, resolve=resolver("93.184.216.34"), wall_clock=lambda: 1614265330.0
    )
    # When it delivers a message
    webhooks.send("https://crm.example.com/hook", "env:S", "fire1-0", PAYLOAD, allow_private=False)
    # Then the reference Standard Webhooks library, given the same secret, computes that signature
    # (its verify() compares the timestamp with the wall clock, so its signing step is used)
    [(_, headers, body, _)] = opener.calls
    stamp = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC)
    reference = standardwebhooks.Webhook(secret).sign(headers["webhook-id"], stamp, body.decode())
    assert headers["webhook-signature"] == reference


@pytest.mark.parametrize("secret", ["plain-sécret", "mysecret", "whsec_not base64!", "whsec_", "whsec_abcde"])
def test_a_secret_the_verifiers_cannot_use_is_refused_without_quoting_it(secret: str) -> None:
    with pytest.raises(WebhookSecretInvalid, match="not a Standard Webhooks secret") as raised:
        secret_bytes(secret)
    assert secret.removeprefix("whsec_") not in str(raised.value) or not secret.removeprefix("whsec_")


def test_a_sender_with_an_unusable_secret_raises_a_secret_error_naming_the_reference() -> None:
    opener = FakeOpener(HttpResult(200))
    webhooks = WebhookSender(lambda ref: "plain", opener=opener, resolve=resolver("93.184.216.34"))
    with pytest.raises(SecretError, match="secret env:S: not a Standard Webhooks secret"):
        webhooks.send("https://crm.example.com/hook", "env:S", "fire1-0", PAYLOAD, allow_private=False)
    assert opener.calls == []


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "172.16.0.9", "192.168.1.1", "127.0.0.1", "::1", "169.254.10.1", "fc00::1", "100.64.0.1"],
)
def test_private_loopback_and_link_local_addresses_are_refused_by_default(address: str) -> None:
    assert address_refusal(address, allow_private=False, allow_loopback=False) is not None


@pytest.mark.parametrize("address", ["10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.10.1", "fc00::1"])
def test_allow_private_allows_private_addresses(address: str) -> None:
    assert address_refusal(address, allow_private=True, allow_loopback=False) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_the_runtime_loopback_setting_allows_loopback_only(address: str) -> None:
    assert address_refusal(address, allow_private=False, allow_loopback=True) is None
    assert address_refusal("10.0.0.1", allow_private=False, allow_loopback=True) is not None


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "0.0.0.0", "224.0.0.1", "240.0.0.1"],
)
def test_metadata_and_unusable_addresses_are_always_refused(address: str) -> None:
    assert address_refusal(address, allow_private=True, allow_loopback=True) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(address, allow_private=False, allow_loopback=False) is None


def resolver(*addresses: str):
    return lambda host, port: list(addresses)


def test_any_refused_address_refuses_the_host() -> None:
    with pytest.raises(WebhookRefused, match="private"):
        check_target(
            "https://h.example.com/x",
            resolver("93.184.216.34", "10.0.0.5"),
            allow_private=False,
            allow_loopback=False,
        )


def test_http_is_refused_unless_loopback_is_allowed() -> None:
    with pytest.raises(WebhookRefused, match="https"):
        check_target(
            "http://h.example.com/x", resolver("93.184.216.34"), allow_private=False, allow_loopback=False
        )
    target = check_target(
        "http://127.0.0.1:8080/x?a=1", resolver("127.0.0.1"), allow_private=False, allow_loopback=True
    )
    assert (target.scheme, target.address, target.port, target.path) == ("http", "127.0.0.1", 8080, "/x?a=1")


def test_the_target_keeps_the_host_and_pins_the_checked_address() -> None:
    target = check_target(
        "https://h.example.com/hook", resolver("93.184.216.34"), allow_private=False, allow_loopback=False
    )
    assert (target.host, target.address, target.port) == ("h.example.com", "93.184.216.34", 443)


class FakeOpener:
    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def __call__(self, target, headers, body, timeout):
        self.calls.append((target, dict(headers), body, timeout))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def sender(opener, sleeps=None, addresses=("93.184.216.34",)):
    return WebhookSender(
        lambda ref: REFERENCE_SECRET,
        opener=opener,
        resolve=resolver(*addresses),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        rand=lambda: 1.0,
        wall_clock=lambda: 1614265330.0,
    )


PAYLOAD = {"type": "leadwire.trigger.fired", "data": {"leadId": "ann"}}


def send(s, msg_id="fire1-0"):
    return s.send("https://crm.example.com/hook", "env:S", msg_id, PAYLOAD, allow_private=False)


def test_a_5xx_then_200_takes_two_attempts_with_the_same_id_and_a_valid_signature() -> None:
    opener, sleeps = FakeOpener(HttpResult(503), HttpResult(200)), []
    result = send(sender(opener, sleeps))
    assert result.status == "sent"
    assert result.details["attempts"] == 2
    assert result.details["statusCode"] == 200
    assert sleeps == [0.25]
    ids = {headers["webhook-id"] for _, headers, _, _ in opener.calls}
    assert ids == {"fire1-0"}
    _, headers, body, timeout = opener.calls[1]
    assert timeout == 5.0
    assert headers["content-type"] == "application/json"
    stamp = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC)
    expected = standardwebhooks.Webhook(REFERENCE_SECRET).sign("fire1-0", stamp, body)
    assert headers["webhook-signature"] == expected


def test_a_400_fails_at_once_and_is_not_retried() -> None:
    opener = FakeOpener(HttpResult(400))
    result = send(sender(opener))
    assert (result.status, result.retryable, result.details["attempts"]) == ("failed", False, 1)
    assert result.details["statusCode"] == 400


def test_429_and_network_errors_are_retried_up_to_four_attempts() -> None:
    opener, sleeps = FakeOpener(HttpResult(429), OSError("reset"), TimeoutError("slow"), HttpResult(500)), []
    result = send(sender(opener, sleeps))
    assert (result.status, result.retryable, result.details["attempts"]) == ("failed", True, 4)
    assert sleeps == [0.25, 0.5, 1.0]  # full jitter with rand() = 1: the cap of each window
    assert len(opener.calls) == 4


def test_a_redirect_is_not_followed() -> None:
    opener = FakeOpener(HttpResult(302, "https://elsewhere.example.com/"))
    result = send(sender(opener))
    assert (result.status, result.retryable, result.details["attempts"]) == ("failed", False, 1)
    assert result.details["location"] == "https://elsewhere.example.com/"


def test_a_refused_target_is_never_contacted() -> None:
    opener = FakeOpener()
    result = send(sender(opener, addresses=("169.254.169.254",)))
    assert (result.status, result.retryable, result.details["attempts"]) == ("failed", False, 0)
    assert "metadata" in result.details["error"]
    assert opener.calls == []
