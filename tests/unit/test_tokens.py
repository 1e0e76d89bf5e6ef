"""Token lifetimes and when a token opens anything: pure rules."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.tokens import ApiToken, LifetimeRefused, TokenStatus, parse_lifetime

YEAR = timedelta(days=365)
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "lifetime"),
    [("1h", timedelta(hours=1)), ("90d", timedelta(days=90)), (" 2W ", timedelta(weeks=2)), ("365d", YEAR)],
)
def test_lifetimes_in_hours_days_or_weeks(text, lifetime) -> None:
    assert parse_lifetime(text, YEAR) == lifetime


@pytest.mark.parametrize("text", ["366d", "53w", "8761h", "never", "0d", "30m", "1y", "1.5d", "", "d"])
def test_other_lifetimes_are_refused(text) -> None:
    with pytest.raises(LifetimeRefused):
        parse_lifetime(text, YEAR)


def test_a_token_opens_until_it_expires_or_is_revoked() -> None:
    token = ApiToken("t", "u", "cli", T0, T0 + timedelta(days=1), None, None)
    assert token.opens(T0 + timedelta(hours=23), demo_allowed=False)
    assert token.status(T0 + timedelta(days=1)) is TokenStatus.EXPIRED
    revoked = ApiToken("t", "u", "cli", T0, T0 + timedelta(days=1), None, T0)
    assert revoked.status(T0) is TokenStatus.REVOKED and not revoked.opens(T0, demo_allowed=True)
    demo = ApiToken("t", "u", "demo", T0, T0 + timedelta(days=1), None, None, demo=True)
    assert demo.opens(T0, demo_allowed=True) and not demo.opens(T0, demo_allowed=False)


def test_a_use_is_written_at_most_once_per_interval() -> None:
    minute = timedelta(minutes=1)
    token = ApiToken("t", "u", "cli", T0, None, T0, None)
    assert not token.last_use_is_stale(T0 + timedelta(seconds=59), minute)
    assert token.last_use_is_stale(T0 + minute, minute)
    assert ApiToken("t", "u", "cli", T0, None, None, None).last_use_is_stale(T0, minute)
