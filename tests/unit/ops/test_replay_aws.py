"""The AWS adapters of ``leadwire replay`` with fake clients: stack outputs, a synchronous Lambda
invoke read as success or failure, expiry errors from the stream, SQS visibility."""

import io
import json

import pytest
from botocore.exceptions import ClientError

from leadwire.ops import aws
from leadwire.ops.replay import QueueMessage, RecordsExpired


class FakeLambda:
    def __init__(self, payload, function_error=None):
        self.payload, self.function_error, self.calls = payload, function_error, []

    def invoke(self, **kwargs):
        self.calls.append(kwargs)
        response = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.payload).encode())}
        if self.function_error:
            response["FunctionError"] = self.function_error
        return response


def test_redelivery_is_a_synchronous_invoke_of_the_deployed_function():
    client = FakeLambda({"batchItemFailures": []})
    delivery = aws.lambda_deliverer(client, "Leadwire-ActionsFn")({"Records": [{"eventID": "1"}]})
    assert delivery.ok
    (call,) = client.calls
    assert (call["FunctionName"], call["InvocationType"]) == ("Leadwire-ActionsFn", "RequestResponse")
    assert json.loads(call["Payload"]) == {"Records": [{"eventID": "1"}]}


def test_batch_item_failures_or_a_function_error_are_failures():
    failing = FakeLambda({"batchItemFailures": [{"itemIdentifier": "800"}]})
    assert not aws.lambda_deliverer(failing, "f")({"Records": []}).ok
    crashed = FakeLambda({"errorMessage": "boom", "errorType": "RuntimeError"}, function_error="Unhandled")
    delivery = aws.lambda_deliverer(crashed, "f")({"Records": []})
    assert not delivery.ok
    assert "RuntimeError: boom" in delivery.detail


class FakeSession:
    def __init__(self, outputs):
        self.outputs = outputs

    def client(self, name):
        if name == "cloudformation":
            outputs = [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]
            return type(
                "Cfn", (), {"describe_stacks": lambda _, StackName: {"Stacks": [{"Outputs": outputs}]}}
            )()
        return object()


OUTPUTS = {
    "StreamFailuresQueueUrl": "https://sqs/seg",
    "SegmentationFunctionName": "Leadwire-Seg",
    "ReactionStreamFailuresQueueUrl": "https://sqs/act",
    "ReactionFunctionName": "Leadwire-Act",
}


def test_consumers_come_from_the_stack_outputs():
    consumers = aws.stack_consumers(FakeSession(OUTPUTS), "Leadwire", ["segmentation", "reactions"])
    assert [(c.name, c.function_name, c.queue.url) for c in consumers] == [  # type: ignore[attr-defined]
        ("segmentation", "Leadwire-Seg", "https://sqs/seg"),
        ("reactions", "Leadwire-Act", "https://sqs/act"),
    ]
    assert all(c.exclusive_queue for c in consumers)


def test_a_stack_without_the_outputs_says_which():
    outputs = {k: v for k, v in OUTPUTS.items() if k != "ReactionFunctionName"}
    with pytest.raises(LookupError, match="ReactionFunctionName"):
        aws.stack_consumers(FakeSession(outputs), "Leadwire", ["reactions"])


def client_error(code):
    return ClientError({"Error": {"Code": code, "Message": code}}, "GetShardIterator")


@pytest.mark.parametrize("code", ["TrimmedDataAccessException", "ResourceNotFoundException"])
def test_stream_errors_that_mean_the_records_are_gone_are_expiry(code):
    class Streams:
        def get_shard_iterator(self, **kwargs):
            raise client_error(code)

    with pytest.raises(RecordsExpired):
        aws.DynamoStreamReader(Streams()).iterator_at("arn", "shard", "1")


def test_other_stream_errors_are_not_expiry():
    class Streams:
        def get_shard_iterator(self, **kwargs):
            raise client_error("ThrottlingException")

    with pytest.raises(ClientError):
        aws.DynamoStreamReader(Streams()).iterator_at("arn", "shard", "1")


def test_the_queue_hides_what_it_receives_and_releases_with_visibility_zero():
    calls = []

    class Sqs:
        def receive_message(self, **kwargs):
            calls.append(("receive", kwargs))
            return {"Messages": [{"MessageId": "m", "ReceiptHandle": "r", "Body": "{}"}]}

        def change_message_visibility(self, **kwargs):
            calls.append(("release", kwargs))

        def delete_message(self, **kwargs):
            calls.append(("delete", kwargs))

    queue = aws.SqsFailureQueue(Sqs(), "https://sqs/q")
    assert queue.receive(25) == [QueueMessage("m", "r", "{}")]
    queue.release(QueueMessage("m", "r", "{}"))
    queue.delete(QueueMessage("m", "r", "{}"))
    (_, receive), (_, release), (_, delete) = calls
    assert receive["MaxNumberOfMessages"] == 10
    assert receive["VisibilityTimeout"] > 0
    assert release == {"QueueUrl": "https://sqs/q", "ReceiptHandle": "r", "VisibilityTimeout": 0}
    assert delete == {"QueueUrl": "https://sqs/q", "ReceiptHandle": "r"}


def test_the_aws_path_does_not_import_moto():
    import subprocess
    import sys

    code = (
        "import sys; import leadwire.local.cli, leadwire.ops.aws, leadwire.ops.replay; "
        "assert 'moto' not in sys.modules, 'moto imported'; "
        "assert 'leadwire.local.runtime' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
