"""Unsubscribe tokens: they round-trip, stay short, and nothing we did not sign is accepted."""

import base64

import pytest

from leadwire.core.email.unsubscribe import (
    InvalidToken,
    UnsubscribeRequest,
    make_token,
    read_token,
    unsubscribe_message_id,
)

SECRET = b"k" * 32
DELIVERY = "0123456789abcdef0123456789abcdef-1"


@pytest.mark.parametrize("lead", ["u-42", "ana@example.com", "Zoë 東京", "a.b.c", "x" * 256])
def test_round_trip(lead):
    token = make_token(SECRET, lead, DELIVERY)
    assert read_token(SECRET, token) == UnsubscribeRequest(lead, DELIVERY, "email")


def test_token_is_url_safe_versioned_and_short():
    token = make_token(SECRET, "ana@example.com", DELIVERY)
    assert token.startswith("v1.")
    assert set(token) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    assert len(token) < 110


def test_same_input_same_token():
    assert make_token(SECRET, "u-1", DELIVERY) == make_token(SECRET, "u-1", DELIVERY)


def test_another_secret_is_refused():
    token = make_token(SECRET, "u-1", DELIVERY)
    with pytest.raises(InvalidToken, match="signature"):
        read_token(b"other-secret", token)


def test_forged_payload_is_refused():
    """Swapping in another lead's payload keeps the old signature: refused."""
    version, _, mac = make_token(SECRET, "u-1", DELIVERY).split(".")
    _, other_payload, _ = make_token(SECRET, "u-2", DELIVERY).split(".")
    with pytest.raises(InvalidToken, match="signature"):
        read_token(SECRET, f"{version}.{other_payload}.{mac}")


def test_self_made_payload_is_refused():
    lead = b"victim"
    payload = base64.urlsafe_b64encode(len(lead).to_bytes(2, "big") + lead + b"d-0").decode().rstrip("=")
    with pytest.raises(InvalidToken):
        read_token(SECRET, f"v1.{payload}.{'A' * 22}")


@pytest.mark.parametrize("cut", [1, 5, 22, 23])
def test_truncated_token_is_refused(cut):
    token = make_token(SECRET, "u-1", DELIVERY)
    with pytest.raises(InvalidToken):
        read_token(SECRET, token[:-cut])


def test_version_is_signed_and_checked():
    _, payload, mac = make_token(SECRET, "u-1", DELIVERY).split(".")
    with pytest.raises(InvalidToken, match="version"):
        read_token(SECRET, f"v2.{payload}.{mac}")


@pytest.mark.parametrize(
    "junk", ["", "v1", "v1..", "v1.a.b.c", "v1.!!!!.abcd", "v1.YQ.Y", "v1.é.abcd", "nonsense"]
)
def test_junk_is_refused(junk):
    with pytest.raises(InvalidToken):
        read_token(SECRET, junk)


def test_empty_secret_is_a_programming_error():
    with pytest.raises(ValueError, match="secret"):
        make_token(b"", "u-1", DELIVERY)


def test_message_id_is_per_lead_and_delivery():
    one = unsubscribe_message_id(UnsubscribeRequest("u-1", DELIVERY))
    assert one == unsubscribe_message_id(UnsubscribeRequest("u-1", DELIVERY))
    assert one != unsubscribe_message_id(UnsubscribeRequest("u-2", DELIVERY))
    assert one != unsubscribe_message_id(UnsubscribeRequest("u-1", DELIVERY + "0"))
    assert len(one) <= 128
