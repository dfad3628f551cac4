"""The dal's conditional put: written or not, as a bool, and metered either way."""

import pytest
from botocore.exceptions import ClientError

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.dal.conditional_put import put_if
from tests.integration.conftest import TABLE

ITEM = {schema.PK: {"S": "L#ann"}, schema.SK: {"S": "D#1"}, "status": {"S": "sending"}}


def test_a_put_if_absent_writes_once_and_both_attempts_are_billed(dynamodb):
    meter = CapacityMeter()
    assert put_if(dynamodb, TABLE, ITEM, meter, "delivery") is True
    changed = {**ITEM, "status": {"S": "sent"}}
    assert put_if(dynamodb, TABLE, changed, meter, "delivery") is False
    stored = dynamodb.get_item(TableName=TABLE, Key={k: ITEM[k] for k in (schema.PK, schema.SK)})["Item"]
    assert stored["status"]["S"] == "sending"
    assert meter.writes_by_kind == {"delivery": 2.0}


def test_a_put_under_its_own_condition(dynamodb):
    meter = CapacityMeter()
    put_if(dynamodb, TABLE, ITEM, meter, "delivery")
    sent = {**ITEM, "status": {"S": "sent"}}
    kwargs = {"condition": "#s = :s", "names": {"#s": "status"}}
    assert put_if(dynamodb, TABLE, sent, meter, "delivery", **kwargs, values={":s": {"S": "sending"}})
    assert not put_if(dynamodb, TABLE, sent, meter, "delivery", **kwargs, values={":s": {"S": "sending"}})


def test_other_errors_are_raised(dynamodb):
    with pytest.raises(ClientError, match="ResourceNotFound"):
        put_if(dynamodb, "no-such-table", ITEM, CapacityMeter(), "delivery")
