"""The dal's one retry: what a batch call leaves unprocessed is resent, with backoff, and what is
still left after the last attempt is returned for the caller to refuse in its own words."""

import pytest
from botocore.exceptions import ClientError

from leadwire.dal.unprocessed import get_all, write_all, written_item

TABLE = "t"


def put(n):
    return {"PutRequest": {"Item": {"pk": {"S": f"p{n}"}}}}


class Client:
    """Leaves the last request (or key) of each call unprocessed for the first ``flaky`` calls."""

    def __init__(self, flaky, error=None):
        self.flaky = flaky
        self.calls = []
        self.error = error

    def batch_write_item(self, RequestItems):
        if self.error:
            raise self.error
        requests = RequestItems[TABLE]
        self.calls.append(len(requests))
        left = requests[-1:] if len(self.calls) <= self.flaky else []
        return {"UnprocessedItems": {TABLE: left} if left else {}}

    def batch_get_item(self, RequestItems):
        keys = RequestItems[TABLE]["Keys"]
        self.calls.append(len(keys))
        left = keys[-1:] if len(self.calls) <= self.flaky else []
        served = keys[:-1] if left else keys
        return {"Responses": {TABLE: served}, "UnprocessedKeys": {TABLE: {"Keys": left}} if left else {}}


def test_unprocessed_writes_are_resent_with_backoff_until_written():
    client, written, pauses = Client(flaky=2), [], []
    left = write_all(client, TABLE, [put(1), put(2), put(3)], written.append, sleep=pauses.append)
    assert left == []
    assert client.calls == [3, 1, 1]
    assert [written_item(r)["pk"]["S"] for r in written] == ["p1", "p2", "p3"]
    assert len(pauses) == 2
    assert all(0 <= pause <= 1.0 for pause in pauses)


def test_what_is_left_after_the_last_attempt_is_returned():
    client = Client(flaky=99)
    left = write_all(client, TABLE, [put(1), put(2)], lambda r: None, attempts=3, sleep=lambda s: None)
    assert left == [put(2)]
    assert client.calls == [2, 1, 1]


def test_a_refused_call_is_botocores_to_retry_not_ours():
    error = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "BatchWriteItem")
    with pytest.raises(ClientError):
        write_all(Client(flaky=0, error=error), TABLE, [put(1)], lambda r: None)


def test_unprocessed_keys_are_read_again():
    client, read = Client(flaky=1), []
    keys = [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]
    found, left = get_all(client, TABLE, keys, read.append, sleep=lambda s: None)
    assert (found, left, client.calls) == (keys, [], [2, 1])
    assert read == keys
