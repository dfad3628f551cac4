"""The demo's accounts chapter (B2B): the demo's ``group`` calls put leads in their companies'
accounts; when three leads of one account are Hot at once, the account enters Hot Accounts and
the default ``hot-account-alert`` trigger alerts the sales team in Slack (a stand-in for the
incoming webhook, its URL in SSM as the trigger's reference says) and on the bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from leadwire.local.handoff_receivers import SlackWebhook

Call = Callable[..., Any]

HOT_ACCOUNTS = "hot-accounts"
ENTERPRISE_TRIAL = "enterprise-accounts-with-trial"
ALERT_TRIGGER = "hot-account-alert"
SLACK_URL_PARAMETER = "/leadwire/sales-slack-url"  # the trigger's ``url: ssm:/leadwire/sales-slack-url``
ACCOUNT_PREFIX = "account:"


def wire_slack(slack: SlackWebhook, region: str) -> None:
    """Puts the stand-in's URL (the sales team's incoming webhook) where the trigger reads it."""
    ssm = boto3.client("ssm", region_name=region)
    url = slack.url + "/services/T0DEMO/B0SALES/demo"
    ssm.put_parameter(Name=SLACK_URL_PARAMETER, Value=url, Type="SecureString", Overwrite=True)


def _alerts(call: Call) -> list[dict[str, Any]]:
    outbox = call("GET", "/_local/outbox")["messages"]
    return [m for m in outbox if m["triggerId"] == ALERT_TRIGGER]


def account_lines(call: Call, account_id: str) -> list[str]:
    """The account's score now beside its leads' scores now (the same instant, so they add up)."""
    account = call("GET", f"/accounts/{account_id}")
    leads = [call("GET", f"/leads/{lead_id}") for lead_id in account["leads"]]
    parts = " + ".join(f"{lead['leadId']} {lead['score']:.1f}" for lead in leads)
    hot = [lead["leadId"] for lead in leads if "hot-leads" in lead["segments"]]
    traits = account["traits"]
    return [
        f"  {account_id} ({traits.get('name', '?')}, {traits.get('employees', '?')} employees, GET /accounts/"
        f"{account_id}): score {account['score']:.1f} = the sum of its {len(leads)} leads' decayed scores "
        f"({parts} = {sum(lead['score'] for lead in leads):.1f})",
        f"    its leads in Hot Leads now: {', '.join(hot) or 'none'}; its segments now: "
        f"{', '.join(account['segments']) or 'none'}",
    ]


def accounts_scene(call: Call, slack: SlackWebhook) -> list[str]:
    lines = ["", "Accounts (B2B: group calls link leads to their companies' accounts):"]
    alerts = _alerts(call)
    hot = [m for m in alerts if m["channel"] == "slack"]
    if not hot:
        return [*lines, f"  no account entered {HOT_ACCOUNTS}"]
    account_id = str(hot[0]["leadId"]).removeprefix(ACCOUNT_PREFIX)
    lines += account_lines(call, account_id)
    history = call("GET", f"/accounts/{account_id}/history")["history"]
    for interval in [h for h in history if h["segmentId"] == HOT_ACCOUNTS]:
        left = interval["exitedAt"]
        until = f", left {left[:16]} when {interval['cause']['exited']} cooled down" if left else ", still in"
        lines.append(
            f"    entered {HOT_ACCOUNTS} (3 or more leads in Hot Leads) {interval['enteredAt'][:16]} "
            f"when {interval['cause']['entered']} turned hot{until}"
        )
    bus = sum(1 for m in alerts if m["channel"] == "eventbridge" and m["status"] == "sent")
    sent = [m for m in hot if m["status"] == "sent"]
    lines.append(
        f"  {ALERT_TRIGGER}: {len(sent)} Slack alerts sent ({len(slack.messages)} received by the stand-in), "
        f"{bus} leadwire.account.hot bus events"
    )
    for message, text in zip(sent[:2], slack.messages, strict=False):
        lines.append(f'    {message["at"][:16]} Slack: "{" ".join(text.split())}"')
    members = call("GET", f"/segments/{ENTERPRISE_TRIAL}/members?limit=100")["members"]
    lines.append(
        f"  {ENTERPRISE_TRIAL} now: {', '.join(m['leadId'] for m in members) or 'none'} "
        "(more than 1,000 employees and a lead in Trial Users)"
    )
    return lines
