"""Deterministic demo traffic: about forty leads over a few weeks, each living out a story a marketer
recognises (the browser who never signs up, the trial that stalls, the cart left behind, the hot lead
that goes cold), as the Segment messages their browsers and back ends would send. Each identified
lead's company is its account (a ``group`` call), and beside the stories about a hundred readers
come once near the end and never again, as most of a real site's visitors do.

Everything derives from the seed: no global random state, no wall clock, so the same arguments give
the same list, message ids included. Run as a module to rewrite ``events_samples/demo/sessions.jsonl``.
"""

from __future__ import annotations

import json
import random
import sys
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

Message = dict[str, Any]

DEMO_START: Final = datetime(2026, 9, 1, tzinfo=UTC)
DEMO_DAYS: Final = 45
DEMO_SEED: Final = 7
DEFAULT_OUTPUT: Final = Path(__file__).resolve().parents[4] / "events_samples" / "demo" / "sessions.jsonl"
# Stalled trials need two weeks of silence after a week of evaluating.
MIN_DAYS: Final = 28

SITE: Final = "https://www.example.com"
_ID_NAMESPACE: Final = uuid.UUID("6f1c9a52-3d0e-4b8f-a7c4-52e1d9b0f3a6")
_BROWSER_LIBRARY: Final = {"name": "analytics.js", "version": "npm:next-1.81.1"}
_SERVER_LIBRARY: Final = {"name": "analytics-python", "version": "2.4.0"}

# Zones between UTC-8 and UTC+2 keep every daytime session inside the period whatever the time of
# day of ``start``: day 1 at 08:00 local is after it, day ``days - 2`` at 19:00 local is before its end.
_ZONES: Final = (
    ("America/New_York", "en-US"),
    ("America/Chicago", "en-US"),
    ("America/Denver", "en-US"),
    ("America/Los_Angeles", "en-US"),
    ("Europe/London", "en-GB"),
    ("Europe/Berlin", "de-DE"),
    ("Europe/Paris", "fr-FR"),
    ("Europe/Amsterdam", "nl-NL"),
)
_USER_AGENTS: Final = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/139.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/139.0.0.0 Safari/537.36 Edg/139.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.6 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:142.0) Gecko/20100101 Firefox/142.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.6 Mobile/15E148 Safari/604.1",
)
_FIRST_NAMES: Final = (
    "Dana", "Marco", "Priya", "Lena", "Tomás", "Aisha", "Jonas", "Mei", "Oliver", "Sofia", "Rahul",
    "Claire", "Mateo", "Hannah", "Kwame", "Elena", "Lukas", "Yuki", "Grace", "Omar", "Ingrid", "Diego",
    "Nora", "Felix", "Amara", "Pieter", "Chloé", "Sam", "Isabel", "Noah", "Zara", "Henrik", "Maya",
    "Julien", "Ruth", "Arjun", "Emma", "Bruno", "Leila", "Theo", "Ava", "Kenji",
)  # fmt: skip
_LAST_NAMES: Final = (
    "Kim", "Rossi", "Nair", "Fischer", "García", "Bello", "Berg", "Chen", "Walsh", "Moreau", "Gupta",
    "Dubois", "Silva", "Schmidt", "Mensah", "Novak", "Weber", "Tanaka", "Okafor", "Haddad", "Larsen",
    "Ortiz", "Lindqvist", "Brandt", "Adeyemi", "de Vries", "Laurent", "Carter", "Romero", "Keller",
    "Khan", "Nilsson", "Patel", "Fontaine", "Cohen", "Iyer", "Murphy", "Costa", "Rahimi", "Baker", "Hughes",
    "Sato",
)  # fmt: skip
# (company, industry, company size, email domain): domains under the reserved example.{com,org,net}.
_COMPANIES: Final = (
    ("Northwind Analytics", "Technology", 250, "northwind.example.com"),
    ("Contoso Health", "Healthcare", 5000, "contoso-health.example.org"),
    ("Fabrikam Retail", "Retail", 1200, "fabrikam.example.net"),
    ("Woodgrove Capital", "Finance", 1200, "woodgrove.example.com"),
    ("Tailspin Software", "Technology", 12, "tailspin.example.org"),
    ("Adatum Bank", "Finance", 5000, "adatum.example.net"),
    ("Litware Labs", "Technology", 80, "litware.example.com"),
    ("Wingtip Stores", "Retail", 250, "wingtip.example.org"),
    ("Proseware Clinics", "Healthcare", 80, "proseware.example.net"),
    ("Fourth Coffee", "Retail", 12, "fourthcoffee.example.com"),
    ("Trey Research", "Healthcare", 250, "treyresearch.example.org"),
    ("Lucerne Payments", "Finance", 80, "lucerne.example.net"),
)
_TITLES: Final = (
    "Head of Growth", "Marketing Operations Manager", "VP Marketing", "CTO", "Senior Software Engineer",
    "Demand Generation Lead", "CRM Manager", "Founder", "Lifecycle Marketing Manager", "Data Engineer",
)  # fmt: skip
# Mostly ordinary dates, a few leap-day births, and some that fall inside a September/October demo.
_BIRTHDAYS: Final = (
    "1992-02-29", "1985-09-14", "1979-10-03", "1990-06-21", "1988-04-17", "1996-02-29", "1983-09-28",
    "1975-12-02", "1994-10-09", "1987-01-30",
)  # fmt: skip

