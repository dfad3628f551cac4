"""The SMS action's grant: ``sms-voice:SendTextMessage``, and nothing else of End User Messaging.

``SendTextMessage`` authorizes on the origination identity (a phone number, sender id or pool)
and on the configuration set. Config names an identity by number or id (known to the account at
run time, not at synth), so the grant covers this account and region's phone numbers, sender ids
and pools; a configuration set named in ``delivery.sms.configuration_set`` is granted by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

SEND_TEXT_ACTION: Final = "sms-voice:SendTextMessage"
IDENTITY_KINDS: Final = ("phone-number", "sender-id", "pool")


def _configuration_set(bundled_config: Mapping[str, Any]) -> str | None:
    sms = (bundled_config.get("delivery") or {}).get("sms") or {}
    name = sms.get("configuration_set") if isinstance(sms, Mapping) else None
    return name if isinstance(name, str) and name else None


def grant_sms_sending(function: lambda_.Function, bundled_config: Mapping[str, Any]) -> None:
    stack = Stack.of(function)
    base = f"arn:{stack.partition}:sms-voice:{stack.region}:{stack.account}"
    resources = [f"{base}:{kind}/*" for kind in IDENTITY_KINDS]
    configuration_set = _configuration_set(bundled_config)
    if configuration_set is not None:
        resources.append(f"{base}:configuration-set/{configuration_set}")
    iam.Grant.add_to_principal(grantee=function, actions=[SEND_TEXT_ACTION], resource_arns=resources)
    for kind in IDENTITY_KINDS:
        Validations.of(function.role).acknowledge(  # type: ignore[arg-type]
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:"
                f"<AWS::AccountId>:{kind}/*]",
                reason="The SMS action's origination identity is named by number or id in the config "
                "and resolved by End User Messaging at send time: SendTextMessage (only) is granted "
                "on this account and region's origination identities.",
            )
        )
