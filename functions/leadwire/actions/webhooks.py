"""Webhook actions: Standard Webhooks signing, the address guard, and delivery with retries.

Signing and the address check are pure functions. ``WebhookSender`` resolves the target once,
refuses it if ANY address it resolves to is not allowed, then connects to the address it checked
(sending the original ``Host`` and, for https, verifying the certificate for the host name), so a
second DNS answer cannot point the request somewhere else. Redirects are never followed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import random
import re
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from leadwire.actions.secrets import SecretError
from leadwire.core.secret_reference import is_reference

SECRET_PREFIX = "whsec_"
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_ATTEMPTS = 4
BACKOFF_BASE = 0.25  # seconds; attempt n (from 1) waits uniform(0, min(cap, base * 2**(n-1)))
BACKOFF_CAP = 2.0
USER_AGENT = "leadwire-webhooks/1"

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA_ADDRESSES: frozenset[IpAddress] = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


class WebhookRefused(Exception):
    """The target is not allowed (scheme or address): a permanent failure, never retried."""


# -- signing ----------------------------------------------------------------------------------


_BASE64 = re.compile(r"[A-Za-z0-9+/]+")


class WebhookSecretInvalid(SecretError):
    """A secret value the Standard Webhooks verifiers would read otherwise than we sign with."""


def secret_bytes(secret: str) -> bytes:
    """The key of a Standard Webhooks secret: ``whsec_`` then base64, ``=`` padding optional.

    That is what the reference verifiers (``standardwebhooks``, svix) decode. Anything else is
    refused rather than guessed at: a plain string would be signed with its UTF-8 bytes here while
    a verifier base64-decodes it (dropping what is not base64), so no signature would ever match.
    The message never quotes the secret.
    """
    if not secret.startswith(SECRET_PREFIX):
        raise WebhookSecretInvalid(
            f"not a Standard Webhooks secret: it must start with {SECRET_PREFIX!r} followed by base64 "
            f"(a plain string of {len(secret)} characters cannot be verified by receivers)"
        )
    encoded = secret[len(SECRET_PREFIX) :].rstrip("=")
    if not _BASE64.fullmatch(encoded) or len(encoded) % 4 == 1:
        raise WebhookSecretInvalid(
            f"not a Standard Webhooks secret: what follows {SECRET_PREFIX!r} is not base64"
        )
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


def sign(secret: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` (Standard Webhooks)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


# -- the address guard ------------------------------------------------------------------------


def address_refusal(address: str, *, allow_private: bool, allow_loopback: bool) -> str | None:
    """Why a webhook must not connect to ``address`` (None: it may).

    Metadata, unspecified, multicast and reserved addresses are always refused. Loopback is
    allowed by the runtime (``leadwire local``) or by ``allow_private``; link-local and private
    (any non-global) addresses only by ``allow_private``.
    """
    ip: IpAddress = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return f"{ip} is the instance metadata address"
    if ip.is_unspecified:
        return f"{ip} is unspecified"
    if ip.is_multicast:
        return f"{ip} is multicast"
    if ip.is_loopback:  # before reserved: ::1 lies in the reserved ::/8
        return None if allow_loopback or allow_private else f"{ip} is loopback"
    if ip.is_link_local:
        return None if allow_private else f"{ip} is link-local"
    if ip.is_reserved:
        return f"{ip} is reserved"
    if ip.is_private or not ip.is_global:
        return None if allow_private else f"{ip} is private"
    return None


@dataclass(frozen=True)
class Target:
    """A checked webhook target: connect to ``address``, speak to ``host``."""

    url: str
    scheme: Literal["http", "https"]
    host: str
    port: int
    path: str
    address: str


Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (socket.getaddrinfo)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_target(url: str, resolve: Resolver, *, allow_private: bool, allow_loopback: bool) -> Target:
    """Resolve and check ``url``; raises ``WebhookRefused`` if any resolved address is not allowed,
    or if it is plain http while loopback is not allowed (https is required outside local)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookRefused(f"{url!r} is not an http or https URL")
    if parts.scheme == "http" and not allow_loopback:
        raise WebhookRefused("webhook URLs must use https")
    scheme: Literal["http", "https"] = "https" if parts.scheme == "https" else "http"
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        addresses = resolve(parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        raise WebhookRefused(f"cannot resolve {parts.hostname}: {exc}") from None
    if not addresses:
        raise WebhookRefused(f"{parts.hostname} resolves to no address")
    for address in addresses:
        reason = address_refusal(address, allow_private=allow_private, allow_loopback=allow_loopback)
        if reason is not None:
            raise WebhookRefused(f"{parts.hostname} resolves to a refused address: {reason}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url, scheme, parts.hostname, port, path, addresses[0])


# -- the wire ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpResult:
    status: int
    location: str | None = None


Opener = Callable[[Target, Mapping[str, str], bytes, float], HttpResult]
"""POSTs ``body`` to a checked target; raises OSError or http.client.HTTPException on network errors."""


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        self._ssl_context = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._ssl_context)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._ssl_context.wrap_socket(sock, server_hostname=self.host)


def http_opener(target: Target, headers: Mapping[str, str], body: bytes, timeout: float) -> HttpResult:
    """The standard library's http.client, connected to the checked address (no redirects)."""
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target, timeout)
        if target.scheme == "https"
        else _PinnedHTTPConnection(target, timeout)
    )
    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read(65536)
        return HttpResult(response.status, response.getheader("location"))
    finally:
        connection.close()


