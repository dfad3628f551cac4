"""One factory for every Leadwire function: same runtime, code, layer, observability and role shape.

Synth never needs Docker or the network: the function code is pure Python staged from
``functions/leadwire`` together with the bundled definitions (see ``config_bundle``), and the
third-party packages (Powertools, pydantic) come from the public Powertools v3 layer; boto3 is in
the Lambda runtime. Lambda code may import only those.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from aws_cdk import Acknowledgment, Duration, Fn, Stage, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from leadwire_infra.config_bundle import CONFIG_PATH, stage_function_code

FUNCTIONS_DIR: Final = Path(__file__).resolve().parents[2] / "functions"

# The layer version pins the Powertools release the functions run on; bump it together with the
# aws-lambda-powertools pin in the lockfile. The layer is built per runtime and architecture, so
# RUNTIME and ARCHITECTURE below must match the ARN. Partition and region come from the deployment
# (no "arn:aws:" literal); in the China and GovCloud partitions the layer is published from other
# accounts with other version numbers: pass that ARN as ``leadwire:powertoolsLayerArn`` context.
POWERTOOLS_LAYER_VERSION: Final = 27
POWERTOOLS_LAYER_ARN: Final = (
    "arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:"
    f"AWSLambdaPowertoolsPythonV3-python312-arm64:{POWERTOOLS_LAYER_VERSION}"
)
RUNTIME: Final = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE: Final = lambda_.Architecture.ARM_64

OBSERVABILITY_ENVIRONMENT: Final = {
    "POWERTOOLS_SERVICE_NAME": "leadwire",
    "POWERTOOLS_METRICS_NAMESPACE": "Leadwire",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}

_XRAY_REASON: Final = (
    "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no "
    "resource-level permissions"
)


class LambdaFactory(Construct):
    """Holds what all functions share; :meth:`function` adds one function with its role and logs.

    Each function gets its own role that starts empty: no ``AWSLambdaBasicExecutionRole`` managed
    policy, only write access to its own log group. Callers add data access with table grants.
    Every function gets the same code asset, which carries ``bundled_config`` at ``CONFIG_PATH``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: Mapping[str, str],
        bundled_config: Mapping[str, Any],
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        powertools_layer_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions: list[lambda_.Function] = []
        self._environment = {**OBSERVABILITY_ENVIRONMENT, **environment, "CONFIG_PATH": CONFIG_PATH}
        self._log_retention = log_retention
        stage = Stage.of(self)
        assert stage is not None, "LambdaFactory must be inside an App"
        self.code_dir = stage_function_code(FUNCTIONS_DIR, Path(stage.outdir), bundled_config)
        self._code = lambda_.Code.from_asset(str(self.code_dir))
        self.powertools_layer = lambda_.LayerVersion.from_layer_version_arn(
            self, "PowertoolsLayer", powertools_layer_arn or Fn.sub(POWERTOOLS_LAYER_ARN)
        )

    def function(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: str,
        description: str,
        timeout: Duration,
        memory_size: int = 256,
        environment: Mapping[str, str] | None = None,
        unscoped_actions_reason: str | None = None,
    ) -> lambda_.Function:
        """A function with its own role and log group.

        ``unscoped_actions_reason`` explains any action besides X-Ray's that the caller will grant
        on Resource "*" (it joins the role's single acknowledgement of AwsSolutions-IAM5 on "*").
        """
        log_group = logs.LogGroup(scope, f"{construct_id}Logs", retention=self._log_retention)
        role = iam.Role(
            scope,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Leadwire {construct_id}: own log group, X-Ray, and the grants its caller adds",
        )
        log_group.grant_write(role)
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="; ".join(filter(None, [_XRAY_REASON, unscoped_actions_reason]))
                + ". Nothing else in this role uses '*'.",
            )
        )
        function = lambda_.Function(
            scope,
            construct_id,
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=self._code,
            layers=[self.powertools_layer],
            memory_size=memory_size,
            timeout=timeout,
            tracing=lambda_.Tracing.ACTIVE,
            role=role,
            log_group=log_group,
            environment={**self._environment, **(environment or {})},
        )
        Validations.of(function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="Pinned to python3.12: the Powertools layer ARN is built per runtime "
                "(python312-arm64); runtime and layer are bumped together.",
            )
        )
        self.functions.append(function)
        return function
