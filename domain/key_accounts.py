"""Key-account dossiers (domain.md §4): grades, the visit plan, contacts and their
network, visit logs with follow-ups, service contracts, and who may see and edit them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from domain.customers import check_email, check_phone
from domain.errors import ErrorCode, Problem, ValidationFailed
from domain.money import Money, money_problem
from domain.users import Role, User


class Grade(Enum):
    A = "A"  # strategic
    B = "B"  # key
    C = "C"  # standard


class Category(Enum):
    ECONOMIC = "ECONOMIC"  # top billing, group or project customers, high volume
    IMPORTANT = "IMPORTANT"  # industry leaders, brand value
    POTENTIAL = "POTENTIAL"  # growth potential, won from a competitor


class DecisionRole(Enum):
    DECISION_MAKER = "DECISION_MAKER"
    INFLUENCER = "INFLUENCER"
    USER = "USER"
    GATEKEEPER = "GATEKEEPER"
    OTHER = "OTHER"


class Relationship(Enum):
    COLLEAGUE = "COLLEAGUE"
    FRIEND = "FRIEND"
    SUPPLIER = "SUPPLIER"
    REPORTS_TO = "REPORTS_TO"


@dataclass(frozen=True)
class VisitCadence:
    """Days between visits by grade (defaults: A monthly, B quarterly, C twice a year)."""

    a: int = 30
    b: int = 91
    c: int = 182

    def interval(self, grade: Grade) -> timedelta:
        return timedelta(days={Grade.A: self.a, Grade.B: self.b, Grade.C: self.c}[grade])


def next_visit_due(
    grade: Grade,
    cadence: VisitCadence,
    opened_at: datetime,
    last_visit_at: datetime | None,
    planned_next_visit_at: datetime | None,
) -> datetime:
    """The date agreed at the last visit, else the grade's cadence after the last visit
    (or after the account was opened, before any visit)."""
    if planned_next_visit_at is not None:
        return planned_next_visit_at
    return (last_visit_at or opened_at) + cadence.interval(grade)


@dataclass(frozen=True)
class CompanyProfile:
    legal_representative: str | None = None
    size: str | None = None
    main_products: list[str] = field(default_factory=list)
    annual_revenue: Money | None = None
    profit_or_loss: Money | None = None
    person_in_charge: str | None = None


@dataclass(frozen=True)
class GradeChange:
    from_grade: Grade
    to_grade: Grade
    at: datetime
    actor_id: str
    actor_name: str
    reason: str


@dataclass(frozen=True)
class KeyAccount:
    id: str
    customer_id: str
    grade: Grade
    category: Category
    industry: str | None
    manager_id: str
    team_ids: list[str]
    company_profile: CompanyProfile
    grade_history: list[GradeChange]
    last_visit_at: datetime | None
    planned_next_visit_at: datetime | None
    next_visit_due_at: datetime
    version: int
    created_at: datetime
    updated_at: datetime

    def visit_overdue(self, now: datetime) -> bool:
        return self.next_visit_due_at < now


@dataclass(frozen=True)
class Contact:
    id: str
    key_account_id: str
    name: str
    title: str | None
    decision_role: DecisionRole
    email: str | None
    phone: str | None
    birthday: date | None
    hobbies: list[str]
    details: dict[str, str]  # family, habits, social circle, addresses, work details
    version: int
    created_at: datetime
    updated_at: datetime


#: Free-text contact details beyond the named fields (domain.md §4: personal and work).
CONTACT_DETAILS = (
    "family",
    "habits",
    "social_circle",
    "office_address",
    "home_address",
    "responsibilities",
    "performance",
    "goals",
)


@dataclass(frozen=True)
class ContactLink:
    """A relationship as one contact sees it: outgoing (I report to X) or incoming."""

    id: str
    relationship: Relationship
    outgoing: bool
    contact_id: str  # the other contact
    note: str | None


@dataclass(frozen=True)
class FollowUp:
    id: str
    action: str
    owner_id: str
    due_at: datetime
    done_at: datetime | None = None


@dataclass(frozen=True)
class VisitFindings:
    needs: list[str] = field(default_factory=list)
    satisfaction: int | None = None  # 1-5
    issues: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VisitLog:
    id: str
    key_account_id: str
    visited_at: datetime
    visitor_ids: list[str]
    contact_ids: list[str]
    purpose: str
    findings: VisitFindings
    follow_ups: list[FollowUp]
    next_visit_at: datetime | None
    logged_by: str
    created_at: datetime


@dataclass(frozen=True)
class ServiceContract:
    id: str
    key_account_id: str
    content: str
    starts_on: date
    ends_on: date
    fees: Money
    confidentiality: bool
    created_at: datetime

    def days_to_expiry(self, today: date) -> int:
        return (self.ends_on - today).days


# --- who may see and change a dossier (need-to-know, domain.md §9) ---------------------

DOSSIER_READERS_ALL = frozenset({Role.ADMIN, Role.CX_AGENT, Role.ANALYST})


def may_see(viewer: User, account: KeyAccount) -> bool:
    if viewer.role in DOSSIER_READERS_ALL:
        return True
    return viewer.role is Role.ACCOUNT_MANAGER and viewer.id in (account.manager_id, *account.team_ids)


def may_edit(viewer: User, account: KeyAccount) -> bool:
    if viewer.role is Role.ADMIN:
        return True
    return viewer.role is Role.ACCOUNT_MANAGER and viewer.id in (account.manager_id, *account.team_ids)


def may_open_key_accounts(viewer: User) -> bool:
    return viewer.role in (Role.ADMIN, Role.ACCOUNT_MANAGER)


# --- rules on what is written ------------------------------------------------------------

SATISFACTION_RANGE = range(1, 6)
TEXT_MAX = 2000


class ProblemList:
    """Collects every problem in one input, then raises them together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field_path: str, message: str) -> None:
        self.problems.append(Problem(ErrorCode.VALIDATION, message, field_path))

    def text(self, value: str | None, field_path: str, *, required: bool, limit: int = 200) -> str | None:
        text = value.strip() if value else ""
        if not text:
            if required:
                self.add(field_path, f"{field_path} is required")
            return None
        if len(text) > limit:
            self.add(field_path, f"{field_path} is longer than {limit} characters")
        return text

    def money(self, value: Money | None, field_path: str) -> None:
        if value is not None and (problem := money_problem(value)):
            self.add(field_path, problem)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ValidationFailed(self.problems)


