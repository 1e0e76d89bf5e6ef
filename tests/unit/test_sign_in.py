"""The sign-in rules as pure functions: the wait after failures, the name key, password
rules and hashes."""

from datetime import UTC, datetime, timedelta

from domain.sign_in import (
    FAILURES_FORGOTTEN_AFTER,
    Failures,
    SignInRules,
    current_failures,
    hash_password,
    name_key,
    password_matches,
    password_problem,
    wait_before_next_attempt,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
RULES = SignInRules(free_failures=3, delay=timedelta(seconds=10), max_delay=timedelta(seconds=60))


def _wait(count: int, seconds_ago: float = 0) -> timedelta | None:
    return wait_before_next_attempt(Failures(count, NOW - timedelta(seconds=seconds_ago)), NOW, RULES)


def test_free_failures_wait_for_nothing() -> None:
    assert wait_before_next_attempt(None, NOW, RULES) is None
    assert _wait(1) is None and _wait(2) is None


def test_the_wait_doubles_with_each_failure_past_the_free_ones_up_to_the_most() -> None:
    assert _wait(3) == timedelta(seconds=10)
    assert _wait(4) == timedelta(seconds=20)
    assert _wait(5) == timedelta(seconds=40)
    assert _wait(6) == timedelta(seconds=60)
    assert _wait(60) == timedelta(seconds=60)


def test_the_wait_counts_from_the_last_failure() -> None:
    assert _wait(4, seconds_ago=15) == timedelta(seconds=5)
    assert _wait(4, seconds_ago=20) is None


def test_a_day_without_failures_forgets_them() -> None:
    old = Failures(50, NOW - FAILURES_FORGOTTEN_AFTER)
    assert current_failures(old, NOW) == 0
    assert wait_before_next_attempt(old, NOW, RULES) is None


def test_names_are_counted_folded() -> None:
    assert name_key("  Wang   Fang ") == name_key("wang fang") == "wang fang"
    assert name_key("Zoë") == name_key("ZOE")
    assert len(name_key("x" * 1000)) == 200


def test_password_rules() -> None:
    assert password_problem("short") == "must be at least 12 characters"
    assert password_problem(" " * 12) == "must not be only spaces"
    assert password_problem("x" * 257) == "must be at most 256 characters"
    assert password_problem("line\nbreak here") is not None
    assert password_problem("correct horse battery staple") is None


def test_hashes_are_salted_argon2id_and_check_the_password() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$") and first != second
    assert password_matches(first, "correct horse")
    assert not password_matches(first, "correct horsE")
    assert not password_matches(None, "correct horse")  # no hash: checked against the dummy
    assert not password_matches("not a hash", "correct horse")
    assert not password_matches(first, "x" * 300)
