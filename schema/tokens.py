"""API tokens in the graph (ADMIN only): list them, see when each was last used, revoke
one. The secret is never readable: it is shown once, by the CLI that makes it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.tokens import ApiToken as DomainApiToken
from domain.tokens import TokenStatus as DomainTokenStatus
from repositories.pagination import Paging
from repositories.tokens import TokenFilter as RepositoryTokenFilter
from resolvers import tokens as use_cases
from resolvers.outcome import Outcome
from schema.errors import UserError, payload, respond
from schema.node import InputIds, Node, argument_id, global_id, node_type
from schema.pagination import Connection, connection
from schema.permissions import CanManageTokens
from schema.users import User

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
TokenStatus = DomainTokenStatus
strawberry.enum(TokenStatus, name="TokenStatus", description="Whether a token opens anything now.")


@node_type
@strawberry.type(description="An API token's record (never the token itself). ADMIN only.")
class ApiToken(Node):
    name: str = strawberry.field(description="The token's label, given when it was made.")
    created_at: datetime
    expires_at: datetime | None = strawberry.field(
        description="Null only for tokens made before tokens expired."
    )
    last_used_at: datetime | None = strawberry.field(description="Kept to within a minute (a setting).")
    revoked_at: datetime | None
    demo: bool = strawberry.field(description="The development demo token.")
    _token: strawberry.Private[DomainApiToken]

    @strawberry.field(description="Whose token it is.")
    async def user(self, info: strawberry.Info) -> User:
        found = await info.context.user_by_id.load(self._token.user_id)
        return User.from_domain(found)

    @strawberry.field(description="ACTIVE, EXPIRED or REVOKED, now.")
    def status(self, info: strawberry.Info) -> TokenStatus:
        return self._token.status(info.context.clock())

    @classmethod
    def from_domain(cls, token: DomainApiToken) -> ApiToken:
        return cls(
            id=global_id("ApiToken", token.id),
            name=token.name,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            demo=token.demo,
            _token=token,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[ApiToken | None]:
        found = await use_cases.tokens_by_ids(info.context, ids)
        return [cls.from_domain(t) if t else None for t in found]


@strawberry.input
class TokenFilter:
    user_id: strawberry.ID | None = strawberry.field(default=None, description="Only this user's tokens.")
    include_revoked: bool = False
    include_expired: bool = False


@strawberry.type
class TokenQueries:
    @connection(
        permission_classes=[CanManageTokens],
        description="API tokens, newest first; active ones unless asked for more (ADMIN).",
    )
    async def tokens(
        self,
        info: strawberry.Info,
        paging: Paging,
        filter: TokenFilter | None = None,
    ) -> Connection[ApiToken]:
        where = filter or TokenFilter()
        user_id = None if where.user_id is None else argument_id(where.user_id, "User", "filter.userId")
        page = await use_cases.list_tokens(
            info.context,
            RepositoryTokenFilter(
                user_id=user_id, include_revoked=where.include_revoked, include_expired=where.include_expired
            ),
            paging,
        )
        return Connection.of(page, ApiToken.from_domain, info.context.cursors)


@strawberry.input
class RevokeTokenInput:
    token_id: strawberry.ID


@strawberry.type
class RevokeTokenPayload:
    token: ApiToken | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[DomainApiToken]) -> RevokeTokenPayload:
        return payload(cls, "token", outcome, ApiToken.from_domain)


@strawberry.type
class TokenMutations:
    @strawberry.mutation(
        permission_classes=[CanManageTokens],
        description="Revoke a token: from now on it gets 401. A revoked token cannot be revoked "
        "again (INVALID_TRANSITION). ADMIN only.",
    )
    async def revoke_token(self, info: strawberry.Info, input: RevokeTokenInput) -> RevokeTokenPayload:
        async def use_case() -> Outcome[DomainApiToken]:
            ids = InputIds()
            token_id = ids.one(input.token_id, "ApiToken", "tokenId")
            ids.check()
            return await use_cases.revoke_token(info.context, token_id)

        return await respond(RevokeTokenPayload.of, use_case)
