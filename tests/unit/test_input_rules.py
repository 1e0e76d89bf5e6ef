"""The input rules every capability shares (domain/validation.py, money, search, ids)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.errors import BadArgument, ValidationFailed
from domain.money import Money, money_problem
from domain.search import search_words
from domain.validation import Problems, control_character_problem, years_after
from schema.node import global_id, parse_global_id


@pytest.mark.parametrize("text", ["a\x00b", "a\x7fb", "a\x85b", "a\u202eb", "a\u2067b", "a\u200fb"])
def test_control_and_direction_characters_are_refused_everywhere(text: str) -> None:
    assert control_character_problem(text) and control_character_problem(text, multiline=True)


def test_line_breaks_and_tabs_only_in_multi_line_text() -> None:
    for text in ("two\nlines", "tab\there", "windows\r\nline"):
        assert control_character_problem(text) and control_character_problem(text, multiline=True) is None
    assert control_character_problem("Zoë 张伟 👍🏽 a\u200db") is None  # letters, emoji and joiners are text


def test_every_problem_of_an_input_is_reported_together() -> None:
    problems = Problems()
    problems.text("x" * 201, "name", required=True)
    problems.text("  ", "purpose", required=True)
    problems.texts(["ok", ""], "hobbies")
    problems.birthday(date(2030, 1, 1), "birthday", date(2026, 11, 25))
    with pytest.raises(ValidationFailed) as refused:
        problems.raise_if_any()
    assert [p.field for p in refused.value.problems] == ["name", "purpose", "hobbies[1]", "birthday"]


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("1E+6145", "digits before"),
        ("1" * 16, "digits before"),
        ("0.12345", "decimal places"),
        ("NaN", "finite"),
        ("999999999999999.9999", None),
        ("0", None),
    ],
)
def test_money_digits_are_bounded(amount: str, problem: str | None) -> None:
    found = money_problem(Money(Decimal(amount), "CNY"))
    assert (problem in found) if problem else found is None


def test_a_search_is_folded_and_bounded() -> None:
    assert search_words("  Zoë  MÜLLER zoe ", "filter.search") == ["zoe", "muller"]
    with pytest.raises(BadArgument) as too_many:
        search_words("a b c d e f g h i", "filter.search")
    assert too_many.value.field == "filter.search"


def test_global_ids_round_trip_and_refuse_what_we_never_issued() -> None:
    gid = global_id("Contact", "5eed00000000000000000001")
    assert parse_global_id(gid) == ("Contact", "5eed00000000000000000001")
    for bad in (
        "",
        "not base64!",
        global_id("Contact", "nope"),
        "Q29udGFjdA==",
        global_id("Contact", "5EED" + "0" * 20),
    ):
        assert parse_global_id(bad) is None


def test_years_after_keeps_the_day_or_falls_back_to_the_28th() -> None:
    assert years_after(datetime(2024, 2, 29, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)
    assert years_after(datetime(2026, 11, 25, tzinfo=UTC), -10) == datetime(2016, 11, 25, tzinfo=UTC)


def test_a_word_is_an_equality_on_stored_prefixes_and_filters_stay_flat() -> None:
    from repositories.search import combine, search_clauses, search_fields

    stored = search_fields("Zoë Müller", "zoe@example.com")
    assert stored["searchTerms"] == ["muller", "zoe", "zoe@example.com"]
    assert {"m", "mu", "mull", "muller", "zoe@"} <= set(stored["searchPrefixes"])
    assert all(len(p) <= 24 for p in stored["searchPrefixes"])
    assert combine([{"lifecycleStage": "ACTIVE"}, *search_clauses(["mull"])]) == {
        "lifecycleStage": "ACTIVE",
        "searchPrefixes": "mull",
    }
    two_words = combine(search_clauses(["zoe", "mull"]))
    assert two_words == {"$and": [{"searchPrefixes": "zoe"}, {"searchPrefixes": "mull"}]}
    long_word = "x" * 30
    assert search_clauses([long_word])[1] == {
        "searchTerms": {"$elemMatch": {"$gte": long_word, "$lt": "x" * 29 + "y"}}
    }
