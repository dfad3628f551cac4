"""The public ingestion endpoint and the IAM-authorised admin API, on one API Gateway HTTP API.

Why an HTTP API (v2, payload format 2.0) and not a REST API:

- Price: $1.00 per million requests against $3.50. Ingestion is the per-event hot path, so the API
  is the largest fixed share of the cost of an event after DynamoDB.
- Write-key auth happens in the ingestion Lambda anyway (keys arrive as a Basic-auth username or
  in the body, which no API Gateway authoriser can read), and the admin routes need only SigV4,
  which HTTP APIs support natively with the IAM authoriser.
- CORS: HTTP APIs support it natively, but we deliberately leave the API's CORS configuration
  off and route ``OPTIONS /v1/{proxy+}`` to the ingestion Lambda, which answers preflight itself:
  the same code answers it under ``leadwire local``, so browsers see one behaviour everywhere.

Trade-off: REST APIs offer usage plans, API keys and AWS WAF. A public beacon endpoint has no
per-client plans to sell and its callers embed the write key in web pages, so those features buy
little here; stage throttling bounds abuse. Teams that need WAF can put CloudFront (with WAF) in
front of this API without changing the functions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

import jsii
from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.aws_apigatewayv2_authorizers import HttpIamAuthorizer
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from leadwire import schema
from leadwire.deployment import MEMORY_MB
from leadwire_infra.data_construct import grant_table_access
from leadwire_infra.lambda_factory import LambdaFactory

INGESTION_HANDLER: Final = "leadwire.ingestion.handler.lambda_handler"
ADMIN_HANDLER: Final = "leadwire.admin.handler.lambda_handler"

# Events (PutItem, BatchWriteItem); the suppression hook reads erased ids (BatchGetItem) and
# counts the events it drops for them (UpdateItem on the suppression item).
INGESTION_TABLE_ACTIONS: Final = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
# Reads leads, members, history and deliveries; segment and trigger CRUD stores definitions in
# the table. It may Query every index (the trigger delivery log reads the deliveries index).
# Erasing a lead deletes its items in batches (BatchWriteItem).
ADMIN_TABLE_ACTIONS: Final = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)

INGESTION_ROUTES: Final = [
    ("/v1/{proxy+}", [apigwv2.HttpMethod.POST, apigwv2.HttpMethod.OPTIONS]),
    # The confirm page of an unsubscribe link (its POST is the one-click unsubscribe, above).
    ("/v1/unsubscribe", [apigwv2.HttpMethod.GET]),
]
ADMIN_ROUTES: Final = [
    ("/segments", [apigwv2.HttpMethod.ANY]),
    ("/segments/{proxy+}", [apigwv2.HttpMethod.ANY]),
    ("/leads/{proxy+}", [apigwv2.HttpMethod.ANY]),
    ("/jobs", [apigwv2.HttpMethod.POST]),
    ("/jobs/{proxy+}", [apigwv2.HttpMethod.GET]),
    ("/triggers", [apigwv2.HttpMethod.ANY]),
    ("/triggers/{proxy+}", [apigwv2.HttpMethod.ANY]),
    ("/openapi.json", [apigwv2.HttpMethod.GET]),
]

# No source IP or user agent: ingestion callers are the leads themselves, and both are personal
# data. The request id ties a line to the Lambda's own logs; userArn names the admin caller.
_ACCESS_LOG_FORMAT: Final = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "integrationStatus": "$context.integrationStatus",
        "integrationError": "$context.integrationErrorMessage",
        "error": "$context.error.message",
        "userArn": "$context.identity.userArn",
    },
    separators=(",", ":"),
)


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(_ACCESS_LOG_FORMAT)


class ApiConstruct(Construct):
    """HTTP API, default stage (throttled, access-logged), ingestion and admin functions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        functions: LambdaFactory,
        reevaluate_function: lambda_.IFunction,
        write_key_hashes: Mapping[str, str],
        throttle_rate_limit: int,
        throttle_burst_limit: int,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, construct_id)

        self.ingestion_function = functions.function(
            self,
            "Ingestion",
            handler=INGESTION_HANDLER,
            description="Leadwire ingestion: Segment HTTP Tracking API, one write per event",
            memory_size=MEMORY_MB["ingestion"],
            timeout=Duration.seconds(10),
            environment={
                "WRITE_KEY_HASHES": json.dumps(dict(write_key_hashes), sort_keys=True, separators=(",", ":"))
            },
        )
        # Not table.grant(): on a table with an index it also grants on "<table>/index/*", a
        # wildcard that item writes never need.
        grant_table_access(self.ingestion_function, table, INGESTION_TABLE_ACTIONS)

        self.admin_function = functions.function(
            self,
            "Admin",
            handler=ADMIN_HANDLER,
            memory_size=MEMORY_MB["admin"],
            description="Leadwire admin API: segments, triggers, leads",
            timeout=Duration.seconds(15),
            environment={"REEVALUATE_FUNCTION_NAME": reevaluate_function.function_name},
        )
        grant_table_access(
            self.admin_function,
            table,
            ADMIN_TABLE_ACTIONS,
            query_indexes=[index["IndexName"] for index in schema.GLOBAL_SECONDARY_INDEXES],
        )
        # A changed segment is applied to existing leads by an asynchronous re-evaluation run.
        # Not grant_invoke(): that also grants on "<function>:*" (every version and alias).
        iam.Grant.add_to_principal(
            grantee=self.admin_function,
            actions=["lambda:InvokeFunction"],
            resource_arns=[reevaluate_function.function_arn],
        )

        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description="Leadwire: public event ingestion (/v1) and IAM-authorised admin API",
            create_default_stage=False,
        )
        access_logs = logs.LogGroup(self, "AccessLogs", retention=log_retention)
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=throttle_rate_limit, burst_limit=throttle_burst_limit
            ),
            access_log_settings=_AccessLogSettings(access_logs),
        )

        ingestion = HttpLambdaIntegration(
            "IngestionIntegration",
            self.ingestion_function,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
        )
        for path, methods in INGESTION_ROUTES:
            for route in self.http_api.add_routes(path=path, methods=methods, integration=ingestion):
                Validations.of(route).acknowledge(
                    Acknowledgment(
                        id="AwsSolutions-APIG4",
                        reason="Public beacon endpoint for browsers and SDKs: the write key (Basic "
                        "username or body field) is checked in the ingestion Lambda against SHA-256 "
                        "digests; API Gateway authorisers cannot read it from the body.",
                    )
                )

        admin = HttpLambdaIntegration(
            "AdminIntegration",
            self.admin_function,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
        )
        iam_authorizer = HttpIamAuthorizer()
        for path, methods in ADMIN_ROUTES:
            self.http_api.add_routes(path=path, methods=methods, integration=admin, authorizer=iam_authorizer)

    @property
    def url(self) -> str:
        return self.stage.url
