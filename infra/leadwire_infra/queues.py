"""The dead-letter queues of the stack: encrypted, TLS only, kept 14 days, read by operators."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_sqs as sqs
from constructs import Construct


def dead_letter_queue(scope: Construct, construct_id: str, *, reason: str) -> sqs.Queue:
    """A queue that is itself where failures park; ``reason`` says whose (cdk-nag SQS3 asks for a
    dead-letter queue behind every queue, and a queue behind this one would only hide them)."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    Validations.of(queue).acknowledge(Acknowledgment(id="AwsSolutions-SQS3", reason=reason))
    return queue
