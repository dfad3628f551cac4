"""The actions get unsubscribe links only when both the public URL and the secret are there."""

import pytest

from leadwire import container
from leadwire.actions import wiring
from leadwire.core.email.unsubscribe import UnsubscribeLinks


@pytest.fixture(autouse=True)
def fresh_container():
    container.reset()  # the settings are read once per container: each test sets its own
    yield
    container.reset()


def test_links_from_the_public_url_and_the_secret_reference(monkeypatch):
    monkeypatch.setenv("PUBLIC_API_URL", "https://abc.execute-api.us-east-1.amazonaws.com")
    monkeypatch.setenv("UNSUBSCRIBE_SECRET_REF", "env:TEST_UNSUBSCRIBE_SECRET")
    monkeypatch.setenv("TEST_UNSUBSCRIBE_SECRET", "s3cret")
    assert wiring.unsubscribe_links() == UnsubscribeLinks(
        "https://abc.execute-api.us-east-1.amazonaws.com", b"s3cret"
    )
    container.reset()


@pytest.mark.parametrize(
    ("url", "ref"),
    [
        (None, "env:TEST_UNSUBSCRIBE_SECRET"),
        ("https://api.example.com", None),
        ("https://api.example.com", "env:TEST_UNSUBSCRIBE_SECRET_MISSING"),
    ],
)
def test_no_links_without_either_or_when_the_secret_does_not_resolve(monkeypatch, url, ref):
    monkeypatch.setenv("TEST_UNSUBSCRIBE_SECRET", "s3cret")
    for name, value in (("PUBLIC_API_URL", url), ("UNSUBSCRIBE_SECRET_REF", ref)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert wiring.unsubscribe_links() is None
