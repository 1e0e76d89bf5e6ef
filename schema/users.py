"""Users: the caller (`me`) and the directory account managers pick managers and teams
from."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

from domain.users import Role as DomainRole
from domain.users import User as DomainUser
from repositories.pagination import Paging
from repositories.users import UserFilter as RepositoryUserFilter
from resolvers import users as use_cases
from schema.node import Node, global_id, node_type
from schema.pagination import Connection, connection
from schema.permissions import CanListUsers

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
Role = DomainRole
strawberry.enum(Role, name="Role")


@node_type
@strawberry.type(description="Someone who uses the service: staff, a partner portal, an integration.")
class User(Node):
    name: str
    role: Role
    partner_id: strawberry.ID | None

    @classmethod
    def from_domain(cls, user: DomainUser) -> User:
        return cls(
            id=global_id("User", user.id),
            name=user.name,
            role=user.role,
            partner_id=strawberry.ID(user.partner_id) if user.partner_id else None,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[User | None]:
        found = await use_cases.users_by_ids(info.context, ids)
        return [cls.from_domain(u) if u else None for u in found]


async def related_users(info: strawberry.Info, ids: Sequence[str]) -> list[User]:
    """Users a visible record names (its manager, team, visitors): one batch per level."""
    found = await info.context.user_by_id.load_many(list(ids))
    return [User.from_domain(u) for u in found if u is not None]


@strawberry.input
class UserFilter:
    role: Role | None = None
    search: str | None = strawberry.field(default=None, description="Words that start the user's name words.")


@strawberry.type
class UserQueries:
    @strawberry.field(description="The authenticated caller.")
    def me(self, info: strawberry.Info) -> User:
        return User.from_domain(info.context.viewer)

    @connection(
        permission_classes=[CanListUsers],
        description="The directory of users, by name: pick a manager or a team (ADMIN, ACCOUNT_MANAGER).",
    )
    async def users(
        self,
        info: strawberry.Info,
        paging: Paging,
        filter: UserFilter | None = None,
    ) -> Connection[User]:
        where = filter or UserFilter()
        page = await use_cases.list_users(
            info.context,
            RepositoryUserFilter(role=where.role),
            where.search,
            paging,
        )
        return Connection.of(page, User.from_domain, info.context.cursors)