# -- delivery ---------------------------------------------------------------------------------


@dataclass
class WebhookResult:
    """``sent``, or ``failed``; ``retryable``: the failure was transient (5xx, 429, network) and
    the fire should be retried later with the same webhook-id."""

    status: Literal["sent", "failed"]
    retryable: bool
    details: dict[str, Any] = field(default_factory=dict)


def backoff(attempt: int, rand: Callable[[], float]) -> float:
    """Full jitter: uniform(0, min(cap, base * 2**(attempt-1))) after attempt ``attempt``."""
    return rand() * min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))


def payload_body(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=str).encode("utf-8")


class HttpPoster:
    """POSTs to checked targets with bounded retries: what every outbound HTTP action (webhooks,
    Slack, HubSpot) shares. 2xx is sent; 3xx is refused (redirects are not followed); 429, 5xx and
    network errors are retried with full-jitter backoff, then reported retryable; any other 4xx
    is a permanent refusal."""

    def __init__(
        self,
        *,
        allow_loopback: bool = False,
        opener: Opener = http_opener,
        resolve: Resolver = resolve_host,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.allow_loopback = allow_loopback
        self._opener = opener
        self._resolve = resolve
        self._sleep = sleep
        self._rand = rand
        self._max_attempts = max_attempts
        self._timeout = timeout

    def check(self, url: str, *, allow_private: bool) -> Target:
        """Raises ``WebhookRefused`` for a target this runtime must not call."""
        return check_target(
            url, self._resolve, allow_private=allow_private, allow_loopback=self.allow_loopback
        )

    def post(
        self,
        target: Target,
        body: bytes,
        headers_for: Callable[[], Mapping[str, str]],
        details: dict[str, Any],
    ) -> WebhookResult:
        """Up to ``max_attempts`` tries; ``headers_for`` is called per attempt (fresh signatures)."""
        for attempt in range(1, self._max_attempts + 1):
            details["attempts"] = attempt
            try:
                result = self._opener(target, headers_for(), body, self._timeout)
            except (OSError, http.client.HTTPException) as exc:
                details.pop("statusCode", None)
                details["error"] = f"{type(exc).__name__}: {exc}"
            else:
                details["statusCode"] = result.status
                details.pop("error", None)
                if 200 <= result.status < 300:
                    return WebhookResult("sent", False, details)
                if 300 <= result.status < 400:
                    details["location"] = result.location
                    details["error"] = "redirects are not followed"
                    return WebhookResult("failed", False, details)
                if result.status != 429 and result.status < 500:
                    details["error"] = f"the receiver refused it ({result.status})"
                    return WebhookResult("failed", False, details)
                details["error"] = f"the receiver answered {result.status}"
            if attempt < self._max_attempts:
                self._sleep(backoff(attempt, self._rand))
        return WebhookResult("failed", True, details)

    def post_json(
        self, url: str, payload: Mapping[str, Any], headers: Mapping[str, str], *, allow_private: bool = False
    ) -> WebhookResult:
        """A JSON POST with fixed headers (Slack, HubSpot); a refused target is a permanent failure."""
        details: dict[str, Any] = {"attempts": 0}
        try:
            target = self.check(url, allow_private=allow_private)
        except WebhookRefused as exc:
            return WebhookResult("failed", False, {**details, "error": f"refused: {exc}"})
        all_headers = {"content-type": "application/json", "user-agent": USER_AGENT, **headers}
        return self.post(target, payload_body(payload), lambda: all_headers, details)


class WebhookSender:
    def __init__(
        self,
        resolve_secret: Callable[[str], str],
        *,
        allow_loopback: bool = False,
        opener: Opener = http_opener,
        resolve: Resolver = resolve_host,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._resolve_secret = resolve_secret
        self._wall_clock = wall_clock
        self.poster = HttpPoster(
            allow_loopback=allow_loopback,
            opener=opener,
            resolve=resolve,
            sleep=sleep,
            rand=rand,
            max_attempts=max_attempts,
            timeout=timeout,
        )

    @property
    def allow_loopback(self) -> bool:
        return self.poster.allow_loopback

    def send(
        self, url: str, secret_ref: str, msg_id: str, payload: Mapping[str, Any], *, allow_private: bool
    ) -> WebhookResult:
        """Deliver one message: up to ``max_attempts`` tries, each signed afresh (same id and
        body, the attempt's timestamp). A secret that cannot be resolved or used raises
        ``SecretError``."""
        details: dict[str, Any] = {"url": url, "webhookId": msg_id, "attempts": 0}
        if is_reference(url):
            url = self._resolve_secret(url)  # a SecretError propagates: the URL is not configured
        try:
            target = self.poster.check(url, allow_private=allow_private)
        except WebhookRefused as exc:
            return WebhookResult("failed", False, {**details, "error": f"refused: {exc}"})
        try:
            secret = secret_bytes(self._resolve_secret(secret_ref))
        except WebhookSecretInvalid as exc:
            raise WebhookSecretInvalid(f"secret {secret_ref}: {exc}") from None
        body = payload_body(payload)

        def signed_headers() -> dict[str, str]:
            timestamp = int(self._wall_clock())
            return {
                "content-type": "application/json",
                "user-agent": USER_AGENT,
                "webhook-id": msg_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(secret, msg_id, timestamp, body),
            }

        return self.poster.post(target, body, signed_headers, details)
