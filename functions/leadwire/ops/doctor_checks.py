"""The checks of ``leadwire doctor``, each on boto3 clients the caller's credentials open.

Each check names the stack output it reads (``leadwire_infra.stack`` writes them) and returns
findings that say, in plain words, what is wrong and what to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from leadwire.core.secret_reference import SecretReference
from leadwire.ops.doctor import Check, DeployedStack, Finding

if TYPE_CHECKING:
    from leadwire.core.definitions_doc import SegmentOverride, TriggerOverride
    from leadwire.core.rules import Definitions
    from leadwire.core.triggers import Trigger

Client = Callable[[str], Any]

PLACEHOLDER_SENDER_DOMAIN: Final = "leadwire.example"  # leadwire_infra.application.DEFAULT_EMAIL_FROM
PLACEHOLDER_DIGEST: Final = "0" * 64  # leadwire_infra.application.PLACEHOLDER_WRITE_KEY_HASHES
# The stack's iterator-age alarm fires past 5 minutes (leadwire_infra.stream_consumer); the stream
# keeps records 24 hours, so lag is the first sign of records about to be lost.
ITERATOR_AGE_LIMIT: Final = timedelta(minutes=5)
ITERATOR_AGE_WINDOW: Final = timedelta(minutes=15)
DEAD_LETTER_SUFFIX: Final = "FailuresQueueUrl"
FUNCTION_SUFFIX: Final = "FunctionName"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _output(stack: DeployedStack, key: str) -> str:
    outputs = stack.outputs()
    if key not in outputs:
        raise LookupError(f"stack {stack.name} has no output {key}: deploy this version of the stack")
    return outputs[key]


def check_ses_identity(stack: DeployedStack, ses: Any) -> list[Finding]:
    """The sender's domain must be a verified SES identity with DKIM verified."""
    sender = _output(stack, "EmailSender")
    domain = parseaddr(sender)[1].rpartition("@")[2].lower()
    if domain == PLACEHOLDER_SENDER_DOMAIN:
        return [
            Finding(
                "ses-identity",
                "fail",
                f"email actions send as the placeholder {sender}, which SES refuses",
                "deploy with -c leadwire:emailFrom='You <you@your.domain>' (a domain you verify in SES)",
            )
        ]
    verification = ses.get_identity_verification_attributes(Identities=[domain])["VerificationAttributes"]
    status = verification.get(domain, {}).get("VerificationStatus", "missing")
    if status != "Success":
        return [
            Finding(
                "ses-identity",
                "fail",
                f"the sender's domain {domain} is not a verified SES identity (status: {status})",
                f"create the domain identity {domain} in SES (Easy DKIM) and publish its three DKIM "
                "CNAME records in DNS; SES verifies it within minutes to 72 hours",
            )
        ]
    dkim = ses.get_identity_dkim_attributes(Identities=[domain])["DkimAttributes"].get(domain, {})
    if not dkim.get("DkimEnabled") or dkim.get("DkimVerificationStatus") != "Success":
        return [
            Finding(
                "ses-identity",
                "fail",
                f"{domain} is verified but DKIM is not "
                f"(status: {dkim.get('DkimVerificationStatus', 'missing')})",
                "publish the DKIM CNAME records SES shows for the identity; unsigned mail lands in spam",
            )
        ]
    return [Finding("ses-identity", "ok", f"{domain} is a verified SES identity with DKIM")]


def check_ses_sandbox(sesv2: Any) -> list[Finding]:
    """An account in the SES sandbox sends only to verified addresses, 200 a day."""
    account = sesv2.get_account()
    findings = []
    if not account.get("SendingEnabled", True):
        findings.append(
            Finding(
                "ses-account",
                "fail",
                "SES sending is paused for this account in this region (reputation or review)",
                "read the SES account dashboard's reputation status and the message from AWS",
            )
        )
    if not account.get("ProductionAccessEnabled"):
        quota = account.get("SendQuota", {}).get("Max24HourSend")
        findings.append(
            Finding(
                "ses-account",
                "fail",
                "the account is in the SES sandbox in this region: mail goes only to verified "
                f"addresses{f', at most {quota:.0f} a day' if quota else ''}",
                "request production access (SES console: Account dashboard, or "
                "aws sesv2 put-account-details --production-access-enabled ...)",
            )
        )
    return findings or [Finding("ses-account", "ok", "SES production access, sending enabled")]