_PAGES: Final = {
    "/": "Leadwire: real-time lead segmentation on AWS",
    "/pricing": "Pricing | Leadwire",
    "/customers": "Customers | Leadwire",
    "/demo": "Book a demo | Leadwire",
    "/signup": "Start your free trial | Leadwire",
    "/checkout": "Checkout | Leadwire",
    "/resources/lead-scoring-benchmark": "The 2026 Lead Scoring Benchmark | Leadwire",
    "/webinars/segments-that-sell": "Webinar: Segments that sell | Leadwire",
    "/blog/pinpoint-end-of-support": "Pinpoint is going away: what now? | Leadwire Blog",
    "/blog/lead-scoring-101": "Lead scoring 101 | Leadwire Blog",
    "/blog/cart-abandonment-playbook": "The cart abandonment playbook | Leadwire Blog",
    "/blog/segments-vs-lists": "Dynamic segments vs. static lists | Leadwire Blog",
    "/blog/webhooks-for-marketers": "Webhooks for marketers | Leadwire Blog",
    "/docs/getting-started": "Getting started | Leadwire Docs",
    "/docs/segments": "Segments | Leadwire Docs",
    "/docs/scoring": "Scoring | Leadwire Docs",
    "/docs/triggers": "Triggers | Leadwire Docs",
    "/docs/api/authentication": "Authentication | Leadwire Docs",
    "/docs/deploy-with-cdk": "Deploy with CDK | Leadwire Docs",
}
_BLOG: Final = tuple(path for path in _PAGES if path.startswith("/blog/"))
_DOCS: Final = tuple(path for path in _PAGES if path.startswith("/docs/"))
_REFERRERS: Final = (
    "https://www.google.com/",
    "https://www.linkedin.com/",
    "https://news.ycombinator.com/",
    "",
)
_PLANS: Final = (("starter", 99.0), ("growth", 490.0), ("business", 1490.0))
_ENDPOINTS: Final = (
    ("GET", "/v1/leads"), ("POST", "/v1/segments"), ("GET", "/v1/segments"), ("POST", "/v1/track"),
    ("GET", "/v1/leads/{id}/events"), ("PUT", "/v1/triggers"),
)  # fmt: skip


@dataclass(frozen=True)
class Lead:
    """Who one demo visitor is; their behaviour comes from their persona."""

    index: int
    persona: str
    anonymous_id: str
    user_id: str
    traits: dict[str, Any]
    zone: ZoneInfo
    locale: str
    user_agent: str


