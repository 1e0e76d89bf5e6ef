"""Need-to-know (domain.md §9): the one policy that says which records a viewer may read
and whose personal data they see.

The policy is pure: it answers with `Scope`s, plain descriptions of a set of records.
Repositories turn a scope into a query filter (so pages and `totalCount` hold only what
the viewer may see, and an id out of scope is simply not found); resolvers mask the
personal fields of records outside `Access.details` with `mask`. A new kind of record
plugs in by saying which scope governs it and declaring its personal fields.

| role            | customers (rows)       | personal data of        | dossiers            | purchases, touchpoints, points, coupons | tiers, RFM, churn risk |
| --------------- | ---------------------- | ----------------------- | ------------------- | --------------------------------------- | ---------------------- |
| ADMIN, CX_AGENT | all                    | all                     | all                 | all                                     | all                    |
| ACCOUNT_MANAGER | all                    | their book's customers  | their book          | their book's customers                  | their book's customers |
| PARTNER         | shared with partner id | none                    | none                | none                                    | none                   |
| ANALYST         | all                    | none                    | all, people masked  | none (aggregates only)                  | all                    |

`activity` also governs care plans and their tasks (a plan is about one customer, like a
purchase). Reports over the whole base (segments, experience, KPIs, complaint figures, care
activities and the care rules) are for ADMIN, CX_AGENT and ANALYST.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from domain.users import Role, User

T = TypeVar("T")


@dataclass(frozen=True)
class Book:
    """The key accounts an account manager manages or is on the team of, and their customers."""

    key_account_ids: frozenset[str] = frozenset()
    customer_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Scope:
    """A set of records: those matching any of the conditions given (none given: no record).

    Each repository says which of its fields answers which condition; a condition a
    collection cannot answer matches nothing there (a safe default for new collections).
    """

    everything: bool = False
    partner_id: str | None = None  # shared with this partner (a customer's sharedWith)
    key_account_ids: frozenset[str] | None = None  # kept in these key accounts
    customer_ids: frozenset[str] | None = None  # about these customers
    organisations: bool = False  # organisation customers (their names are not personal data)

    def admits(
        self,
        *,
        customer_id: str | None = None,
        key_account_id: str | None = None,
        shared_with: Iterable[str] = (),
        organisation: bool = False,
    ) -> bool:
        """Whether one loaded record is in the set (the same rule as the query filter)."""
        return (
            self.everything
            or (self.partner_id is not None and self.partner_id in shared_with)
            or (self.key_account_ids is not None and key_account_id in self.key_account_ids)
            or (self.customer_ids is not None and customer_id in self.customer_ids)
            or (self.organisations and organisation)
        )

    def or_organisations(self) -> Scope:
        return dataclasses.replace(self, organisations=True)


EVERYTHING = Scope(everything=True)
NOTHING = Scope()

#: Roles that read every record and every personal field.
STAFF_WITH_FULL_VIEW = frozenset({Role.ADMIN, Role.CX_AGENT})


def sees_sharing(viewer: User) -> bool:
    """Who a customer is shared with is for the staff who decide it."""
    return viewer.role in STAFF_WITH_FULL_VIEW


def needs_book(viewer: User) -> bool:
    """Whether the policy for this viewer depends on their book (loaded once per request)."""
    return viewer.role is Role.ACCOUNT_MANAGER


@dataclass(frozen=True)
class Access:
    """What one viewer may read, for the length of one request."""

    viewer: User
    customers: Scope  # which customers they may read at all
    customer_details: Scope  # whose personal fields they see (the rest are masked)
    dossiers: Scope  # key accounts and every record kept in them
    people_in_dossiers: bool  # contacts' personal fields unmasked
    sees_sharing: bool  # a customer's sharedWith list
    # customers whose purchases, touchpoints and loyalty (points, coupons, referrals) they
    # read: points are earned from purchases and spent like them, the same need-to-know
    activity: Scope = NOTHING
    figures: Scope = NOTHING  # customers whose tier, RFM and churn risk they read

    @property
    def searchable_customers(self) -> Scope:
        """Searching matches names and emails, so it runs only over customers whose
        personal data the viewer sees, and organisations (whose names are not personal)."""
        return self.customer_details.or_organisations()

    def shows_customer(self, customer_id: str) -> bool:
        return self.customer_details.admits(customer_id=customer_id)


def access_for(viewer: User, book: Book | None = None) -> Access:
    """The policy. `book` is required for account managers (see needs_book)."""
    role = viewer.role
    if role in STAFF_WITH_FULL_VIEW:
        return Access(
            viewer, EVERYTHING, EVERYTHING, EVERYTHING, True, sees_sharing(viewer), EVERYTHING, EVERYTHING
        )
    if role is Role.ACCOUNT_MANAGER:
        if book is None:
            raise ValueError("an account manager's access depends on their book")
        mine = Scope(key_account_ids=book.key_account_ids, customer_ids=book.customer_ids)
        customers = Scope(customer_ids=book.customer_ids)
        return Access(viewer, EVERYTHING, customers, mine, True, False, customers, customers)
    if role is Role.PARTNER and viewer.partner_id:
        return Access(viewer, Scope(partner_id=viewer.partner_id), NOTHING, NOTHING, False, False)
    if role is Role.ANALYST:
        return Access(viewer, EVERYTHING, NOTHING, EVERYTHING, False, False, NOTHING, EVERYTHING)
    return Access(viewer, NOTHING, NOTHING, NOTHING, False, False)


#: Roles that read reports over the whole customer base.
REPORT_READERS = frozenset({Role.ADMIN, Role.CX_AGENT, Role.ANALYST})


def may_read_reports(viewer: User) -> bool:
    return viewer.role in REPORT_READERS


# --- masking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonalFields:
    """The personal fields of one kind of record, declared once (by its repository, which
    also maps them to documents): masking, export and erasure read this list.

    `hidden` are withheld from viewers who may not see personal data (None, or empty for a
    list or mapping; `items.note` withholds `note` in each of a list's items); `names` are
    reduced to the first name and the initial of the last.
    """

    hidden: tuple[str, ...]
    names: tuple[str, ...] = ()


def short_name(name: str) -> str:
    """ "Wang Xiaoming" -> "Wang X.": the first name and the initial of the last."""
    words = name.split()
    if len(words) < 2:
        return words[0] if words else name
    return f"{words[0]} {words[-1][0]}."


def _withheld(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return type(value)()
    if isinstance(value, dict):
        return {}
    return None


def _without(record: Any, path: str) -> Any:
    name, _, rest = path.partition(".")
    value = getattr(record, name)
    if not rest:
        return dataclasses.replace(record, **{name: _withheld(value)})
    if isinstance(value, list):
        return dataclasses.replace(record, **{name: [_without(item, rest) for item in value]})
    return dataclasses.replace(record, **{name: _without(value, rest)}) if value is not None else record


def mask(record: T, personal: PersonalFields) -> T:
    """The record as a viewer without access to personal data sees it."""
    masked: Any = record
    for path in personal.hidden:
        masked = _without(masked, path)
    names = {name: short_name(getattr(masked, name)) for name in personal.names}
    return dataclasses.replace(masked, **names) if names else masked  # type: ignore[no-any-return]


def may_export_and_erase(viewer: User) -> bool:
    """A data subject's export and erasure are ADMIN acts (domain.md §9)."""
    return viewer.role is Role.ADMIN