def check_secret_references(stack: DeployedStack, ssm: Any, secretsmanager: Any) -> list[Finding]:
    """Every SSM parameter and secret the bundled actions (webhook, Slack, HubSpot) name must exist."""
    references = [
        reference
        for text in _output(stack, "SecretReferences").split()
        if (reference := SecretReference.parse(text)) is not None
    ]
    findings = []
    for reference in references:
        try:
            if reference.store == "ssm":
                ssm.get_parameter(Name=reference.name, WithDecryption=False)
            else:
                secretsmanager.describe_secret(SecretId=reference.name)
        except ClientError as error:
            if _code(error) not in ("ParameterNotFound", "ResourceNotFoundException"):
                raise
            what = "SSM parameter" if reference.store == "ssm" else "secret"
            findings.append(
                Finding(
                    "secrets",
                    "fail",
                    f"the {what} {reference.name} that a bundled action names does not exist",
                    (
                        f"aws ssm put-parameter --type SecureString --name {reference.name} "
                        "--value ...; until then its deliveries are logged rejected"
                    )
                    if reference.store == "ssm"
                    else "create the secret, or change the trigger to name one that exists",
                )
            )
    present = len(references) - len(findings)
    if present:
        findings.append(Finding("secrets", "ok", f"{present} of {len(references)} referenced secrets exist"))
    return findings or [Finding("secrets", "ok", "the bundled triggers name no secret")]


def check_write_keys(stack: DeployedStack, lambda_: Any) -> list[Finding]:
    """A stack deployed without ``writeKeyHashes`` rejects every event."""
    configuration = lambda_.get_function_configuration(FunctionName=_output(stack, "IngestionFunctionName"))
    hashes = json.loads(
        configuration.get("Environment", {}).get("Variables", {}).get("WRITE_KEY_HASHES", "{}")
    )
    keys = {digest: source for digest, source in hashes.items() if digest != PLACEHOLDER_DIGEST}
    if not keys:
        return [
            Finding(
                "write-keys",
                "fail",
                "no write key is deployed: ingestion answers 401 to every event",
                'leadwire hash-key KEY, then cdk deploy -c writeKeyHashes=\'{"<digest>":"website"}\'',
            )
        ]
    sources = ", ".join(sorted(set(keys.values())))
    return [Finding("write-keys", "ok", f"{len(keys)} write key(s) deployed (sources: {sources})")]


def check_alarms(stack: DeployedStack, cloudwatch: Any) -> list[Finding]:
    """Alarms in ALARM, each with its own description (it says what it means and what to do)."""
    names = stack.physical_ids("AWS::CloudWatch::Alarm")
    alarms: list[dict[str, Any]] = []
    for start in range(0, len(names), 100):
        alarms.extend(cloudwatch.describe_alarms(AlarmNames=names[start : start + 100])["MetricAlarms"])
    firing = [a for a in alarms if a["StateValue"] == "ALARM"]
    findings = [
        Finding("alarms", "fail", f"{a['AlarmName']} is in ALARM", a.get("AlarmDescription", ""))
        for a in firing
    ]
    return findings or [Finding("alarms", "ok", f"none of the {len(alarms)} alarms is in ALARM")]


def check_dead_letters(stack: DeployedStack, sqs: Any) -> list[Finding]:
    """Messages in a failure queue are work given up on (a stream batch, an SES feedback record)."""
    queues = {k: v for k, v in stack.outputs().items() if k.endswith(DEAD_LETTER_SUFFIX)}
    findings = []
    for key, url in sorted(queues.items()):
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        count = int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )
        if count:
            stream = key != "EmailFeedbackFailuresQueueUrl"
            findings.append(
                Finding(
                    "dead-letters",
                    "fail",
                    f"{count} message(s) wait in {key.removesuffix('Url')}",
                    "leadwire replay --dry-run, then leadwire replay, within 24 hours of the failure "
                    "(the stream forgets after that)"
                    if stream
                    else "fix the cause (the feedback function's logs), then redrive the queue to its source",
                )
            )
    return findings or [Finding("dead-letters", "ok", f"all {len(queues)} failure queues are empty")]


