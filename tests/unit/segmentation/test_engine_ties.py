"""Events of one lead at the same instant are applied in the order their request carried them."""

import pytest

from leadwire.segmentation.engine import SegmentationEngine

from .conftest import T0, event


@pytest.fixture
def engine(leads, history, definitions, clock):
    return SegmentationEngine(leads, history, definitions, clock)


def test_equal_instants_are_applied_in_request_order_not_message_id_order(engine, leads, clock):
    # Given a trial signup then a demo request, sent in that order at the same instant, whose
    # messageIds sort the other way round
    clock.now = T0
    trial = event("u1", "trial_signup", T0).model_copy(update={"message_id": "m-z", "sequence": 0})
    demo = event("u1", "demo_requested", T0).model_copy(update={"message_id": "m-a", "sequence": 1})
    # When they are processed (in any arrival order)
    engine.process("u1", [demo, trial])
    # Then the demo request, sent second, is what made the lead hot
    entered = {seg: cause for seg, kind, _, cause in leads.transitions() if kind == "entered"}
    assert entered["hot"] == "m-a"
    assert entered["trial"] == "m-z"
