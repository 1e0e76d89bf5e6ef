"""Profile rules: what a customer record may hold."""

from datetime import date

import pytest

from domain.customers import CustomerKind, check_profile, check_reason
from domain.errors import ErrorCode, ValidationFailed

TODAY = date(2026, 11, 22)


def _problems(changes: dict, creating: bool = True) -> dict[str | None, str]:
    with pytest.raises(ValidationFailed) as failed:
        check_profile(changes, TODAY, creating=creating)
    assert all(p.code is ErrorCode.VALIDATION for p in failed.value.problems)
    return {p.field: p.message for p in failed.value.problems}


def test_valid_profile_is_normalised() -> None:
    clean = check_profile(
        {
            "name": "  Mei Chen ",
            "kind": CustomerKind.PERSON,
            "email": "Mei@Example.COM",
            "tags": ["VIP", "vip", " latte "],
            "birthday": date(1990, 5, 1),
        },
        TODAY,
        creating=True,
    )
    assert clean["name"] == "Mei Chen"
    assert clean["email"] == "Mei@example.com"  # the domain part is case-insensitive
    assert clean["tags"] == ["vip", "latte"]


def test_every_problem_is_reported_with_its_field() -> None:
    problems = _problems(
        {
            "name": " ",
            "email": "not-an-email",
            "birthday": date(2027, 1, 1),
            "phone": "call me",
            "tags": ["ok", "x" * 51],
        }
    )
    assert set(problems) == {"name", "email", "birthday", "phone", "tags[1]"}
    assert problems["birthday"] == "birthday cannot be in the future"


def test_name_is_required_when_creating() -> None:
    assert _problems({}) == {"name": "name is required"}


def test_over_long_strings_are_refused() -> None:
    assert set(_problems({"name": "n" * 201, "source": "s" * 101})) == {"name", "source"}


def test_update_may_clear_optional_fields_but_not_the_name() -> None:
    assert check_profile({"email": None, "phone": None}, TODAY, creating=False) == {
        "email": None,
        "phone": None,
    }
    assert _problems({"name": None}, creating=False) == {"name": "name is required"}


def test_birthday_today_is_allowed() -> None:
    assert check_profile({"name": "A", "birthday": TODAY}, TODAY, creating=True)["birthday"] == TODAY


def test_a_transition_needs_a_reason() -> None:
    with pytest.raises(ValidationFailed):
        check_reason("   ")
    assert check_reason(" first order ") == "first order"