def check_iterator_age(stack: DeployedStack, cloudwatch: Any, now: datetime) -> list[Finding]:
    """A stream consumer behind by minutes is not real time; by a day, it loses records."""
    functions = {k: v for k, v in stack.outputs().items() if k.endswith(FUNCTION_SUFFIX)}
    findings = []
    for key, name in sorted(functions.items()):
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName="IteratorAge",
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            StartTime=now - ITERATOR_AGE_WINDOW,
            EndTime=now,
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
        worst = max((p["Maximum"] for p in points), default=0.0)
        if worst > ITERATOR_AGE_LIMIT.total_seconds() * 1000:
            findings.append(
                Finding(
                    "stream-lag",
                    "fail",
                    f"{key.removesuffix(FUNCTION_SUFFIX)} is {worst / 60000:.0f} minutes behind the table "
                    "stream (the last 15 minutes' worst)",
                    "read its errors and duration on the dashboard: a failing batch retrying, slow "
                    "batches or throttling; records older than a day are given up on",
                )
            )
    return findings or [Finding("stream-lag", "ok", "no stream consumer is more than 5 minutes behind")]


def _admin_changes(
    stack: DeployedStack, dynamodb: Any
) -> tuple[list[SegmentOverride], list[TriggerOverride]]:
    """The segments and triggers changed through the admin API (the definition store's overrides)."""
    from leadwire.dal.definition_store import DefinitionStore

    store = DefinitionStore(dynamodb, _output(stack, "TableName"))
    return store.overrides(), store.trigger_overrides()


def _deployed(
    config_dir: Path, segments: list[SegmentOverride], triggers: list[TriggerOverride]
) -> tuple[Definitions, list[Trigger]]:
    """What the functions load: the bundled config with the admin API's changes."""
    from leadwire.config_loader import definitions_of, load_config_dir, triggers_of
    from leadwire.core.definitions_doc import effective_document

    document = effective_document(load_config_dir(config_dir), segments, triggers)
    definitions = definitions_of(document)
    return definitions, triggers_of(document, definitions)


def check_definitions(stack: DeployedStack, dynamodb: Any, config_dir: Path) -> list[Finding]:
    """The bundled definitions plus those changed through the admin API must still load together."""
    from leadwire.config_loader import ConfigError
    from leadwire.core.rules.errors import DefinitionError
    from leadwire.core.triggers.errors import TriggerDefinitionError

    segments, triggers = _admin_changes(stack, dynamodb)
    try:
        definitions, live_triggers = _deployed(config_dir, segments, triggers)
    except (ConfigError, DefinitionError, TriggerDefinitionError, ValueError) as error:
        return [
            Finding(
                "definitions",
                "fail",
                f"the definitions do not load ({config_dir} with {len(segments)} segment and "
                f"{len(triggers)} trigger change(s) from the admin API): {error}",
                "fix the definition named above with PUT /segments/{id} or /triggers/{id} (or DELETE "
                "it); until then every stream batch fails and is retried",
            )
        ]
    return [
        Finding(
            "definitions",
            "ok",
            f"{len(definitions.segments)} segments and {len(live_triggers)} triggers load "
            f"({len(segments) + len(triggers)} changed through the admin API)",
        )
    ]


TIMER_FIRES_LOOKBACK: Final = timedelta(days=7)


