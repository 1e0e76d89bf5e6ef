"""Users of the service and what each role may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    ADMIN = "ADMIN"
    CX_AGENT = "CX_AGENT"
    ACCOUNT_MANAGER = "ACCOUNT_MANAGER"
    PARTNER = "PARTNER"
    ANALYST = "ANALYST"


#: Roles that may create and change customers (finer rules per role come later).
CUSTOMER_WRITERS = frozenset({Role.ADMIN, Role.CX_AGENT})
#: Roles that pick managers and teams, so they read the directory of users.
DIRECTORY_READERS = frozenset({Role.ADMIN, Role.ACCOUNT_MANAGER})


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: Role
    partner_id: str | None = None

    @property
    def may_write_customers(self) -> bool:
        return self.role in CUSTOMER_WRITERS


def may_list_users(viewer: User) -> bool:
    return viewer.role in DIRECTORY_READERS


def may_see_user(viewer: User, user_id: str) -> bool:
    """Who may fetch a user by id: whoever may list users, and everyone themselves."""
    return may_list_users(viewer) or viewer.id == user_id
