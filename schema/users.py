"""The caller."""

from __future__ import annotations

import strawberry

from domain.users import Role as DomainRole
from domain.users import User as DomainUser

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
Role = DomainRole
strawberry.enum(Role, name="Role")


@strawberry.type
class User:
    id: strawberry.ID
    name: str
    role: Role
    partner_id: strawberry.ID | None

    @classmethod
    def from_domain(cls, user: DomainUser) -> User:
        return cls(
            id=strawberry.ID(user.id),
            name=user.name,
            role=user.role,
            partner_id=None if user.partner_id is None else strawberry.ID(user.partner_id),
        )


@strawberry.type
class UserQueries:
    @strawberry.field(description="The authenticated caller.")
    def me(self, info: strawberry.Info) -> User:
        return User.from_domain(info.context.viewer)