def check_timer_fires(
    stack: DeployedStack, dynamodb: Any, config_dir: Path, now: datetime, *, refire: bool = False
) -> list[Finding]:
    """Every timer its state machine marked fired has its FIRE item: the reactions consumer writes
    it when the mark reaches it on the stream. A timer that woke while an upgrade from a release
    whose state machine wrote the FIRE item itself was deploying (the new machine already, the
    stream mapping not yet) was marked and never written. With ``refire`` (``leadwire doctor
    --refire``: the doctor's one write) the missing items are written, once each, and the actions
    send them; a fire of an erased lead is left unwritten.

    Timers that fired in the last ``TIMER_FIRES_LOOKBACK`` are checked (an upgrade is recent): one
    Query of each trigger's timer partition, then one BatchGetItem per 100 of those fires."""
    from leadwire.dal.fire_store import FireStore
    from leadwire.dal.suppression_store import SuppressionStore
    from leadwire.dal.timer_store import TimerStore

    table = _output(stack, "TableName")
    _, live_triggers = _deployed(config_dir, *_admin_changes(stack, dynamodb))
    trigger_ids = [trigger.id for trigger in live_triggers]
    timers, fires, suppressions = (
        TimerStore(dynamodb, table),
        FireStore(dynamodb, table),
        SuppressionStore(dynamodb, table),
    )
    since = now - TIMER_FIRES_LOOKBACK
    fired = [fire for trigger_id in trigger_ids for fire in timers.fired(trigger_id) if fire.at >= since]
    erased = suppressions.suppressed({fire.lead_id for fire in fired})
    missing = [fire for fire in fires.missing(fired) if fire.lead_id not in erased]
    if not missing:
        return [
            Finding(
                "timer-fires",
                "ok",
                f"each of {len(fired)} timer(s) fired in the last {TIMER_FIRES_LOOKBACK.days} days "
                "has its FIRE item",
            )
        ]
    if refire:
        written = sum(fires.put_fire(fire) for fire in missing)
        return [
            Finding(
                "timer-fires",
                "ok",
                f"wrote the FIRE item of {written} fired timer(s) that had none; the actions send them",
            )
        ]
    named = ", ".join(f"{fire.trigger_id} for {fire.lead_id}" for fire in missing[:5])
    return [
        Finding(
            "timer-fires",
            "fail",
            f"{len(missing)} timer(s) marked fired have no FIRE item ({named}): they woke while an "
            "upgrade from a release whose state machine wrote it was deploying",
            "leadwire doctor --refire writes them, once each (the actions then send them)",
        )
    ]


def all_checks(
    stack: DeployedStack, client: Client, now: datetime, config_dir: Path, *, refire: bool = False
) -> Sequence[tuple[str, Check]]:
    def run(function: Callable[..., list[Finding]], *services: str, **extra: Any) -> Check:
        return lambda: function(stack, *(client(s) for s in services), **extra)

    return [
        ("ses-identity", run(check_ses_identity, "ses")),
        ("ses-account", lambda: check_ses_sandbox(client("sesv2"))),
        ("write-keys", run(check_write_keys, "lambda")),
        ("secrets", run(check_secret_references, "ssm", "secretsmanager")),
        ("definitions", run(check_definitions, "dynamodb", config_dir=config_dir)),
        ("alarms", run(check_alarms, "cloudwatch")),
        ("dead-letters", run(check_dead_letters, "sqs")),
        ("stream-lag", run(check_iterator_age, "cloudwatch", now=now)),
        ("timer-fires", run(check_timer_fires, "dynamodb", config_dir=config_dir, now=now, refire=refire)),
    ]


def unknown_reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        return f"could not look ({_code(error)}: {error.response.get('Error', {}).get('Message', '')})"
    return f"could not look ({type(error).__name__}: {error})"


def doctor_in_aws(
    *, stack_name: str, region: str | None, config_dir: Path, now: datetime, refire: bool = False
) -> tuple[DeployedStack, Iterable[tuple[str, Check]]]:
    import boto3

    from leadwire.ops.doctor import CloudFormationStack

    session = boto3.Session(region_name=region)
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service)
        return clients[service]

    stack = CloudFormationStack(client("cloudformation"), stack_name)
    stack.outputs()  # fails here, plainly, when the stack is not there
    return stack, all_checks(stack, client, now, config_dir, refire=refire)
