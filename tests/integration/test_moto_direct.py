"""leadwire local's DynamoDB shortcut into moto (local/moto_direct.py): the same answers and the
same errors as the usual way through botocore's HTTP leg, which it really skips."""

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from leadwire import schema
from leadwire.local import moto_direct
from leadwire.local.moto_executions import start_and_join

TABLE = "direct-test"


def key(pk: str, sk: str) -> dict[str, Any]:
    return {schema.PK: {"S": pk}, schema.SK: {"S": sk}}


def error_of(call) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    response = dict(caught.value.response)
    response.pop("ResponseMetadata", None)
    return {"class": type(caught.value).__name__, **response}


def conversation(client) -> list[Any]:
    """Calls Leadwire makes, and their answers without the (random) request metadata."""
    answers: list[Any] = []

    def keep(response: dict[str, Any]) -> None:
        answers.append({k: v for k, v in response.items() if k != "ResponseMetadata"})

    client.create_table(**schema.create_table_kwargs(TABLE))
    item = {**key("LEAD#a", "STATE"), "v": {"N": "1"}, "rb": {"B": b"\x00\xff\x10"}, "ss": {"SS": ["x", "y"]}}
    keep(client.put_item(TableName=TABLE, Item=item, ReturnValues="ALL_OLD"))
    keep(client.get_item(TableName=TABLE, Key=key("LEAD#a", "STATE"), ConsistentRead=True))
    keep(
        client.update_item(
            TableName=TABLE,
            Key=key("STATS#1", "SEG#hot"),
            UpdateExpression="ADD #n :d",
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":d": {"N": "2"}},
            ReturnValues="ALL_NEW",
        )
    )
    answers.append(
        error_of(
            lambda: client.put_item(
                TableName=TABLE,
                Item=item,
                ConditionExpression="#v = :v",
                ExpressionAttributeNames={"#v": "v"},
                ExpressionAttributeValues={":v": {"N": "7"}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        )
    )
    keep(
        client.batch_write_item(
            RequestItems={
                TABLE: [{"PutRequest": {"Item": key("LEAD#a", f"EVT#{n:03d}")}} for n in range(30)][:25]
            }
        )
    )
    keep(
        client.query(
            TableName=TABLE,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :e)",
            ExpressionAttributeNames={"#pk": schema.PK, "#sk": schema.SK},
            ExpressionAttributeValues={":pk": {"S": "LEAD#a"}, ":e": {"S": "EVT#"}},
            Limit=10,
            ScanIndexForward=False,
        )
    )
    keep(
        client.batch_get_item(RequestItems={TABLE: {"Keys": [key("LEAD#a", "STATE"), key("LEAD#a", "none")]}})
    )
    answers.append(
        error_of(
            lambda: client.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": TABLE,
                            "Key": key("LEAD#a", "STATE"),
                            "ConditionExpression": "attribute_not_exists(#pk)",
                            "ExpressionAttributeNames": {"#pk": schema.PK},
                        }
                    },
                    {"Put": {"TableName": TABLE, "Item": key("DEF#x", "VERSION")}},
                ]
            )
        )
    )
    answers.append(error_of(lambda: client.get_item(TableName="no-such-table", Key=key("a", "b"))))
    keep(
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {**key("DEF#x", "VERSION"), "m": {"M": {"l": {"L": []}}}},
                    }
                },
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("STATS#1", "SEG#hot"),
                        "UpdateExpression": "ADD #n :d",
                        "ExpressionAttributeNames": {"#n": "n"},
                        "ExpressionAttributeValues": {":d": {"N": "-1"}},
                    }
                },
            ]
        )
    )
    keep(
        client.update_item(
            TableName=TABLE,
            Key=key("DEF#x", "VERSION"),
            UpdateExpression="SET #b = :b, #z = :z",
            ExpressionAttributeNames={"#b": "b", "#z": "z"},
            ExpressionAttributeValues={":b": {"BOOL": True}, ":z": {"NULL": True}},
            ReturnValues="ALL_OLD",
        )
    )
    answers.append(  # moto's own validation of an expression, as a ValidationException
        error_of(
            lambda: client.update_item(
                TableName=TABLE,
                Key=key("DEF#x", "VERSION"),
                UpdateExpression="SET #b = :missing",
                ExpressionAttributeNames={"#b": "b"},
            )
        )
    )
    keep(client.scan(TableName=TABLE, Limit=3))
    paginator = client.get_paginator("query")
    pages = paginator.paginate(
        TableName=TABLE,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": schema.PK},
        ExpressionAttributeValues={":pk": {"S": "LEAD#a"}},
        PaginationConfig={"PageSize": 7},
    )
    answers.append([{k: v for k, v in page.items() if k != "ResponseMetadata"} for page in pages])
    description = client.describe_table(TableName=TABLE)["Table"]
    created = description["CreationDateTime"]  # differs between runs: its type and precision do not
    answers.append({"TableName": description["TableName"], "KeySchema": description["KeySchema"]})
    answers.append((type(created), created.tzinfo is not None, created.microsecond % 1000))
    keep(client.delete_item(TableName=TABLE, Key=key("LEAD#a", "STATE"), ReturnValues="ALL_OLD"))
    # moto's item-size limit (405,000 bytes of names and values): just under, then just over it
    near = {**key("BIG#1", "x"), "blob": {"S": "x" * (405_000 - 20)}}
    keep(client.put_item(TableName=TABLE, Item=near))
    over = {**key("BIG#2", "x"), "blob": {"S": "x" * (405_000 - 20)}, "more": {"S": "y" * 30}}
    answers.append(error_of(lambda: client.put_item(TableName=TABLE, Item=over)))
    return answers


