"""Key-account dossiers (domain.md §4): grades, the visit plan, contacts and their
network, visit logs with follow-ups, service contracts, and who may see and edit them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from domain.customers import check_email, check_phone
from domain.money import Money
from domain.users import Role, User
from domain.validation import LONG_TEXT_MAX, NAME_MAX, Problems, years_after


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
class ContactRelationship:
    """Who knows whom: `from_contact_id` stands in `relationship` to `to_contact_id`
    (e.g. REPORTS_TO)."""

    id: str
    from_contact_id: str
    to_contact_id: str
    relationship: Relationship
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class ContactLink:
    """A relationship as one contact sees it: outgoing (I report to X) or incoming."""

    id: str
    relationship: Relationship
    outgoing: bool
    contact_id: str  # the other contact
    note: str | None
    created_at: datetime


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


# --- who may change a dossier (who may read one: domain.access) -------------------------


def may_edit(viewer: User, account: KeyAccount) -> bool:
    if viewer.role is Role.ADMIN:
        return True
    return viewer.role is Role.ACCOUNT_MANAGER and viewer.id in (account.manager_id, *account.team_ids)


def may_open_key_accounts(viewer: User) -> bool:
    return viewer.role in (Role.ADMIN, Role.ACCOUNT_MANAGER)


# --- rules on what is written ------------------------------------------------------------

SATISFACTION_RANGE = range(1, 6)
#: How far ahead a next visit or a follow-up may be agreed, and how far back a visit report
#: may be filed (a report of a visit more than ten years ago is a typing mistake).
PLANNING_HORIZON_YEARS = 3
VISIT_BACKFILL_YEARS = 10
#: A visit logged "now" from another time zone may read as up to a day ahead.
VISIT_CLOCK_SKEW = timedelta(days=1)
#: Contracts run within these years, for at most this long.
CONTRACT_FIRST_DAY = date(1970, 1, 1)
CONTRACT_LAST_DAY = date(2100, 12, 31)
CONTRACT_TERM_YEARS_MAX = 30
FOLLOW_UPS_MAX = 50
VISIT_CONTACTS_MAX = 100
VISITORS_MAX = 20
TEAM_MAX = 50


def check_visit(
    visited_at: datetime,
    now: datetime,
    purpose: str | None,
    findings: VisitFindings,
    follow_ups: Sequence[tuple[str | None, str | None, datetime | None]],
    next_visit_at: datetime | None,
    counts: tuple[int, int],
) -> tuple[str, VisitFindings, list[str]]:
    """Validate a visit report; follow_ups are (action, owner id, due at), counts are
    (visitors, contacts met). Returns the purpose, the findings and the follow-up actions,
    cleaned."""
    problems = Problems()
    if visited_at > now + VISIT_CLOCK_SKEW:
        problems.add("visitedAt", "a visit cannot be logged before it happens")
    elif visited_at < years_after(now, -VISIT_BACKFILL_YEARS):
        problems.add("visitedAt", f"a visit report is filed within {VISIT_BACKFILL_YEARS} years of the visit")
    clean_purpose = problems.text(purpose, "purpose", required=True, limit=LONG_TEXT_MAX, multiline=True)
    if findings.satisfaction is not None and findings.satisfaction not in SATISFACTION_RANGE:
        problems.add("findings.satisfaction", "satisfaction is from 1 to 5")
    clean_findings = VisitFindings(
        needs=problems.texts(findings.needs, "findings.needs", limit=LONG_TEXT_MAX),
        satisfaction=findings.satisfaction,
        issues=problems.texts(findings.issues, "findings.issues", limit=LONG_TEXT_MAX),
    )
    visitors, contacts = counts
    problems.count(range(visitors), "visitorIds", VISITORS_MAX)
    problems.count(range(contacts), "contactIds", VISIT_CONTACTS_MAX)
    horizon = years_after(visited_at, PLANNING_HORIZON_YEARS)
    actions: list[str] = []
    if problems.count(follow_ups, "followUps", FOLLOW_UPS_MAX):
        for i, (action, owner_id, due_at) in enumerate(follow_ups):
            text = problems.text(action, f"followUps[{i}].action", required=True, limit=LONG_TEXT_MAX)
            actions.append(text or "")
            if not owner_id:
                problems.add(f"followUps[{i}].ownerId", "a follow-up needs an owner")
            if due_at is None:
                problems.add(f"followUps[{i}].dueAt", "a follow-up needs a due date")
            else:
                problems.moment(due_at, f"followUps[{i}].dueAt", visited_at, horizon)
    if next_visit_at is not None:
        if next_visit_at <= visited_at:
            problems.add("nextVisitAt", "the next visit comes after this one")
        else:
            problems.moment(next_visit_at, "nextVisitAt", visited_at, horizon)
    problems.raise_if_any()
    assert clean_purpose is not None
    return clean_purpose, clean_findings, actions


def check_contract(content: str | None, starts_on: date, ends_on: date, fees: Money) -> str:
    problems = Problems()
    clean = problems.text(content, "content", required=True, limit=LONG_TEXT_MAX, multiline=True)
    known = len(problems.problems)
    problems.day(starts_on, "startsOn", CONTRACT_FIRST_DAY, CONTRACT_LAST_DAY)
    problems.day(ends_on, "endsOn", CONTRACT_FIRST_DAY, CONTRACT_LAST_DAY)
    if len(problems.problems) > known:
        pass  # a day out of bounds says enough
    elif ends_on < starts_on:
        problems.add("endsOn", "a contract cannot end before it starts")
    elif (ends_on - starts_on).days > CONTRACT_TERM_YEARS_MAX * 366:
        problems.add("endsOn", f"a contract runs for at most {CONTRACT_TERM_YEARS_MAX} years")
    problems.money(fees, "fees")
    problems.raise_if_any()
    assert clean is not None
    return clean


def check_link(from_contact: Contact, to_contact: Contact, note: str | None) -> str | None:
    problems = Problems()
    if from_contact.id == to_contact.id:
        problems.add("toContactId", "a contact cannot be related to itself")
    clean = problems.text(note, "note", required=False, limit=LONG_TEXT_MAX, multiline=True)
    problems.raise_if_any()
    return clean


def check_contact(
    fields: dict[str, Any], today: date, *, creating: bool, phone_region: str
) -> dict[str, Any]:
    """Validate and normalise contact fields (only those sent; None clears)."""
    problems = Problems()
    clean: dict[str, Any] = {}
    if creating or "name" in fields:
        clean["name"] = problems.text(fields.get("name"), "name", required=True, limit=NAME_MAX)
    if "title" in fields:
        clean["title"] = problems.text(fields["title"], "title", required=False)
    if "decision_role" in fields:
        if fields["decision_role"] is None:
            problems.add("decisionRole", "decisionRole is required")
        clean["decision_role"] = fields["decision_role"]
    if "email" in fields:
        clean["email"] = check_email(fields["email"], "email", problems)
    if "phone" in fields:
        clean["phone"] = check_phone(fields["phone"], "phone", problems, phone_region)
    if "birthday" in fields:
        problems.birthday(fields["birthday"], "birthday", today)
        clean["birthday"] = fields["birthday"]
    if "hobbies" in fields:
        clean["hobbies"] = problems.texts(fields["hobbies"], "hobbies")
    for name in CONTACT_DETAILS:
        if name in fields:
            clean[name] = problems.text(
                fields[name], _camel(name), required=False, limit=LONG_TEXT_MAX, multiline=True
            )
    problems.raise_if_any()
    return clean


def check_company_profile(profile: CompanyProfile, industry: str | None) -> CompanyProfile:
    """The profile with its texts cleaned, or every problem in it."""
    problems = Problems()
    problems.text(industry, "industry", required=False)
    path = "companyProfile."
    clean = CompanyProfile(
        legal_representative=problems.text(
            profile.legal_representative, path + "legalRepresentative", required=False
        ),
        size=problems.text(profile.size, path + "size", required=False),
        main_products=problems.texts(profile.main_products, path + "mainProducts", max_items=100),
        annual_revenue=profile.annual_revenue,
        profit_or_loss=profile.profit_or_loss,
        person_in_charge=problems.text(profile.person_in_charge, path + "personInCharge", required=False),
    )
    problems.money(profile.annual_revenue, path + "annualRevenue")
    problems.money(profile.profit_or_loss, path + "profitOrLoss", allow_negative=True)
    problems.raise_if_any()
    return clean


def check_industry(industry: str | None) -> str | None:
    problems = Problems()
    clean = problems.text(industry, "industry", required=False)
    problems.raise_if_any()
    return clean


def check_team(member_ids: Sequence[str]) -> list[str]:
    problems = Problems()
    problems.count(member_ids, "memberIds", TEAM_MAX)
    problems.raise_if_any()
    return list(dict.fromkeys(member_ids))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def check_grade_change(current: Grade, new: Grade, reason: str | None) -> str:
    problems = Problems()
    clean = problems.text(reason, "reason", required=True, limit=LONG_TEXT_MAX, multiline=True)
    if current is new:
        problems.add("grade", f"the account is already grade {new.value}")
    problems.raise_if_any()
    assert clean is not None
    return clean
