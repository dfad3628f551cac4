"""Secret references: env, SSM and Secrets Manager (moto), cached per container."""

from datetime import datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from leadwire.actions.secrets import SecretError, SecretResolver

ARN_PREFIX = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"


def resolver(env=None):
    return SecretResolver(
        lambda: boto3.client("ssm", region_name="us-east-1"),
        lambda: boto3.client("secretsmanager", region_name="us-east-1"),
        env=env,
    )


@pytest.fixture
def parameters_clock(monkeypatch):
    """The clock of Powertools Parameters' cache (it reads ``datetime.now``), held still and moved
    by the test: the cache's expiry is tested on an explicit clock."""
    from aws_lambda_powertools.utilities.parameters import base

    now = [datetime(2026, 12, 5, 9, 0)]

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return now[0]

    monkeypatch.setattr(base, "datetime", Clock)
    return now


def test_env_references_read_the_variable() -> None:
    assert resolver({"HOOK_SECRET": "whsec_abc"}).resolve("env:HOOK_SECRET") == "whsec_abc"


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(SecretError, match="HOOK_SECRET"):
        resolver({}).resolve("env:HOOK_SECRET")


def test_ssm_and_secrets_manager_are_read_and_cached(parameters_clock) -> None:
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/leadwire/hook", Value="whsec_one", Type="SecureString")
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        arn = sm.create_secret(Name="hook", SecretString="whsec_two")["ARN"]
        secrets = resolver()
        assert secrets.resolve("ssm:/leadwire/hook") == "whsec_one"
        assert secrets.resolve(arn) == "whsec_two"
        ssm.put_parameter(Name="/leadwire/hook", Value="whsec_rotated", Type="SecureString", Overwrite=True)
        assert secrets.resolve("ssm:/leadwire/hook") == "whsec_one"  # cached
        parameters_clock[0] += timedelta(seconds=301)
        assert secrets.resolve("ssm:/leadwire/hook") == "whsec_rotated"
        with pytest.raises(SecretError, match="no such SSM parameter"):
            secrets.resolve("ssm:/leadwire/missing")
        with pytest.raises(SecretError, match="no such secret"):
            secrets.resolve(ARN_PREFIX + "missing-AbCdEf")


def test_a_transient_failure_is_raised_as_botocore_raised_it_so_the_batch_is_retried() -> None:
    from botocore.exceptions import ClientError

    class Throttled:
        def get_parameter(self, **kwargs):
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetParameter"
            )

    secrets = SecretResolver(Throttled, lambda: None)
    with pytest.raises(ClientError, match="ThrottlingException"):
        secrets.resolve("ssm:/leadwire/hook")
