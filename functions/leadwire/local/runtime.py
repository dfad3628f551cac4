"""``leadwire local`` in one process: the Lambda handlers on moto, wired as AWS wires them.

The table is created from the same schema constants as the CDK stack; HTTP requests become API
Gateway events for the same handlers; a stream pump feeds the stream consumers as their event
source mappings would; an optional simulated clock replaces the wall clock.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from leadwire import clock, container, schema
from leadwire.actions.secret_check import unusable_webhook_secrets
from leadwire.config_loader import ConfigError, definitions_of, load_config_dir
from leadwire.dal.delivery_store import delivery_view
from leadwire.dal.due_index import DueIndex
from leadwire.jobs.starter import LocalJobQueue
from leadwire.local import local_api, moto_direct, moto_query, moto_stream, moto_transact
from leadwire.local.apigw import HttpResponse, from_http_api_response, to_http_api_event
from leadwire.local.due_view import StreamDueView
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.local.local_api import ClockMove, EmailEngagement
from leadwire.local.moto_events import MotoEventSource
from leadwire.local.moto_executions import MotoExecutions
from leadwire.local.scheduler import Scheduler
from leadwire.local.ses_simulator import SimulatedSes
from leadwire.local.sim_clock import SimulatedClock
from leadwire.local.sms_simulator import SimulatedSms
from leadwire.local.stream_pump import StreamConsumer, StreamPump
from leadwire.local.usage import UsageMeter
from leadwire.observability import logger, metrics
from leadwire.settings import hash_write_key, reset_settings
from leadwire.stream_consumers import STREAM_CONSUMERS
from leadwire.timers import load_definition
from leadwire.timers.local_timers import LocalTimers

DEFAULT_CONFIG = Path(__file__).resolve().parents[3] / "config" / "default"
REGION = "us-east-1"
TABLE_NAME = "leadwire-local"
STREAM_DLQ_NAME = "leadwire-local-stream-failures"
TIMER_STATE_MACHINE_NAME = "leadwire-local-timers"
TIMER_ROLE_ARN = "arn:aws:iam::123456789012:role/leadwire-local-timers"  # moto does not check it
DEFAULT_EMAIL_FROM = "Leadwire <hello@leadwire.example>"
SES_CONFIGURATION_SET = "leadwire-local"
EVENT_BUS_NAME = "leadwire-local"  # the stack's custom bus, in moto
UNSUBSCRIBE_SECRET_ENV = "LEADWIRE_LOCAL_UNSUBSCRIBE_SECRET"

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


class LocalRuntime:
    def __init__(
        self,
        write_keys: dict[str, str],
        *,
        config_dir: Path | None = None,
        clock_start: datetime | None = None,
        public_url: str | None = None,
    ) -> None:
        """``write_keys`` maps each write key to its source name. ``public_url`` is where the API
        is served (the unsubscribe links in emails point there); ``LocalServer`` sets it once it
        has bound its port, see ``serve_at``."""
        self.config_dir = config_dir or DEFAULT_CONFIG
        self._workdir = tempfile.TemporaryDirectory(prefix="leadwire-local-")
        config_path = Path(self._workdir.name) / "bundled_config.json"
        document = load_config_dir(self.config_dir)
        definitions_of(document)  # refuse to start on an invalid config, with the problem paths
        unusable = unusable_webhook_secrets(document, os.environ)
        if unusable:
            raise ConfigError(
                f"{self.config_dir}: webhook secrets no receiver can verify: " + "; ".join(unusable)
            )
        config_path.write_text(json.dumps(document))
        self._environment(write_keys, config_path, public_url)
        moto_direct.install()  # before the mock: its sessions pick the shortcut up (local/moto_direct.py)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        if not moto_query.install():  # see local/moto_query.py: same answers, without walking the table
            logger.warning("moto's query fast path is off: another moto version", extra={"pinned": "5.2.5"})
        moto_transact.install()  # see local/moto_transact.py: the same rollback, without copying the table
        self.clock = SimulatedClock(clock_start) if clock_start else None
        clock.use(self.clock.now if self.clock else None)
        self.lock = threading.RLock()
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.dynamodb.create_table(**schema.create_table_kwargs(TABLE_NAME))
        stream_arn = self.dynamodb.describe_table(TableName=TABLE_NAME)["Table"]["LatestStreamArn"]
        streams = boto3.client(
            "dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
        )
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.stream_dlq_url = self.sqs.create_queue(QueueName=STREAM_DLQ_NAME)["QueueUrl"]
        os.environ["STREAM_FAILURE_QUEUE_URL"] = self.stream_dlq_url  # where consumers send poison records
        boto3.client("events", region_name=REGION).create_event_bus(Name=EVENT_BUS_NAME)
        # moto's stream read in-process (see local/moto_stream.py), else through the API
        reader = moto_stream.reader_for(TABLE_NAME, account_id=DEFAULT_ACCOUNT_ID, region=REGION)
        self.pump = StreamPump(streams, stream_arn, reader=reader)
        self.due = StreamDueView(DueIndex(self.dynamodb, TABLE_NAME))
        self.pump.observe(self.due.observe)
        stepfunctions = boto3.client("stepfunctions", region_name=REGION)
        state_machine_arn = stepfunctions.create_state_machine(
            name=TIMER_STATE_MACHINE_NAME, definition=load_definition(TABLE_NAME), roleArn=TIMER_ROLE_ARN
        )["stateMachineArn"]
        os.environ["STATE_MACHINE_ARN"] = state_machine_arn
        self.timers = LocalTimers(
            stepfunctions, state_machine_arn, clock.now, executions=MotoExecutions(stepfunctions)
        )
        self.ses = self._start_email()
        self.sms: SimulatedSms = SimulatedSms(clock.now)  # texts sent, inbound STOP replies
        from leadwire.jobs.wiring import run_to_completion

        self.jobs = LocalJobQueue(run_to_completion)  # the jobs the admin starts, run by the drain
        # The stand-ins for what moto cannot play, handed to every composition root; this also
        # drops every adapter and setting cached by a previous runtime in this process.
        container.use_local(
            container.LocalAdapters(
                email=self.ses,
                sms=self.sms,
                timers=self.timers,
                jobs=self.jobs,
                events=lambda: MotoEventSource(TABLE_NAME, REGION),  # previews read moto's table in place
            )
        )
        self.usage = UsageMeter()
        self.scheduler = Scheduler(
            pump=self.pump,
            jobs=self.jobs,
            due=self.due,
            timers=self.timers,
            ses=self.ses,
            sms=self.sms,
            usage=self.usage,
            simulated=self.clock,
            lock=self.lock,
        )
        ingestion, admin = self._load_handlers()
        self._ingestion = self.usage.timed("ingestion", ingestion)
        self._admin = self.usage.timed("admin", admin)
        # The stack's event source mappings, from the same declaration (leadwire/stream_consumers.py).
        for spec in STREAM_CONSUMERS:
            self.pump.add_consumer(
                StreamConsumer(
                    name=spec.function_name,
                    handler=self.usage.timed(spec.name, self._load(spec.handler_module)),
                    batch_size=spec.batch_size,
                    filters=list(spec.filters),
                    max_retries=spec.retry_attempts,
                    bisect_on_error=spec.bisect_on_error,
                    on_failure=self.send_to_stream_dlq,
                )
            )

    @staticmethod
    def _environment(write_keys: dict[str, str], config_path: Path, public_url: str | None) -> None:
        os.environ.update(
            {
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
                "TABLE_NAME": TABLE_NAME,
                "CONFIG_PATH": str(config_path),
                # The stack's cache period: this process's own writes end it at once anyway.
                "DEFINITIONS_CACHE_SECONDS": "30",
                "WRITE_KEY_HASHES": json.dumps(
                    {hash_write_key(k): source for k, source in write_keys.items()}
                ),
                "POWERTOOLS_SERVICE_NAME": "leadwire",
                "POWERTOOLS_METRICS_NAMESPACE": "Leadwire",
                "ALLOW_LOOPBACK_WEBHOOKS": "true",  # leadwire local may call webhooks on this machine
                "SES_CONFIGURATION_SET": SES_CONFIGURATION_SET,
                "EVENT_BUS_NAME": EVENT_BUS_NAME,
                # Unsubscribe links are signed with a key of this runtime only (as the stack's
                # generated secret is the stack's): links from another run do not work here.
                "UNSUBSCRIBE_SECRET_REF": f"env:{UNSUBSCRIBE_SECRET_ENV}",
                UNSUBSCRIBE_SECRET_ENV: secrets.token_urlsafe(32),
            }
        )
        LocalRuntime._set_public_url(public_url)
        os.environ.setdefault("EMAIL_FROM", DEFAULT_EMAIL_FROM)
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        logger.setLevel(os.environ["POWERTOOLS_LOG_LEVEL"])
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

    @staticmethod
    def _set_public_url(url: str | None) -> None:
        """``PUBLIC_API_URL`` for the actions; unset while unknown (then mail has no unsubscribe
        headers), never left over from an earlier runtime in this process."""
        if url:
            os.environ["PUBLIC_API_URL"] = url.rstrip("/")
        else:
            os.environ.pop("PUBLIC_API_URL", None)

    def serve_at(self, url: str) -> None:
        """The URL the API is served at, known once the server has bound its port."""
        self._set_public_url(url)
        reset_settings()  # the actions read it from their settings

    @staticmethod
    def _load(module: str) -> LambdaHandler:
        handler: LambdaHandler = importlib.import_module(module).lambda_handler
        return handler

    @staticmethod
    def _load_handlers() -> tuple[LambdaHandler, LambdaHandler]:
        """Import the handlers after the environment is set."""
        from leadwire.admin import handler as admin
        from leadwire.ingestion import handler as ingestion

        return ingestion.lambda_handler, admin.lambda_handler

    def _start_email(self) -> SimulatedSes:
        """SESv2 on moto with the sender verified, wrapped in the simulator that plays SES's
        event publishing."""
        from leadwire.actions.email import SesEmailSender

        sesv2 = boto3.client("sesv2", region_name=REGION)
        sesv2.create_email_identity(EmailIdentity=parseaddr(os.environ["EMAIL_FROM"])[1])
        return SimulatedSes(
            SesEmailSender(lambda: sesv2), clock.now, context=LocalLambdaContext("leadwire-feedback")
        )

    def close(self) -> None:
        container.use_local(None)
        clock.use(None)
        moto_direct.uninstall()
        self._mock.stop()
        self._workdir.cleanup()

    # -- HTTP -------------------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        source_ip: str,
    ) -> HttpResponse:
        if path == "/health":
            return HttpResponse(200, {"content-type": "application/json"}, b'{"status": "ok"}')
        with self.lock:
            if path.startswith("/_local/"):
                return local_api.handle(self, method, path, body)
            handler, name = (
                (self._ingestion, "ingestion") if path.startswith("/v1/") else (self._admin, "admin")
            )
            event = to_http_api_event(method, path, query, headers, body, source_ip)
            try:
                return from_http_api_response(handler(event, LocalLambdaContext(f"leadwire-{name}")))
            finally:
                # Powertools keeps metrics in memory when POWERTOOLS_METRICS_DISABLED is set; a
                # long-running process must drop them or they pile up.
                metrics.clear_metrics()

    def email_event(self, request: EmailEngagement) -> dict[str, Any]:
        """What a recipient does to a sent email (open, click): SES would publish it; the next
        drain feeds it back as a lead event."""
        self.ses.engage(request.message_id, request.type, request.link)
        return {"queued": 1, "messageId": request.message_id, "type": request.type}

    def outbox(self) -> list[dict[str, Any]]:
        """Every delivery the actions made (emails, webhooks, bus events, derived events), in time order."""
        pages = self.dynamodb.get_paginator("scan").paginate(
            TableName=TABLE_NAME,
            # Filtered in moto: only deliveries cross its (slow) response serialiser.
            FilterExpression="begins_with(#sk, :delivery)",
            ExpressionAttributeNames={"#sk": schema.SK},
            ExpressionAttributeValues={":delivery": {"S": schema.DELIVERY_PREFIX}},
        )
        items = [item for page in pages for item in page["Items"]]
        return sorted((delivery_view(item) for item in items), key=lambda m: (m["at"], m["fireId"]))

    def send_to_stream_dlq(self, failure: dict[str, Any]) -> None:
        """On-failure destination of every stream consumer: an SQS queue, as in the stack."""
        self.sqs.send_message(QueueUrl=self.stream_dlq_url, MessageBody=json.dumps(failure))

    # -- work (local/scheduler.py) ---------------------------------------------------------
    def drain(self) -> dict[str, Any]:
        """Process all pending work: stream records, jobs, the leads due now, timers, SES and SMS
        feedback, until none of them produces more."""
        return self.scheduler.drain()

    def run_until(self, target: datetime) -> dict[str, Any]:
        return self.scheduler.run_until(target)

    def move_clock(self, request: ClockMove) -> dict[str, Any]:
        return self.scheduler.move_clock(request)

    def _next_due(self, until: datetime) -> datetime | None:
        return self.scheduler.next_due(until)