class Timeline:
    """Writes one lead's messages in time order: a cursor that sessions and pauses move forward."""

    def __init__(self, lead: Lead, rng: random.Random, seed: int, start: datetime, days: int) -> None:
        self.lead = lead
        self.rng = rng
        self.days = days
        self.identified = False
        self.messages: list[Message] = []
        self._seed = seed
        self._first_day = start.date()
        self._now = start
        self._page: dict[str, str] | None = None
        self._entry = ("", "")
        self._count = 0

    # -- time ------------------------------------------------------------------------------------

    def session(self, day: int, search: str = "", referrer: str | None = None) -> None:
        """Start a visit on ``day`` (1 .. days - 2) at a daytime hour in the lead's zone."""
        local_day = self._first_day + timedelta(days=day)
        hour, minute = self.rng.randint(8, 16), self.rng.randint(0, 59)
        begins = datetime.combine(local_day, time(hour, minute, self.rng.randint(0, 59)), self.lead.zone)
        self._now = max(begins.astimezone(UTC), self._now + timedelta(minutes=self.rng.randint(50, 150)))
        self._page = None
        self._entry = (search, self.rng.choice(_REFERRERS) if referrer is None else referrer)

    def pause(self, low_seconds: float = 20, high_seconds: float = 240) -> None:
        self._now += timedelta(seconds=self.rng.uniform(low_seconds, high_seconds))

    # -- browser calls (analytics.js) --------------------------------------------------------------

    def page(self, path: str) -> None:
        search, referrer = self._entry if self._page is None else ("", self._page["url"])
        self._page = {
            "path": path,
            "referrer": referrer,
            "search": search,
            "title": _PAGES[path],
            "url": f"{SITE}{path}{search}",
        }
        self._emit({"type": "page", "properties": dict(self._page)}, browser=True)
        self.pause()

    def track(self, event: str, properties: dict[str, Any] | None = None) -> None:
        self._emit({"type": "track", "event": event, "properties": properties or {}}, browser=True)
        self.pause(5, 90)

    def identify(self) -> None:
        """The form fill: the browser's anonymous id and the new user id together (a merge), and
        the ``group`` call that puts the lead in its company's account."""
        self.identified = True
        self._emit({"type": "identify", "traits": dict(self.lead.traits)}, browser=True)
        self._group(browser=True)
        self.pause(2, 20)

    # -- back-end calls (analytics-python) ---------------------------------------------------------

    def server_track(self, event: str, properties: dict[str, Any]) -> None:
        self._emit({"type": "track", "event": event, "properties": properties}, browser=False)

    def server_identify(self) -> None:
        self.identified = True
        self._emit({"type": "identify", "traits": dict(self.lead.traits)}, browser=False)
        self._group(browser=False)

    def alias(self) -> None:
        """Sign-up on the back end: link the browser's anonymous id to the new user id."""
        self._emit({"type": "alias", "previousId": self.lead.anonymous_id}, browser=False)

    # -- plumbing ----------------------------------------------------------------------------------

    def _group(self, browser: bool) -> None:
        """A millisecond after the identify, drawing nothing from the story's random stream (so
        adding accounts changed no one's story)."""
        account_id, traits = account_of(self.lead)
        self._emit({"type": "group", "groupId": account_id, "traits": traits}, browser=browser, step_ms=1)

    def _emit(self, body: Message, browser: bool, step_ms: int | None = None) -> None:
        self._now += timedelta(milliseconds=self.rng.randint(1, 999) if step_ms is None else step_ms)
        self._count += 1
        # uuid4-shaped like the clients' ids, but derived from (seed, lead, counter) rather than drawn
        name = f"{self._seed}:{self.lead.index}:{self._count}"
        token = uuid.UUID(bytes=uuid.uuid5(_ID_NAMESPACE, name).bytes, version=4)
        epoch_ms = int(self._now.timestamp() * 1000)
        message: Message = {
            "type": body.pop("type"),
            "messageId": f"ajs-next-{epoch_ms}-{token}" if browser else str(token),
            "timestamp": _iso(self._now),
        }
        if self.identified or message["type"] == "alias":
            message["userId"] = self.lead.user_id
        if browser:
            message["anonymousId"] = self.lead.anonymous_id
        message.update(body)
        message["context"] = self._browser_context() if browser else {"library": dict(_SERVER_LIBRARY)}
        self.messages.append(message)

    def _browser_context(self) -> dict[str, Any]:
        context: dict[str, Any] = {}
        if self._page is not None:
            context["page"] = dict(self._page)
            campaign = _utm(self._page["search"])
            if campaign:
                context["campaign"] = campaign
        context.update(
            {
                "library": dict(_BROWSER_LIBRARY),
                "userAgent": self.lead.user_agent,
                "locale": self.lead.locale,
                "timezone": self.lead.zone.key,
            }
        )
        return context


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _utm(search: str) -> dict[str, str]:
    pairs = (part.split("=", 1) for part in search.lstrip("?").split("&") if part.startswith("utm_"))
    return {("name" if key == "utm_campaign" else key[4:]): value for key, value in pairs}


