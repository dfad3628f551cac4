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
from datetime import UTC, datetime
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
from leadwire.core.errors import InvalidRequest, LeadwireError
from leadwire.dal.due_index import DueIndex
from leadwire.dal.fire_store import delivery_view
from leadwire.jobs.starter import LocalJobQueue
from leadwire.local import moto_direct, moto_query, moto_stream, moto_transact
from leadwire.local.apigw import HttpResponse, from_http_api_response, to_http_api_event
from leadwire.local.due_view import StreamDueView
from leadwire.local.lambda_context import LocalLambdaContext
from leadwire.local.moto_events import MotoEventSource
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


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())


def _parse_duration(text: str) -> Any:
    from leadwire.core.rules.durations import parse_duration

    return parse_duration(text)


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
        self.timers = LocalTimers(stepfunctions, state_machine_arn, clock.now)
        self.ses = self._start_email()
        self.sms = SimulatedSms(clock.now)  # texts sent, inbound STOP replies
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
            return _json(200, {"status": "ok"})
        with self.lock:
            if path.startswith("/_local/"):
                return self._local_endpoint(method, path, body)
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

    def _local_endpoint(self, method: str, path: str, body: bytes) -> HttpResponse:
        try:
            if (method, path) == ("POST", "/_local/drain"):
                return _json(200, self.drain())
            if (method, path) == ("POST", "/_local/clock"):
                return _json(200, self.move_clock(body))
            if (method, path) == ("GET", "/_local/outbox"):
                return _json(200, {"messages": self.outbox()})
            if (method, path) == ("POST", "/_local/email-events"):
                return _json(200, self.email_event(body))
            if (method, path) == ("POST", "/_local/sms-inbound"):
                return _json(200, self.sms.inbound(body))
            if (method, path) == ("GET", "/_local/sms"):
                return _json(200, {"messages": self.sms.sent})
            if (method, path) == ("POST", "/_local/replay"):  # leadwire replay --local
                from leadwire.local.replay import replay_request

                return _json(200, replay_request(self, body))
        except LeadwireError as error:
            return _json(error.status, error.to_body())
        return _json(
            404, {"error": {"code": "not_found", "message": f"no route for {method} {path}", "details": None}}
        )

    def email_event(self, body: bytes) -> dict[str, Any]:
        """What a recipient does to a sent email (open, click): SES would publish it; the next
        drain feeds it back as a lead event."""
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError:
            raise InvalidRequest("body is not valid JSON", {"field": "body"}) from None
        if not isinstance(request, dict) or not isinstance(request.get("messageId"), str):
            raise InvalidRequest(
                "messageId (the SES message id of a sent email) is required", {"field": "messageId"}
            )
        link = request.get("link")
        self.ses.engage(request["messageId"], str(request.get("type")), str(link) if link else None)
        return {"queued": 1, "messageId": request["messageId"], "type": request.get("type")}

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

    # -- work -------------------------------------------------------------------------------
    def drain(self) -> dict[str, Any]:
        """Process all pending work: stream records, the leads due now, re-evaluation jobs, until
        none of them produces more."""
        with self.lock:
            totals = {
                "streamRecords": 0,
                "jobs": 0,
                "sweptLeads": 0,
                "timers": 0,
                "emailEvents": 0,
                "smsEvents": 0,
            }
            while True:
                delivered = self.pump.drain()
                jobs = self.jobs.run_pending()  # the jobs definition changes (and the admin) started
                swept = self._sweep()
                fired = self.timers.run_due(clock.now())  # Step Functions timers due by now
                emailed = self.ses.drain()  # SES feedback on what the actions sent: events for the next round
                texted = self.sms.drain()  # End User Messaging's delivery events of the texts sent
                totals["streamRecords"] += delivered
                totals["jobs"] += jobs
                totals["sweptLeads"] += swept
                totals["timers"] += fired
                totals["emailEvents"] += emailed
                totals["smsEvents"] += texted
                if not (delivered or jobs or swept or fired or emailed or texted):
                    return {"drained": True, **totals, "now": clock.now().isoformat()}

    def _sweep(self) -> int:
        """What the scheduled sweep Lambda does, run until it has caught up with now; it reads the
        due leads from the stream-fed view, not by querying the index (see ``local/due_view.py``)."""
        from leadwire.timers import sweep_handler

        target = clock.now()  # the wall clock moves on while the sweep runs: catch up to when it began
        if not self.due.any_due(target):
            # Nothing is due: what the sweep would do is move its checkpoint.
            self.due.advance_checkpoint(target)
            return 0
        swept = 0
        while True:
            result = self.usage.timed("sweep", sweep_handler.lambda_handler)(
                {"source": "aws.events"}, LocalLambdaContext("leadwire-sweep"), due=self.due
            )
            metrics.clear_metrics()
            swept += int(result["leads"]) + int(result["accounts"])
            if datetime.fromisoformat(result["through"]) >= target:
                return swept

    def _next_due(self, until: datetime) -> datetime | None:
        """The earliest instant after now and up to ``until`` at which a lead or a timer is due, so
        the simulated clock can jump from one due instant to the next."""
        now = clock.now()
        candidates = [due] if (due := self.due.next_due(now, until)) is not None else []
        timer = self.timers.next_deadline(until)
        if timer is not None and timer > now:
            candidates.append(timer)
        return min(candidates, default=None)

    def run_until(self, target: datetime) -> dict[str, Any]:
        """Move the simulated clock to ``target`` as if it ran through: every due instant on the
        way is reached in order, and the sweep runs there."""
        assert self.clock is not None
        with self.lock:
            self.drain()
            while (due := self._next_due(target)) is not None:
                self.clock.move_to(due)
                self.drain()
            self.clock.move_to(target)
            return self.drain()

    def move_clock(self, body: bytes) -> dict[str, Any]:
        if self.clock is None:
            raise InvalidRequest(
                "start leadwire local with --clock to use a simulated clock", {"field": "clock"}
            )
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError:
            raise InvalidRequest("body is not valid JSON", {"field": "body"}) from None
        if not isinstance(request, dict) or ("advance" in request) == ("to" in request):
            raise InvalidRequest(
                'send exactly one of {"advance": DURATION} or {"to": ISO8601}', {"field": "body"}
            )
        if "advance" in request:
            try:
                target = self.clock.now() + _parse_duration(str(request["advance"]))
            except ValueError as exc:
                raise InvalidRequest(str(exc), {"field": "advance"}) from None
        else:
            try:
                target = datetime.fromisoformat(str(request["to"]).replace("Z", "+00:00"))
            except ValueError:
                raise InvalidRequest("to must be an ISO 8601 date-time", {"field": "to"}) from None
            if target.tzinfo is None:
                target = target.replace(tzinfo=UTC)
        if target < self.clock.now():
            raise InvalidRequest(
                f"the clock only moves forward: it is already {self.clock.now().isoformat()}", {"field": "to"}
            )
        return self.run_until(target)
