"""Process-wide test environment: never reach AWS, and match what TOOLING.md says moto needs."""

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Leadwire",
        "POWERTOOLS_SERVICE_NAME": "leadwire",
    }
)
