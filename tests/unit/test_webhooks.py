"""Webhook rules, pure: the retry schedule (exponential, jittered within its bounds,
capped, ending with the window) and where a production endpoint may point (loopback,
link-local, private and other internal addresses refused, in IPv6 dress too, unless an
allowed network holds them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from pydantic import ValidationError

from domain.errors import ValidationFailed
from domain.events import EventType
from domain.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    RetryRules,
    backoff,
    check_url,
    internal,
    next_attempt,
    parse_networks,
    refused_addresses,
)
from server.settings import Settings

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
RULES = RetryRules()  # 30 s, doubled, at most 1 h, for a day
SECOND = timedelta(seconds=1)


# --- the retry schedule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 30), (1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 960), (7, 1920), (8, 3600), (9, 3600)],
)
def test_the_wait_doubles_from_the_base_up_to_the_cap(failures, seconds) -> None:
    assert backoff(RULES, failures) == timedelta(seconds=seconds)


@pytest.mark.parametrize("failures", [43, 64, 1000, 10**6])
def test_any_number_of_failures_waits_the_cap(failures) -> None:
    # 30 s * 2^42 is past what a timedelta holds: a long-failing (or often redelivered)
    # delivery must not crash the job.
    assert backoff(RULES, failures) == RULES.max_delay
    assert next_attempt(RULES, failures, T0, T0, 0.5) == T0 + RULES.max_delay * 3 / 4


def test_a_cap_below_the_base_caps_the_first_wait_too() -> None:
    rules = RetryRules(base_delay=timedelta(minutes=5), max_delay=timedelta(minutes=1))
    assert backoff(rules, 1) == backoff(rules, 10) == timedelta(minutes=1)


@pytest.mark.parametrize("failures", [1, 2, 5, 8, 20])
@pytest.mark.parametrize("draw", [0.0, 0.001, 0.25, 0.5, 0.999999])
def test_jitter_keeps_each_wait_between_half_and_all_of_it(failures, draw) -> None:
    full = backoff(RULES, failures)
    at = next_attempt(RULES, failures, T0, T0, draw)
    assert at is not None
    assert full / 2 <= at - T0 < full
    assert at - T0 == full / 2 + full / 2 * draw  # the draw spreads it evenly


def test_jitter_grows_with_the_draw() -> None:
    waits = [next_attempt(RULES, 3, T0, T0, draw) for draw in (0.0, 0.3, 0.6, 0.9)]
    assert waits == sorted(waits) and len(set(waits)) == 4


def test_the_last_retry_may_fall_on_the_window_end_and_none_after_it() -> None:
    end = T0 + RULES.window
    full = backoff(RULES, 10)
    on_the_end = end - full  # a draw near 1 waits (almost) the full backoff
    assert next_attempt(RULES, 10, T0, on_the_end, 0.0) == on_the_end + full / 2
    just_in = end - full / 2
    assert next_attempt(RULES, 10, T0, just_in, 0.0) == end
    assert next_attempt(RULES, 10, T0, just_in + SECOND, 0.0) is None
    assert next_attempt(RULES, 1, T0, end, 0.0) is None  # however short the wait
    assert next_attempt(RULES, 1, T0, end + timedelta(days=3), 0.0) is None


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999999])
def test_a_failing_delivery_is_retried_within_the_window_then_fails(draw) -> None:
    now, failures, attempts = T0, 0, [T0]
    while True:
        failures += 1
        at = next_attempt(RULES, failures, T0, now, draw)
        if at is None:
            break
        assert at - now <= RULES.max_delay
        now = at
        attempts.append(at)
    assert attempts[-1] <= T0 + RULES.window  # never past the window
    assert T0 + RULES.window - attempts[-1] < RULES.max_delay  # and used up, to the last wait
    gaps = [b - a for a, b in pairwise(attempts)]
    assert gaps[:8] == sorted(gaps[:8])  # growing until the cap
    assert 24 <= len(attempts) <= 56  # a day of them: ~7 doublings, then one an hour or so


def test_a_redelivery_opens_a_new_window_and_its_backoff_starts_over() -> None:
    attempts = tuple(Attempt(at=T0 + timedelta(hours=h), duration_ms=5, status_code=500) for h in range(30))
    failed = Delivery(
        id="d",
        webhook_id="w",
        event_id="e",
        event_type=EventType.CUSTOMER_CREATED,
        status=DeliveryStatus.FAILED,
        created_at=T0,
        next_attempt_at=T0,
        attempts=attempts,
    )
    assert (failed.window_start, failed.attempts_in_window) == (T0, 30)
    again = T0 + timedelta(days=3)
    redelivered = Delivery(**{**failed.__dict__, "status": DeliveryStatus.PENDING, "retry_from": again})
    assert (redelivered.window_start, redelivered.attempts_in_window) == (again, 0)
    first_retry = next_attempt(RULES, redelivered.attempts_in_window + 1, again, again, 0.999999)
    assert first_retry is not None and first_retry - again < RULES.base_delay


# --- where an endpoint may point ------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        # loopback
        "127.0.0.1",
        "127.1.2.3",
        "::1",
        # link-local (cloud metadata services live here)
        "169.254.169.254",
        "169.254.0.1",
        "fe80::1",
        "fe80::1%eth0",
        # private ranges, at their edges
        "10.0.0.0",
        "10.255.255.255",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.0.1",
        "192.168.255.255",
        "fc00::1",
        "fd12:3456::1",
        "100.64.0.1",  # carrier-grade NAT
        "198.18.0.1",  # benchmarking
        "192.0.2.10",  # documentation
        # unspecified, broadcast, multicast, reserved
        "0.0.0.0",
        "::",
        "255.255.255.255",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        # IPv4 in IPv6 dress
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:192.168.1.1",
        "::ffff:7f00:1",  # the same loopback, written in hex
        "2002:7f00:1::",  # 6to4 to 127.0.0.1
        "2002:a00:1::1",  # 6to4 to 10.0.0.1
        "64:ff9b::a00:1",  # NAT64 to 10.0.0.1
        "::a00:1",  # IPv4-compatible (deprecated)
    ],
)
def test_internal_addresses_are_refused(address) -> None:
    assert internal(address)
    assert refused_addresses([address], []) == [address]


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "172.15.255.255",  # just below 172.16/12
        "172.32.0.1",  # just above it
        "192.169.0.1",
        "::ffff:8.8.8.8",
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "2002:808:808::",  # 6to4 to a public address
    ],
)
def test_public_addresses_are_reachable(address) -> None:
    assert not internal(address)
    assert refused_addresses([address], []) == []


def test_a_host_is_refused_by_any_internal_address_it_resolves_to() -> None:
    assert refused_addresses(["93.184.216.34", "10.0.0.7", "::1"], []) == ["10.0.0.7", "::1"]


def test_allowed_networks_are_the_exceptions() -> None:
    allowed = parse_networks(["10.20.0.0/16", "::1", " fd00:1::/32 "])
    assert refused_addresses(["10.20.0.5", "10.20.255.255", "::1", "fd00:1:2::3"], allowed) == []
    assert refused_addresses(["10.21.0.1", "127.0.0.1", "fd00:2::1", "192.168.1.1"], allowed) == [
        "10.21.0.1",
        "127.0.0.1",
        "fd00:2::1",
        "192.168.1.1",
    ]


def test_an_allowed_network_holds_its_addresses_in_ipv6_dress_too() -> None:
    allowed = parse_networks(["10.20.0.0/16"])
    assert refused_addresses(["::ffff:10.20.0.5", "2002:a14:5::1"], allowed) == []
    assert refused_addresses(["::ffff:10.21.0.5"], allowed) == ["::ffff:10.21.0.5"]


def test_allowed_networks_are_read_loosely_but_must_be_networks() -> None:
    [network] = parse_networks(["10.20.1.7/16"])  # host bits set: the network meant
    assert str(network) == "10.20.0.0/16"
    with pytest.raises(ValueError):
        parse_networks(["10.20.0.0/33"])
    with pytest.raises(ValueError):
        parse_networks(["intranet"])


def test_the_exceptions_setting() -> None:
    production = Settings(_env_file=None, env="production", webhook_allowed_networks=["10.20.0.0/16", "::1"])
    rules = production.webhook_rules
    assert rules.check_addresses
    assert refused_addresses(["10.20.3.4", "::1", "10.30.0.1"], rules.allowed_networks) == ["10.30.0.1"]
    assert not Settings(_env_file=None, env="development").webhook_rules.check_addresses
    assert Settings(_env_file=None, env="production").webhook_rules.allowed_networks == ()
    with pytest.raises(ValidationError, match="RAPPORT_WEBHOOK_ALLOWED_NETWORKS"):
        Settings(_env_file=None, env="production", webhook_allowed_networks=["not-a-network"])


def test_the_exceptions_setting_reads_json_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("RAPPORT_WEBHOOK_ALLOWED_NETWORKS", '["10.20.0.0/16"]')
    [network] = Settings(_env_file=None).webhook_rules.allowed_networks
    assert str(network) == "10.20.0.0/16"


# --- the URL's shape ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://partner.example.com/hook",
        "file:///etc/passwd",
        "gopher://partner.example.com/",
        "https://",
        "https://user:pass@partner.example.com/hook",
        "https://partner.example.com/hook#part",
        "https://partner.example.com:port/hook",
        "https://partner.example.com/a b",
        "https://partner.example.com/\x00",
        "",
        "https://partner.example.com/" + "x" * 2000,
    ],
)
def test_only_plain_http_urls_are_registered(url) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_url(url)
    assert [problem.field for problem in refused.value.problems] == ["url"]


def test_a_good_url_is_kept_trimmed() -> None:
    assert check_url("  https://partner.example.com:8443/rapport?x=1 ") == (
        "https://partner.example.com:8443/rapport?x=1"
    )
