"""One type knows the secret reference syntax."""

import pytest

from leadwire.core.secret_reference import SecretReference, is_reference

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/token-AbC123"


@pytest.mark.parametrize(
    ("text", "store", "name"),
    [
        ("env:CRM_SECRET", "env", "CRM_SECRET"),
        ("ssm:/leadwire/sales-webhook-url", "ssm", "/leadwire/sales-webhook-url"),
        (ARN, "secretsmanager", ARN),
        ("arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x", "secretsmanager", None),
    ],
)
def test_references_parse_to_their_store_and_name_and_print_back(text, store, name):
    reference = SecretReference.parse(text)
    assert reference is not None
    assert (reference.store, reference.name) == (store, name or text)
    assert str(reference) == text
    assert is_reference(text)


@pytest.mark.parametrize(
    "text",
    ["https://hooks.example.com/x", "ssm:relative/path", "env:1BAD", "arn:aws:s3:::bucket", "s3cr3t", ""],
)
def test_anything_else_is_not_a_reference(text):
    assert SecretReference.parse(text) is None
    assert not is_reference(text)


def test_an_ssm_parameter_s_arn_name_has_no_leading_slash():
    assert SecretReference.parse("ssm:/leadwire/key").parameter_name == "leadwire/key"