def run(shortcut: bool, talk=None, services=("dynamodb",), config=None) -> tuple[list[Any], int]:
    """``talk``'s answers (by default the DynamoDB conversation, on a client per service) and how
    many of its calls went through moto's stubber, with or without the shortcut."""
    sent = []
    real_call = BotocoreStubber.__call__

    def counting(self, event_name, request, **kwargs):
        if any(f"{host}." in request.url for host in ("dynamodb", "states", "events")):
            sent.append(request.url)
        return real_call(self, event_name, request, **kwargs)

    BotocoreStubber.__call__ = counting
    if shortcut:
        assert moto_direct.install()
    try:
        with mock_aws(config=config):
            clients = [boto3.client(service, region_name="us-east-1") for service in services]
            answers = (talk or conversation)(*clients)
    finally:
        moto_direct.uninstall()
        BotocoreStubber.__call__ = real_call
    return answers, len(sent)


def test_the_shortcut_answers_as_the_http_leg_does_and_skips_it():
    usual, usual_sent = run(shortcut=False)
    direct, direct_sent = run(shortcut=True)
    assert usual_sent > 10  # the usual way goes through moto's stubber for each call
    assert direct_sent == 0
    assert direct == usual
    # the answers are real: bytes decoded, modeled error fields and cancellation reasons present
    assert usual[1]["Item"]["rb"] == {"B": b"\x00\xff\x10"}
    assert usual[3]["class"] == "ConditionalCheckFailedException"
    assert usual[3]["Item"]["v"] == {"N": "1"}
    assert [r["Code"] for r in usual[7]["CancellationReasons"]] == ["ConditionalCheckFailed", "None"]
    assert usual[8]["class"] == "ResourceNotFoundException"
    assert "Item size has exceeded" in usual[-1]["Error"]["Message"]


def test_client_side_validation_still_runs_first():
    assert moto_direct.install()
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            with pytest.raises(ParamValidationError):
                client.get_item(TableName=TABLE)
    finally:
        moto_direct.uninstall()


def test_uninstalled_or_suspended_the_usual_way_answers():
    from moto.dynamodb.models.dynamo_type import Item

    stock = Item.__init__
    assert moto_direct.install()
    assert Item.__init__ is not stock  # items are built with one size check
    with moto_direct.suspended():
        assert not moto_direct.installed()
        assert Item.__init__ is stock  # the floor is timed on moto as shipped
    assert moto_direct.installed()
    moto_direct.uninstall()
    assert Item.__init__ is stock
    _, sent = run(shortcut=False)
    assert sent > 0


PASS_MACHINE = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1}, "End": true}}}'
ROLE = "arn:aws:iam::123456789012:role/timers"