def check_visit(
    visited_at: datetime,
    now: datetime,
    purpose: str | None,
    satisfaction: int | None,
    follow_ups: Sequence[tuple[str | None, str | None, datetime | None]],
    next_visit_at: datetime | None,
) -> str:
    """Validate a visit report; follow_ups are (action, owner id, due at). Returns the purpose."""
    problems = ProblemList()
    if visited_at > now:
        problems.add("visitedAt", "a visit cannot be logged before it happens")
    clean_purpose = problems.text(purpose, "purpose", required=True, limit=TEXT_MAX)
    if satisfaction is not None and satisfaction not in SATISFACTION_RANGE:
        problems.add("findings.satisfaction", "satisfaction is from 1 to 5")
    for i, (action, owner_id, due_at) in enumerate(follow_ups):
        problems.text(action, f"followUps[{i}].action", required=True, limit=TEXT_MAX)
        if not owner_id:
            problems.add(f"followUps[{i}].ownerId", "a follow-up needs an owner")
        if due_at is None:
            problems.add(f"followUps[{i}].dueAt", "a follow-up needs a due date")
    if next_visit_at is not None and next_visit_at <= visited_at:
        problems.add("nextVisitAt", "the next visit comes after this one")
    problems.raise_if_any()
    assert clean_purpose is not None
    return clean_purpose


def check_contract(content: str | None, starts_on: date, ends_on: date, fees: Money) -> str:
    problems = ProblemList()
    clean = problems.text(content, "content", required=True, limit=TEXT_MAX)
    if ends_on < starts_on:
        problems.add("endsOn", "a contract cannot end before it starts")
    problems.money(fees, "fees")
    problems.raise_if_any()
    assert clean is not None
    return clean


def check_link(from_contact: Contact | None, to_contact: Contact | None) -> None:
    problems = ProblemList()
    if from_contact is None:
        problems.add("fromContactId", "no contact with this id in an account you can see")
    if to_contact is None:
        problems.add("toContactId", "no contact with this id in an account you can see")
    if from_contact and to_contact and from_contact.id == to_contact.id:
        problems.add("toContactId", "a contact cannot be related to itself")
    problems.raise_if_any()


def check_contact(fields: dict[str, Any], today: date, *, creating: bool) -> dict[str, Any]:
    """Validate and normalise contact fields (only those sent; None clears)."""
    problems = ProblemList()
    clean: dict[str, Any] = {}
    if creating or "name" in fields:
        clean["name"] = problems.text(fields.get("name"), "name", required=True)
    if "title" in fields:
        clean["title"] = problems.text(fields["title"], "title", required=False)
    if "decision_role" in fields:
        if fields["decision_role"] is None:
            problems.add("decisionRole", "decisionRole is required")
        clean["decision_role"] = fields["decision_role"]
    if "email" in fields:
        clean["email"] = check_email(fields["email"], "email", problems.problems)
    if "phone" in fields:
        clean["phone"] = check_phone(fields["phone"], "phone", problems.problems)
    if "birthday" in fields:
        if fields["birthday"] is not None and fields["birthday"] > today:
            problems.add("birthday", "birthday cannot be in the future")
        clean["birthday"] = fields["birthday"]
    if "hobbies" in fields:
        clean["hobbies"] = [
            h
            for i, x in enumerate(fields["hobbies"] or [])
            if (h := problems.text(x, f"hobbies[{i}]", required=True))
        ]
    for name in CONTACT_DETAILS:
        if name in fields:
            clean[name] = problems.text(fields[name], _camel(name), required=False, limit=TEXT_MAX)
    problems.raise_if_any()
    return clean


def check_company_profile(profile: CompanyProfile, industry: str | None) -> None:
    problems = ProblemList()
    problems.text(industry, "industry", required=False)
    problems.text(profile.legal_representative, "companyProfile.legalRepresentative", required=False)
    problems.text(profile.size, "companyProfile.size", required=False)
    problems.text(profile.person_in_charge, "companyProfile.personInCharge", required=False)
    for i, product in enumerate(profile.main_products):
        problems.text(product, f"companyProfile.mainProducts[{i}]", required=True)
    problems.money(profile.annual_revenue, "companyProfile.annualRevenue")
    if profile.profit_or_loss is not None and (
        p := money_problem(profile.profit_or_loss, allow_negative=True)
    ):
        problems.add("companyProfile.profitOrLoss", p)
    problems.raise_if_any()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def check_grade_change(current: Grade, new: Grade, reason: str | None) -> str:
    problems = ProblemList()
    clean = problems.text(reason, "reason", required=True, limit=TEXT_MAX)
    if current is new:
        problems.add("grade", f"the account is already grade {new.value}")
    problems.raise_if_any()
    assert clean is not None
    return clean
