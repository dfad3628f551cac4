"""Integration fixtures: moto, with the table created from the same constants the stack uses."""

from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from leadwire import schema
from leadwire.local.runtime import LocalRuntime

TABLE = "leadwire-test"
WRITE_KEY = "sample-write-key"
RUNTIME_START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
"""Where the ``runtime`` fixture's simulated clock starts: every test runs at a known instant,
never on the wall clock (the suite also runs a year ahead under faketime)."""


@pytest.fixture
def aws():
    with mock_aws():
        yield


@pytest.fixture
def dynamodb(aws):
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(**schema.create_table_kwargs(TABLE))
    return client


@pytest.fixture
def stream_arn(dynamodb):
    return dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]


@pytest.fixture
def streams(aws):
    return boto3.client(
        "dynamodbstreams", region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled")
    )


@pytest.fixture
def runtime():
    """The whole local runtime in-process (moto started and stopped by it), its clock at RUNTIME_START."""
    rt = LocalRuntime({WRITE_KEY: "website"}, clock_start=RUNTIME_START)
    yield rt
    rt.close()
