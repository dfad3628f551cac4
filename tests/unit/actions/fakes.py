"""In-memory stand-ins for the delivery log, the send log and the deferral port, with the same
conditional-write semantics as the DynamoDB adapters."""

from datetime import datetime

from leadwire.core.delivery.decisions import SendLine, prune


class Crash(BaseException):
    """The process dies here (a Lambda timeout or OOM): nothing after it runs, nothing catches it."""


class MemoryLog:
    def __init__(self):
        self.items = {}
        self.fail_record = None  # status -> exception to raise when that status is recorded
        self.reads = 0

    def record_delivery(self, fire, delivery_id, channel, status, at, details, *, only_new=False):
        if only_new and delivery_id in self.items:
            return False
        if self.fail_record and status in self.fail_record:
            raise self.fail_record.pop(status)
        self.items[delivery_id] = {
            "deliveryId": delivery_id,
            "channel": channel,
            "triggerId": fire.trigger_id,
            "status": status,
            "at": at.isoformat(),
            **details,
            **{
                k: v
                for k, v in self.items.get(delivery_id, {}).items()
                if k in ("sesMessageId", "acceptedAt")
            },
        }
        return True

    def claim_delivery(self, fire, delivery_id, channel, at, details, prior):
        current = self.items.get(delivery_id)
        if prior is None and current is not None:
            return False
        if prior is not None and (
            current is None or (current["status"], current["at"]) != (prior["status"], prior["at"])
        ):
            return False
        attempts = int((prior or {}).get("attempts", 0)) + 1
        self.record_delivery(
            fire,
            delivery_id,
            channel,
            "sending",
            at,
            {**details, "attempts": attempts, "claimedAt": at.isoformat()},
        )
        return True

    def get_delivery(self, lead_id, delivery_id):
        self.reads += 1
        item = self.items.get(delivery_id)
        return dict(item) if item else None

    def confirm(self, delivery_id, ses_message_id, at: datetime):
        """What the SES feedback consumer does when SES reports the Send."""
        self.items[delivery_id]["sesMessageId"] = ses_message_id
        self.items[delivery_id]["acceptedAt"] = at.isoformat()


class MemorySendLog:
    def __init__(self):
        self.line_now = SendLine()

    @property
    def records(self):
        return self.line_now.sends

    @property
    def waiting(self):
        return self.line_now.waiting

    def line(self, lead_id):
        return self.line_now

    def save(self, lead_id, line, keep, now):
        if line.version != self.line_now.version:
            return False
        self.line_now = SendLine(prune(line.sends, keep, now), list(line.waiting), line.version + 1)
        return True


class Deferrals:
    def __init__(self):
        self.calls = []

    def defer(self, fire, until):
        self.calls.append((fire.fire_id, until))
        return True
