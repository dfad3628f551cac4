"""Integration fixtures: moto, with the table created from the same constants the stack uses."""

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from leadwire import schema
from leadwire.local.runtime import LocalRuntime

TABLE = "leadwire-test"
WRITE_KEY = "sample-write-key"


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
    """The whole local runtime in-process (moto started and stopped by it)."""
    rt = LocalRuntime({WRITE_KEY: "website"})
    yield rt
    rt.close()