def _email_search(campaign: str) -> str:
    return f"?utm_source=newsletter&utm_medium=email&utm_campaign={campaign}"


# -- stories ---------------------------------------------------------------------------------------


def _browse(tl: Timeline, paths: Sequence[str]) -> None:
    for path in paths:
        tl.page(path)


def _pick_days(tl: Timeline, count: int, first: int, last: int) -> list[int]:
    return sorted(tl.rng.sample(range(first, last + 1), min(count, last - first + 1)))


def _api_calls(tl: Timeline, count: int) -> None:
    for _ in range(count):
        method, endpoint = tl.rng.choice(_ENDPOINTS)
        status = tl.rng.choices((200, 201, 400, 429), weights=(80, 12, 5, 3))[0]
        tl.server_track(
            "api_call",
            {"endpoint": endpoint, "method": method, "status": status, "latency_ms": tl.rng.randint(18, 420)},
        )
        tl.pause(30, 900)


def _evaluate(tl: Timeline, days: Sequence[int]) -> None:
    """Several looks at pricing before committing."""
    for day in days:
        tl.session(day)
        _browse(tl, tl.rng.sample(("/", "/customers", *_BLOG[:2]), tl.rng.randint(1, 2)))
        tl.page("/pricing")
        if tl.rng.random() < 0.5:
            tl.page(tl.rng.choice(_DOCS))
            tl.page("/pricing")


def _sign_up_for_trial(tl: Timeline, day: int) -> None:
    tl.session(day, referrer="")
    _browse(tl, ("/pricing", "/signup"))
    tl.identify()
    tl.track("trial_signup", {"plan": tl.rng.choice(("growth", "business")), "trial_days": 14})
    tl.page("/docs/getting-started")


def _cart(tl: Timeline, number: int) -> tuple[str, float, str]:
    plan, value = tl.rng.choice(_PLANS)
    return f"cart_{tl.lead.index:02d}{number}{tl.rng.getrandbits(24):06x}", value, plan


def _checkout(tl: Timeline, number: int, buys: bool) -> None:
    cart_id, value, plan = _cart(tl, number)
    _browse(tl, ("/pricing", "/checkout"))
    tl.track("cart_added", {"cart_id": cart_id, "value": value, "plan": plan, "currency": "USD"})
    if buys:
        tl.pause(60, 600)
        tl.track("purchase", {"cart_id": cart_id, "value": value, "currency": "USD"})
        tl.page("/docs/getting-started")


def anonymous_browser(tl: Timeline) -> None:
    visits = tl.rng.choice((1, 1, 1, 2, 3))
    for day in _pick_days(tl, visits, 1, tl.days - 2):
        tl.session(day)
        _browse(tl, ["/", *tl.rng.sample(_BLOG, tl.rng.randint(0, 3))][: tl.rng.randint(1, 4)])


