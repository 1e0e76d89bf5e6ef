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


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: Role
    partner_id: str | None = None

    @property
    def may_write_customers(self) -> bool:
        return self.role in CUSTOMER_WRITERS
