"""The key that signs one-click unsubscribe links (RFC 8058), and who may read it.

A Secrets Manager secret with a generated value. Exactly two functions read it: the actions
function, which signs the link in every marketing email, and the ingestion function, which
checks it on ``/v1/unsubscribe``. Both get its ARN as ``UNSUBSCRIBE_SECRET_REF`` (a secret
reference, resolved and cached by ``SecretResolver``); the actions also get ``PUBLIC_API_URL``,
the base of the links.

Not rotated: a link must work for as long as the mail sits in an inbox, and a new key would
break every link already sent. Changing the scheme is what the token's version prefix is for.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

SECRET_REF_ENV = "UNSUBSCRIBE_SECRET_REF"
PUBLIC_URL_ENV = "PUBLIC_API_URL"


class UnsubscribeConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        signer: lambda_.Function,
        checker: lambda_.Function,
        public_url: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "SigningKey",
            description="Leadwire: HMAC key of one-click unsubscribe links (never rotate: sent links break)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            # Deleting it would break every unsubscribe link already sent: keep it with the data.
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(self.secret).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="The unsubscribe signing key must not rotate: a rotated key would break every "
                "unsubscribe link in mail already sent, which must keep working (RFC 8058, bulk sender "
                "rules); the token's version prefix is how the scheme changes.",
            )
        )
        readers: Sequence[lambda_.Function] = (signer, checker)
        for function in readers:
            # GetSecretValue on this secret only (grant_read would add DescribeSecret, unused).
            iam.Grant.add_to_principal(
                grantee=function,
                actions=["secretsmanager:GetSecretValue"],
                resource_arns=[self.secret.secret_arn],
            )
            function.add_environment(SECRET_REF_ENV, self.secret.secret_arn)
        signer.add_environment(PUBLIC_URL_ENV, public_url)
