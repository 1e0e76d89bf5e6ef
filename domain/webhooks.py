"""Webhooks: the rules of registering an endpoint, signing a delivery and retrying it.

Pure: URL checks take the addresses a host resolved to (the caller resolves), signing
takes the secret, the timestamp and the body, and the retry schedule takes the attempt
count, the times and a random draw.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from urllib.parse import urlsplit

from domain.errors import Problem, ValidationFailed
from domain.events import EventType
from domain.users import Role, User

URL_MAX = 2000
SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "whsec_"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class DeliveryStatus(Enum):
    PENDING = "PENDING"  # waiting for its next attempt
    DELIVERED = "DELIVERED"  # the receiver answered 2xx
    FAILED = "FAILED"  # every attempt of the retry window failed
    SKIPPED = "SKIPPED"  # not sent: the webhook may no longer read what the event is about


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    events: frozenset[EventType]
    partner_id: str | None
    active: bool
    created_at: datetime
    updated_at: datetime | None
    version: int
    secret: str = field(repr=False)

    def wants(self, type: EventType) -> bool:
        return self.active and type in self.events


@dataclass(frozen=True)
class Attempt:
    at: datetime
    duration_ms: int
    status_code: int | None = None  # None: no answer (the error says why)
    error: str | None = None  # the error's class name, never its text


@dataclass(frozen=True)
class Delivery:
    id: str
    webhook_id: str
    event_id: str
    event_type: EventType
    status: DeliveryStatus
    created_at: datetime
    next_attempt_at: datetime
    attempts: tuple[Attempt, ...] = ()
    retry_from: datetime | None = None  # when the current retry window opened (a redelivery)
    delivered_at: datetime | None = None
    failed_at: datetime | None = None

    @property
    def window_start(self) -> datetime:
        return self.retry_from or self.created_at

    @property
    def attempts_in_window(self) -> int:
        """Attempts of the current retry window: a redelivery's backoff starts over."""
        return sum(1 for attempt in self.attempts if attempt.at >= self.window_start)


@dataclass(frozen=True)
class RetryRules:
    """Exponential backoff with jitter for a window: the n-th retry waits about
    base * 2^(n-1), at most `max_delay`, drawn between half and all of that."""

    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    window: timedelta = timedelta(days=1)


@dataclass(frozen=True)
class WebhookRules:
    """Where endpoints may point and how deliveries are retried. Production checks the
    addresses a URL's host resolves to; development lets endpoints be local."""

    check_addresses: bool = False
    allowed_networks: tuple[Network, ...] = ()
    retry: RetryRules = field(default_factory=RetryRules)


def backoff(rules: RetryRules, failures: int) -> timedelta:
    """The longest wait after `failures` failed attempts: base * 2^(failures - 1), at most
    `max_delay`. Doubled only while below it, so no count overflows a timedelta."""
    full = rules.base_delay
    for _ in range(failures - 1):
        if full >= rules.max_delay:
            break
        full *= 2
    return min(full, rules.max_delay)


def next_attempt(
    rules: RetryRules, failures: int, window_start: datetime, now: datetime, draw: float
) -> datetime | None:
    """When to try again after `failures` failed attempts (`draw` uniform in [0, 1)), or
    None when that would be past the retry window: the delivery has failed."""
    full = backoff(rules, failures)
    wait = full / 2 + full / 2 * draw
    at = now + wait
    return at if at <= window_start + rules.window else None


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256, keyed by the secret, of "<timestamp>." + body."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={mac}"


def delivered(status_code: int) -> bool:
    return 200 <= status_code < 300


# --- registering an endpoint ----------------------------------------------------------------


def check_url(url: str, field_path: str = "url") -> str:
    """http(s), a host, no credentials, bounded. Addresses are checked separately
    (`refused_addresses`), once the host is resolved."""
    text = url.strip()
    problem = _url_problem(text)
    if problem:
        raise ValidationFailed([Problem(ValidationFailed.code, problem, field_path)])
    return text


def _url_problem(text: str) -> str | None:
    if not text or len(text) > URL_MAX:
        return f"a URL of 1 to {URL_MAX} characters"
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in text):
        return "a URL has no spaces or control characters"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https"):
        return "only http and https URLs can receive webhooks"
    if not parts.hostname:
        return "the URL names no host"
    if parts.username is not None or parts.password is not None:
        return "credentials do not belong in the URL: the signature authenticates deliveries"
    if parts.fragment:
        return "a URL with a fragment (#…) is not sent"
    return None


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """The allowed exceptions: addresses or networks (`10.1.2.0/24`, `::1`)."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


def _embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for or routes to: IPv4-mapped (::ffff:a.b.c.d)
    or 6to4 (2002:AABB:CCDD::/48, relayed to a.b.c.d)."""
    if isinstance(ip, ipaddress.IPv6Address):
        return ip.ipv4_mapped or ip.sixtofour
    return None


def internal(address: str) -> bool:
    """Loopback, link-local, private, unspecified, reserved or multicast: an address that
    reaches internal services rather than the receiver's public endpoint. An IPv6 address
    carrying an IPv4 one (mapped, 6to4) is judged by that too."""
    ip = ipaddress.ip_address(address)
    embedded = _embedded_ipv4(ip)
    if embedded is not None and internal(str(embedded)):
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_unspecified
        or ip.is_reserved
        or ip.is_multicast
        or not ip.is_global
    )


def refused_addresses(addresses: Sequence[str], allowed: Sequence[Network]) -> list[str]:
    """The resolved addresses a production webhook may not reach: internal ones that no
    allowed network holds. A host is refused if any of its addresses is."""
    refused = []
    for address in addresses:
        ip = ipaddress.ip_address(address)
        forms = [ip] if (embedded := _embedded_ipv4(ip)) is None else [ip, embedded]
        if internal(address) and not any(form in network for form in forms for network in allowed):
            refused.append(address)
    return refused


def check_events(names: Sequence[EventType], field_path: str = "events") -> frozenset[EventType]:
    if not names:
        raise ValidationFailed([Problem(ValidationFailed.code, "name at least one event type", field_path)])
    return frozenset(names)


def may_manage_webhooks(viewer: User) -> bool:
    """Endpoints, their secrets' issue and their deliveries are an administrator's."""
    return viewer.role is Role.ADMIN