def researcher(tl: Timeline) -> None:
    """Reads the docs, downloads the benchmark, registers for the webinar from an email, and comes
    back to pricing near the end: three channels (``touch`` events) and, scoring on, Demo-Ready."""
    reading, download, webinar = _pick_days(tl, 3, 1, tl.days - 10)
    tl.session(reading)
    _browse(tl, tl.rng.sample(_DOCS, tl.rng.randint(3, 5)))
    tl.session(download)
    _browse(tl, (tl.rng.choice(_BLOG), "/resources/lead-scoring-benchmark"))
    tl.identify()
    tl.track("whitepaper_downloaded", {"asset_id": "wp-lead-scoring-2026", "format": "pdf"})
    tl.server_track("touch", {"channel": "content", "asset_id": "wp-lead-scoring-2026"})
    _browse(tl, tl.rng.sample(_DOCS, 2))
    tl.session(webinar, search=_email_search("webinar-invite"), referrer="")
    tl.server_track("email_clicked", {"campaign": "webinar-invite", "link": "/webinars/segments-that-sell"})
    tl.server_track("touch", {"channel": "email", "campaign": "webinar-invite"})
    tl.page("/webinars/segments-that-sell")
    tl.track("webinar_registered", {"webinar_id": "web-2026-10-segments", "title": "Segments that sell"})
    tl.server_track("touch", {"channel": "webinar", "webinar_id": "web-2026-10-segments"})
    tl.session(tl.rng.randint(tl.days - 6, tl.days - 2))
    _browse(tl, ("/pricing", "/customers", "/pricing"))


def activated_trial(tl: Timeline) -> None:
    signup = tl.rng.randint(4, 12)
    _evaluate(tl, _pick_days(tl, 3, 1, signup - 1))
    _sign_up_for_trial(tl, signup)
    _api_calls(tl, tl.rng.randint(3, 6))
    for day in range(signup + 1, tl.days - 1):
        if tl.rng.random() < 0.7:
            tl.session(day)
            if tl.rng.random() < 0.2:
                tl.page(tl.rng.choice(_DOCS))
            _api_calls(tl, tl.rng.randint(3, 10))


def stalled_trial(tl: Timeline) -> None:
    signup = tl.rng.randint(6, tl.days - 16)
    _evaluate(tl, _pick_days(tl, tl.rng.randint(2, 4), 1, signup - 1))
    _sign_up_for_trial(tl, signup)


def buyer(tl: Timeline) -> None:
    purchase_day = tl.rng.randint(5, tl.days - 5)
    _evaluate(tl, _pick_days(tl, 2, 1, purchase_day - 1))
    tl.session(purchase_day)
    tl.page("/pricing")
    tl.identify()
    _checkout(tl, 1, buys=True)


def cart_abandoner(tl: Timeline) -> None:
    cart_day = tl.rng.randint(5, tl.days - 8)
    _evaluate(tl, _pick_days(tl, 2, 1, cart_day - 1))
    tl.session(cart_day)
    tl.identify()
    _checkout(tl, 1, buys=False)
    if tl.rng.random() < 0.5:
        tl.session(cart_day + tl.rng.randint(2, 6))
        _browse(tl, ("/pricing", "/customers"))


def abandons_then_buys(tl: Timeline) -> None:
    first = tl.rng.randint(4, tl.days - 12)
    _evaluate(tl, _pick_days(tl, 2, 1, first - 1))
    tl.session(first)
    tl.identify()
    _checkout(tl, 1, buys=False)
    tl.session(first + tl.rng.randint(2, 5), search=_email_search("cart-reminder"), referrer="")
    tl.server_track("email_opened", {"campaign": "cart-reminder"})
    _checkout(tl, 2, buys=True)


def email_engaged(tl: Timeline) -> None:
    join = tl.rng.randint(1, 6)
    tl.session(join)
    _browse(tl, ("/", tl.rng.choice(_BLOG)))
    tl.identify()
    tl.track("newsletter_subscribed", {"list": "product-news"})
    for week, day in enumerate(range(join + 5, tl.days - 2, 7), start=1):
        campaign = f"newsletter-week-{week}"
        tl.session(day, search=_email_search(campaign), referrer="")
        tl.server_track("email_opened", {"campaign": campaign})
        tl.pause(30, 1800)
        if tl.rng.random() < 0.6:
            post = tl.rng.choice(_BLOG)
            tl.server_track("email_clicked", {"campaign": campaign, "link": post})
            _browse(tl, (post, tl.rng.choice(("/pricing", "/customers", *_DOCS[:2]))))


