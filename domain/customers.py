"""Customers: the entity and the rules a profile must satisfy."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from domain.churn import ChurnRisk
from domain.consent import Consent, ConsentChange
from domain.figures import CustomerFigures
from domain.lifecycle import LifecycleEvent, LifecycleStage
from domain.validation import IDEMPOTENCY_KEY_MAX, LONG_TEXT_MAX, NAME_MAX, Problems


class CustomerKind(Enum):
    PERSON = "PERSON"
    ORGANIZATION = "ORGANIZATION"


TAG_MAX = 50
SOURCE_MAX = 100
EMAIL_MAX = 254
PHONE_INPUT_MAX = 40
#: Where a phone number written without a country code is from (a setting's default).
DEFAULT_PHONE_REGION = "CN"

#: Profile fields a client may set, in the order problems are reported.
PROFILE_FIELDS = (
    "name",
    "kind",
    "email",
    "phone",
    "birthday",
    "child_birthday",
    "tags",
    "source",
    "shared_with",
)
#: Partners a customer may be shared with, and how long a partner id may be.
SHARED_WITH_MAX = 20
PARTNER_ID_MAX = 64


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
    shared_with: list[str]  # partner ids whose portals may read this customer (masked)
    erased_at: datetime | None
    lifecycle_stage: LifecycleStage
    lifecycle_history: list[LifecycleEvent]
    version: int
    created_at: datetime
    updated_at: datetime
    figures: CustomerFigures = field(default_factory=CustomerFigures)  # running totals, kept on write
    churn_risk: ChurnRisk | None = None  # as last scored (on a purchase, a touchpoint, the churn scan)
    figures_withheld: bool = False  # the viewer may not read figures, tier, RFM or churn risk
    child_birthday: date | None = None  # for family-oriented care (a child's birthday card)
    consent: Consent | None = field(default_factory=Consent)  # None only where masked
    consent_history: list[ConsentChange] = field(default_factory=list)  # append-only


def check_profile(
    changes: Mapping[str, Any], today: date, *, creating: bool, phone_region: str = DEFAULT_PHONE_REGION
) -> dict[str, Any]:
    """Validate and normalise profile fields; raises ValidationFailed listing every problem.

    `changes` holds only the fields the client sent; None means "clear it".
    """
    problems = Problems()
    clean: dict[str, Any] = {}

    if creating or "name" in changes:
        clean["name"] = problems.text(changes.get("name"), "name", required=True, limit=NAME_MAX)
    if "kind" in changes:
        if changes["kind"] is None:
            problems.add("kind", "kind is required")
        clean["kind"] = changes["kind"]
    if "email" in changes:
        clean["email"] = check_email(changes["email"], "email", problems)
    if "phone" in changes:
        clean["phone"] = check_phone(changes["phone"], "phone", problems, phone_region)
    if "birthday" in changes:
        problems.birthday(changes["birthday"], "birthday", today)
        clean["birthday"] = changes["birthday"]
    if "child_birthday" in changes:
        problems.birthday(changes["child_birthday"], "childBirthday", today)
        clean["child_birthday"] = changes["child_birthday"]
    if "tags" in changes:
        tags = problems.texts(changes["tags"], "tags", limit=TAG_MAX)
        clean["tags"] = list(dict.fromkeys(t.lower() for t in tags))
    if "source" in changes:
        clean["source"] = problems.text(changes["source"], "source", required=False, limit=SOURCE_MAX)
    if "shared_with" in changes:
        clean["shared_with"] = problems.texts(
            changes["shared_with"], "sharedWith", limit=PARTNER_ID_MAX, max_items=SHARED_WITH_MAX
        )

    problems.raise_if_any()
    return clean


def check_email(value: str | None, field: str, problems: Problems) -> str | None:
    email = problems.text(value, field, required=False, limit=EMAIL_MAX)
    if email is None:
        return None
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        problems.add(field, f"{field} is not valid: {exc}")
        return email


def check_phone(value: str | None, field: str, problems: Problems, region: str) -> str | None:
    """The number in E.164 (+8613812345678); one without a country code is read as a
    number of `region`."""
    text = problems.text(value, field, required=False, limit=PHONE_INPUT_MAX)
    if text is None:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        problems.add(field, f"{field} is not a valid phone number (write +country code for other countries)")
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_reason(reason: str | None) -> str:
    problems = Problems()
    text = problems.text(reason, "reason", required=True, limit=LONG_TEXT_MAX, multiline=True)
    problems.raise_if_any()
    assert text is not None
    return text


def check_idempotency_key(key: str | None) -> str | None:
    problems = Problems()
    clean = problems.text(key, "idempotencyKey", required=False, limit=IDEMPOTENCY_KEY_MAX)
    problems.raise_if_any()
    return clean


def request_fingerprint(fields: Mapping[str, Any]) -> str:
    """What a request asked for, as a digest: a retry with the same idempotency key must
    ask for the same thing (compared after normalising, so an equivalent retry matches)."""
    canonical = sorted((name, _canonical(value)) for name, value in fields.items())
    return hashlib.sha256(repr(canonical).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value
