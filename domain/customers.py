"""Customers: the entity and the rules a profile must satisfy."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from email_validator import EmailNotValidError, validate_email

from domain.errors import Problem, ValidationFailed
from domain.lifecycle import LifecycleEvent, LifecycleStage


class CustomerKind(Enum):
    PERSON = "PERSON"
    ORGANIZATION = "ORGANIZATION"


NAME_MAX = 200
EMAIL_MAX = 254
PHONE_MAX = 32
SOURCE_MAX = 100
TAG_MAX = 50
TAGS_MAX = 50
REASON_MAX = 1000
_PHONE = re.compile(r"^\+?[0-9][0-9 ().\-]{4,30}$")

#: Profile fields a client may set, in the order problems are reported.
PROFILE_FIELDS = ("name", "kind", "email", "phone", "birthday", "tags", "source")


@dataclass(frozen=True)
class Customer:
    id: str
    kind: CustomerKind
    name: str
    email: str | None
    phone: str | None
    birthday: date | None
    tags: list[str]
    source: str | None
    lifecycle_stage: LifecycleStage
    lifecycle_history: list[LifecycleEvent]
    version: int
    created_at: datetime
    updated_at: datetime


def _text(value: Any, name: str, limit: int, problems: list[Problem], *, required: bool) -> str | None:
    if value is None:
        if required:
            problems.append(Problem(ValidationFailed.code, f"{name} is required", name))
        return None
    text: str = value.strip()
    if not text:
        if required:
            problems.append(Problem(ValidationFailed.code, f"{name} must not be empty", name))
        return None
    if len(text) > limit:
        problems.append(Problem(ValidationFailed.code, f"{name} is longer than {limit} characters", name))
    return text


def check_profile(changes: Mapping[str, Any], today: date, *, creating: bool) -> dict[str, Any]:
    """Validate and normalise profile fields; raises ValidationFailed listing every problem.

    `changes` holds only the fields the client sent; None means "clear it".
    """
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    code = ValidationFailed.code

    if creating or "name" in changes:
        clean["name"] = _text(changes.get("name"), "name", NAME_MAX, problems, required=True)
    if "kind" in changes:
        if changes["kind"] is None:
            problems.append(Problem(code, "kind is required", "kind"))
        clean["kind"] = changes["kind"]
    if "email" in changes:
        clean["email"] = check_email(changes["email"], "email", problems)
    if "phone" in changes:
        clean["phone"] = check_phone(changes["phone"], "phone", problems)
    if "birthday" in changes:
        birthday = changes["birthday"]
        if birthday is not None and birthday > today:
            problems.append(Problem(code, "birthday cannot be in the future", "birthday"))
        clean["birthday"] = birthday
    if "tags" in changes:
        clean["tags"] = _check_tags(changes["tags"] or [], problems)
    if "source" in changes:
        clean["source"] = _text(changes["source"], "source", SOURCE_MAX, problems, required=False)

    if problems:
        raise ValidationFailed(problems)
    return clean


def check_email(value: str | None, field: str, problems: list[Problem]) -> str | None:
    email = _text(value, field, EMAIL_MAX, problems, required=False)
    if email is None:
        return None
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        problems.append(Problem(ValidationFailed.code, f"{field} is not valid: {exc}", field))
        return email


def check_phone(value: str | None, field: str, problems: list[Problem]) -> str | None:
    phone = _text(value, field, PHONE_MAX, problems, required=False)
    if phone is not None and not _PHONE.match(phone):
        problems.append(Problem(ValidationFailed.code, f"{field} must be digits, spaces, +-(). only", field))
    return phone


def _check_tags(tags: list[str], problems: list[Problem]) -> list[str]:
    if len(tags) > TAGS_MAX:
        problems.append(Problem(ValidationFailed.code, f"at most {TAGS_MAX} tags", "tags"))
    clean: list[str] = []
    for i, tag in enumerate(tags):
        text = tag.strip().lower()
        if not text or len(text) > TAG_MAX:
            problems.append(
                Problem(ValidationFailed.code, f"a tag has 1 to {TAG_MAX} characters", f"tags[{i}]")
            )
        elif text not in clean:
            clean.append(text)
    return clean


def check_reason(reason: str | None) -> str:
    problems: list[Problem] = []
    text = _text(reason, "reason", REASON_MAX, problems, required=True)
    if problems:
        raise ValidationFailed(problems)
    assert text is not None
    return text