def hot_then_cold(tl: Timeline) -> None:
    """A flurry in the first week (pricing, a demo, a trial hammered with API calls), then silence."""
    tl.session(1)
    _browse(tl, ("/", "/pricing", "/customers", "/pricing", "/demo"))
    tl.identify()
    tl.track("demo_requested", {"source": "pricing_page", "seats": tl.rng.choice((10, 25, 50))})
    _sign_up_for_trial(tl, 2)
    for day in range(2, 8):
        tl.session(day)
        if tl.rng.random() < 0.5:
            _browse(tl, ("/pricing", tl.rng.choice(_DOCS)))
        _api_calls(tl, tl.rng.randint(15, 30))


def anonymous_then_known(tl: Timeline) -> None:
    """Weeks of anonymous visits, then a form fill that ties them to a person."""
    first, second, known = _pick_days(tl, 3, 1, tl.days - 6)
    for day in (first, second):
        tl.session(day)
        _browse(tl, ("/", *tl.rng.sample(_BLOG, 2)))
    tl.session(known)
    _browse(tl, ("/pricing", "/demo"))
    tl.identify()
    tl.track("demo_requested", {"source": "demo_page", "seats": tl.rng.choice((5, 10, 25))})
    tl.session(known + tl.rng.randint(1, 4))
    _browse(tl, ("/pricing", "/docs/getting-started"))


def aliased_signup(tl: Timeline) -> None:
    """Anonymous reading, then a sign-up that the back end records with ``alias``."""
    reading, signup = _pick_days(tl, 2, 1, tl.days - 12)
    tl.session(reading)
    _browse(tl, ("/", "/docs/getting-started", "/pricing"))
    tl.session(signup, referrer="")
    _browse(tl, ("/pricing", "/signup"))
    tl.alias()
    tl.server_identify()
    tl.server_track("trial_signup", {"plan": "starter", "trial_days": 14})
    for day in range(signup + 1, min(signup + 9, tl.days - 1)):
        tl.session(day)
        _api_calls(tl, tl.rng.randint(2, 6))


def one_time_visitor(tl: Timeline) -> None:
    """In the last days the Pinpoint end-of-support post is on Hacker News: a reader arrives once,
    reads it (and maybe one more post) and never comes back. Most of a real site's visitors are
    like this; they keep "Returning Visitors" a minority."""
    tl.session(tl.rng.randint(tl.days - 5, tl.days - 2), referrer="https://news.ycombinator.com/")
    _browse(tl, ["/blog/pinpoint-end-of-support", *tl.rng.sample(_BLOG[1:], tl.rng.randint(0, 1))])


Story = Callable[[Timeline], None]

# persona -> (story, number of leads living it)
PERSONAS: Final[dict[str, tuple[Story, int]]] = {
    "anonymous_browser": (anonymous_browser, 8),
    "researcher": (researcher, 5),
    "activated_trial": (activated_trial, 5),
    "stalled_trial": (stalled_trial, 4),
    "buyer": (buyer, 4),
    "cart_abandoner": (cart_abandoner, 3),
    "abandons_then_buys": (abandons_then_buys, 1),
    "email_engaged": (email_engaged, 4),
    "hot_then_cold": (hot_then_cold, 3),
    "anonymous_then_known": (anonymous_then_known, 3),
    "aliased_signup": (aliased_signup, 1),
}


# Anonymous one-visit readers beside the personas (their own draws: the personas' cast is unchanged).
ONE_TIME_VISITORS: Final = 130


# -- cast ------------------------------------------------------------------------------------------


def cast(seed: int = DEMO_SEED) -> list[Lead]:
    """The demo's leads, one per persona slot, with names, companies and zones drawn from the seed."""
    rng = random.Random(f"leadwire-demo-cast:{seed}")
    slots = [persona for persona, (_, count) in PERSONAS.items() for _ in range(count)]
    first_names = rng.sample(_FIRST_NAMES, len(slots))
    last_names = rng.sample(_LAST_NAMES, len(slots))
    return [
        _lead(rng, index, persona, first_names[index], last_names[index])
        for index, persona in enumerate(slots)
    ]


