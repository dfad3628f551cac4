"""The composition roots' container: one reset forgets every root's cached adapters and the
settings, and leadwire local's stand-ins are what the roots build while they are handed in."""

from leadwire import container
from leadwire.actions import wiring as actions_wiring
from leadwire.settings import actions_settings


class Simulator:
    def send(self, message):  # an EmailPort and an SmsPort, as far as the roots care
        return "sent"


def test_cached_factories_are_forgotten_together_by_reset():
    built = []

    @container.cached
    def adapter():
        built.append(object())
        return built[-1]

    assert adapter() is adapter()
    container.reset()
    assert adapter() is built[1]
    assert len(built) == 2


def test_stand_ins_handed_in_are_what_the_roots_build_until_taken_back(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    email, sms = Simulator(), Simulator()
    container.use_local(container.LocalAdapters(email=email, sms=sms))
    try:
        assert container.local() == container.LocalAdapters(email=email, sms=sms)
        assert actions_wiring.email_sender() is email
        assert actions_wiring.sms_sender() is sms
    finally:
        container.use_local(None)
    # Taken back: the roots build AWS's own services again
    assert container.local() is None
    assert actions_wiring.email_sender() is not email
    assert type(actions_wiring.email_sender()).__name__ == "SesEmailSender"


def test_settings_are_read_again_after_a_reset(monkeypatch):
    monkeypatch.setenv("PUBLIC_API_URL", "https://one.example")
    container.reset()
    assert actions_settings().public_api_url == "https://one.example"
    monkeypatch.setenv("PUBLIC_API_URL", "https://two.example")
    assert actions_settings().public_api_url == "https://one.example"  # read once per container
    container.reset()
    assert actions_settings().public_api_url == "https://two.example"
    container.reset()