def workflow_conversation(sfn, events) -> list[Any]:
    """The Step Functions and EventBridge calls leadwire local makes, without ids that differ per run."""
    answers: list[Any] = []
    machine = sfn.create_state_machine(name="timers", definition=PASS_MACHINE, roleArn=ROLE)[
        "stateMachineArn"
    ]
    started = start_and_join(
        lambda: sfn.start_execution(stateMachineArn=machine, name="cart-1", input='{"a": 1}')
    )
    answers.append((started["executionArn"], type(started["startDate"])))
    described = sfn.describe_execution(executionArn=started["executionArn"])
    answers.append({k: described[k] for k in ("status", "name", "input", "output")})
    history = sfn.get_execution_history(executionArn=started["executionArn"], maxResults=1000)["events"]
    answers.append([event["type"] for event in history])
    answers.append(error_of(lambda: sfn.describe_execution(executionArn=started["executionArn"] + "-none")))
    answers.append(error_of(lambda: sfn.start_execution(stateMachineArn=machine + "-none", name="x")))
    events.create_event_bus(Name="leadwire")
    sent = events.put_events(
        Entries=[
            {
                "Source": "leadwire",
                "DetailType": "segment.entered",
                "Detail": "{}",
                "EventBusName": "leadwire",
            }
        ]
    )
    answers.append((sent["FailedEntryCount"], len(sent["Entries"]), sorted(sent["Entries"][0])))
    answers.append(error_of(lambda: events.describe_event_bus(Name="no-such-bus")))
    return answers


def run_workflows(shortcut: bool) -> tuple[list[Any], int]:
    return run(
        shortcut,
        workflow_conversation,
        services=("stepfunctions", "events"),
        config={"stepfunctions": {"execute_state_machine": True}},
    )


def test_step_functions_and_eventbridge_answer_as_the_http_leg_does_and_skip_it():
    usual, usual_sent = run_workflows(shortcut=False)
    direct, direct_sent = run_workflows(shortcut=True)
    assert usual_sent >= 8
    assert direct_sent == 0
    assert direct == usual
    assert usual[1]["status"] == "SUCCEEDED"
    assert usual[1]["output"] == '{"ok": 1}'
    assert usual[3]["class"] == "ExecutionDoesNotExist"
    assert usual[5][0] == 0


def test_the_user_agent_is_built_once_per_client_and_features_as_botocore_builds_it():
    from botocore.context import start_as_current_context
    from botocore.useragent import register_feature_id

    client = boto3.client("dynamodb", region_name="us-east-1")
    creator = client._user_agent_creator
    stock = moto_direct._stock_user_agent
    plain = moto_direct._user_agent(creator)
    assert plain == stock(creator)
    with start_as_current_context():
        register_feature_id("PAGINATOR")  # a request's feature changes the string
        paging = moto_direct._user_agent(creator)
        assert paging == stock(creator) != plain
    assert moto_direct._user_agent(creator) == plain
    other = boto3.client("dynamodb", region_name="us-east-1", config=Config(user_agent_extra="probe/1"))
    assert moto_direct._user_agent(other._user_agent_creator) == stock(other._user_agent_creator)
    assert "probe/1" in moto_direct._user_agent(other._user_agent_creator)


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("GetItem", {"TableName": TABLE, "Key": key("LEAD#a", "STATE"), "ConsistentRead": True}),
        (
            "Query",
            {
                "TableName": TABLE,
                "KeyConditionExpression": "#pk = :pk",
                "ExpressionAttributeNames": {"#pk": "pk"},
                "ExpressionAttributeValues": {":pk": {"S": "LEAD#a"}},
                "Limit": 10,
                "ExclusiveStartKey": key("LEAD#a", "EVT#1"),
            },
        ),
        (
            "PutItem",
            {
                "TableName": TABLE,
                "Item": {**key("LEAD#a", "X"), "n": {"N": "1.5"}, "m": {"M": {"l": {"L": [{"BOOL": True}]}}}},
            },
        ),
        ("PutItem", {"TableName": TABLE, "Item": {**key("LEAD#a", "X"), "sz": {"B": "AP8Q"}}}),
        ("BatchGetItem", {"RequestItems": {TABLE: {"Keys": [key("a", "b")], "ProjectionExpression": "pk"}}}),
    ],
)
def test_a_request_reads_as_moto_s_parser_reads_it(action, params):
    import json

    body = json.dumps(params).encode()
    assert moto_direct._request_params(action, body) == moto_direct._request_parser(action).parse(
        {"body": body}
    )


def test_a_direct_answer_carries_a_request_id_as_moto_s():
    headers, body = moto_direct._Handler._enrich_response({"status": 200}, "{}")
    assert headers["status"] == "200"
    assert len(headers["x-amzn-requestid"]) == 52
    assert headers["x-amzn-requestid"].isalnum()
    assert body == "{}"
