"""The one way inputs are checked: every problem in an input is collected with the path of
the field at fault, then raised together as VALIDATION, so nothing is written.

Every free-text, list, number, money and date input passes through here, so the bounds
are the same everywhere: text has a length limit and no control characters (newlines
only where text is multi-line), lists have a length limit, money has bounded digits, and
dates fall within bounds that mean something to the business.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.errors import ErrorCode, Problem, ValidationFailed
from domain.money import Money, money_problem

#: Control characters (C0 and C1, DEL) and the bidirectional-override and isolate
#: characters that make stored text display as something else ("Trojan Source").
_CONTROL = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_SINGLE_LINE_BAD = re.compile(f"[{_CONTROL}]")


def _bad_characters(text: str, *, multiline: bool) -> bool:
    if not multiline:
        return _SINGLE_LINE_BAD.search(text) is not None
    # Multi-line text may hold line breaks and tabs, nothing else from the control range.
    return _SINGLE_LINE_BAD.search(text.replace("\n", "").replace("\r", "").replace("\t", "")) is not None


def control_character_problem(text: str, *, multiline: bool = False) -> str | None:
    if not _bad_characters(text, multiline=multiline):
        return None
    if multiline:
        return "control characters and direction overrides are not allowed (line breaks and tabs are)"
    return "control characters, line breaks and direction overrides are not allowed"


#: Bounds shared by every capability (documented in the README's "Input bounds").
NAME_MAX = 200
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 2000
LIST_MAX = 50
IDEMPOTENCY_KEY_MAX = 200
EARLIEST_DAY = date(1900, 1, 1)


class Problems:
    """Collects every problem in one input, then raises them together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, message: str, code: ErrorCode = ErrorCode.VALIDATION) -> None:
        self.problems.append(Problem(code, message, field))

    def text(
        self,
        value: str | None,
        field: str,
        *,
        required: bool,
        limit: int = SHORT_TEXT_MAX,
        multiline: bool = False,
    ) -> str | None:
        """The text stripped, or None when empty (a problem if required)."""
        text = value.strip() if value else ""
        if not text:
            if required:
                self.add(field, f"{field} is required" if value is None else f"{field} must not be empty")
            return None
        if len(text) > limit:
            self.add(field, f"{field} is longer than {limit} characters")
        elif problem := control_character_problem(text, multiline=multiline):
            self.add(field, f"{field}: {problem}")
        return text

    def texts(
        self,
        values: Sequence[str] | None,
        field: str,
        *,
        limit: int = SHORT_TEXT_MAX,
        max_items: int = LIST_MAX,
    ) -> list[str]:
        """Non-empty texts of a list, in order, without repeats."""
        values = values or []
        if len(values) > max_items:
            self.add(field, f"{field} has more than {max_items} items")
            return []
        clean: list[str] = []
        for i, value in enumerate(values):
            text = self.text(value, f"{field}[{i}]", required=True, limit=limit)
            if text and text not in clean:
                clean.append(text)
        return clean

    def count(self, values: Sequence[Any] | None, field: str, max_items: int) -> bool:
        if values is not None and len(values) > max_items:
            self.add(field, f"{field} has more than {max_items} items")
            return False
        return True

    def money(self, value: Money | None, field: str, *, allow_negative: bool = False) -> None:
        if value is not None and (problem := money_problem(value, allow_negative=allow_negative)):
            self.add(field, problem)

    def number(self, value: int | Decimal | None, field: str, low: int, high: int) -> None:
        if value is not None and not low <= value <= high:
            self.add(field, f"{field} is from {low} to {high}")

    def day(self, value: date | None, field: str, earliest: date, latest: date) -> None:
        if value is not None and not earliest <= value <= latest:
            self.add(field, f"{field} must be between {earliest.isoformat()} and {latest.isoformat()}")

    def birthday(self, value: date | None, field: str, today: date) -> None:
        if value is not None and value > today:
            self.add(field, f"{field} cannot be in the future")
        elif value is not None and value < EARLIEST_DAY:
            self.add(field, f"{field} cannot be before {EARLIEST_DAY.isoformat()}")

    def moment(self, value: datetime | None, field: str, earliest: datetime, latest: datetime) -> None:
        if value is not None and not earliest <= value <= latest:
            self.add(
                field,
                f"{field} must be between {earliest.isoformat(timespec='minutes')} "
                f"and {latest.isoformat(timespec='minutes')}",
            )

    def raise_if_any(self) -> None:
        if self.problems:
            raise ValidationFailed(self.problems)


def years_after(moment: datetime, years: int) -> datetime:
    """The same moment `years` later (28 February for a 29 February that has none)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)