def _lead(rng: random.Random, index: int, persona: str, first: str, last: str) -> Lead:
    company, industry, size, domain = rng.choice(_COMPANIES)
    zone, locale = rng.choice(_ZONES)
    # By position: most leads opt in to marketing email, one in five never does; two addresses
    # play SES's mailbox simulator (a hard bounce, a complaint) through leadwire local.
    mailbox = {10: "+bounce", 11: "+complaint"}.get(index, "")
    traits: dict[str, Any] = {
        "email": f"{_slug(first)}.{_slug(last)}{mailbox}@{domain}",
        "subscriptions": {"email": index % 5 != 4},
        "first_name": first,
        "last_name": last,
        "company": company,
        "company_size": size,
        "industry": industry,
        "title": rng.choice(_TITLES),
        "timezone": zone,
    }
    if index % 3 == 2:  # by position, not by draw, so every seed has leap-day and in-period birthdays
        traits["birthday"] = _BIRTHDAYS[index // 3 % len(_BIRTHDAYS)]
    return Lead(
        index=index,
        persona=persona,
        anonymous_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        user_id=f"usr_{1001 + index}",
        traits=traits,
        zone=ZoneInfo(zone),
        locale=locale,
        user_agent=rng.choice(_USER_AGENTS),
    )


def one_time_visitors(first_index: int, seed: int = DEMO_SEED, count: int = ONE_TIME_VISITORS) -> list[Lead]:
    """Visitors who never identify: an anonymous id, a zone, a browser."""
    rng = random.Random(f"leadwire-demo-visitors:{seed}")
    visitors = []
    for index in range(first_index, first_index + count):
        zone, locale = rng.choice(_ZONES)
        visitors.append(
            Lead(
                index=index,
                persona="one_time_visitor",
                anonymous_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                user_id=f"usr_{1001 + index}",
                traits={},
                zone=ZoneInfo(zone),
                locale=locale,
                user_agent=rng.choice(_USER_AGENTS),
            )
        )
    return visitors


def account_of(lead: Lead) -> tuple[str, dict[str, Any]]:
    """The lead's company as a Segment ``group``: the account id (its email domain's first label)
    and the account's traits in the spec's names (``name``, ``industry``, ``employees``, ``website``)."""
    domain = str(lead.traits["email"]).rsplit("@", 1)[1]
    return domain.split(".", 1)[0], {
        "name": lead.traits["company"],
        "industry": lead.traits["industry"],
        "employees": lead.traits["company_size"],
        "website": f"https://www.{domain}",
    }


def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.lower())
    return "".join(char for char in plain if char.isascii() and char.isalnum())


# -- entry points ----------------------------------------------------------------------------------


def generate_demo_events(start: datetime, days: int = DEMO_DAYS, seed: int = DEMO_SEED) -> list[Message]:
    """Every lead's messages, as Segment clients send them, sorted by timestamp.

    All timestamps fall inside ``[start, start + days)``; ``start`` must be timezone-aware.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if days < MIN_DAYS:
        raise ValueError(f"days must be at least {MIN_DAYS} for every story to fit")
    begin = start.astimezone(UTC)
    messages: list[Message] = []
    personas = cast(seed)
    for lead in personas + one_time_visitors(len(personas), seed):
        timeline = Timeline(lead, random.Random(f"leadwire-demo:{seed}:{lead.index}"), seed, begin, days)
        story = one_time_visitor if lead.persona == "one_time_visitor" else PERSONAS[lead.persona][0]
        story(timeline)
        messages.extend(timeline.messages)
    return sorted(messages, key=lambda message: (message["timestamp"], message["messageId"]))


def write_demo_file(
    path: Path | str = DEFAULT_OUTPUT,
    start: datetime = DEMO_START,
    days: int = DEMO_DAYS,
    seed: int = DEMO_SEED,
) -> int:
    """Write the demo as JSON Lines, one message per line; returns the number of messages."""
    messages = generate_demo_events(start, days, seed)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="\n") as out:
        for message in messages:
            out.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(messages)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    target = Path(args[0]) if args else DEFAULT_OUTPUT
    count = write_demo_file(target)
    sys.stdout.write(f"wrote {count} messages to {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
