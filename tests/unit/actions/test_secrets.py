"""Secret references: env, SSM and Secrets Manager (moto), cached per container."""

import boto3
import pytest
from moto import mock_aws

from leadwire.actions.secrets import SecretError, SecretResolver

ARN_PREFIX = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"


def resolver(env=None, clock=None):
    return SecretResolver(
        lambda: boto3.client("ssm", region_name="us-east-1"),
        lambda: boto3.client("secretsmanager", region_name="us-east-1"),
        env=env,
        monotonic=clock or (lambda: 0.0),
    )


def test_env_references_read_the_variable() -> None:
    assert resolver({"HOOK_SECRET": "whsec_abc"}).resolve("env:HOOK_SECRET") == "whsec_abc"


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(SecretError, match="HOOK_SECRET"):
        resolver({}).resolve("env:HOOK_SECRET")


def test_ssm_and_secrets_manager_are_read_and_cached() -> None:
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/leadwire/hook", Value="whsec_one", Type="SecureString")
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        arn = sm.create_secret(Name="hook", SecretString="whsec_two")["ARN"]
        now = [0.0]
        secrets = resolver(clock=lambda: now[0])
        assert secrets.resolve("ssm:/leadwire/hook") == "whsec_one"
        assert secrets.resolve(arn) == "whsec_two"
        ssm.put_parameter(Name="/leadwire/hook", Value="whsec_rotated", Type="SecureString", Overwrite=True)
        assert secrets.resolve("ssm:/leadwire/hook") == "whsec_one"  # cached
        now[0] = 301.0
        assert secrets.resolve("ssm:/leadwire/hook") == "whsec_rotated"
        with pytest.raises(SecretError, match="no such SSM parameter"):
            secrets.resolve("ssm:/leadwire/missing")
        with pytest.raises(SecretError, match="no such secret"):
            secrets.resolve(ARN_PREFIX + "missing-AbCdEf")
