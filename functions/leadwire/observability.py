"""One place for Logger and Metrics. Tracer is left out on purpose: its X-Ray SDK import costs
about 170 ms of cold start on the ingestion path; X-Ray active tracing is enabled on the function
instead."""

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="leadwire")
metrics = Metrics(namespace="Leadwire", service="leadwire")
