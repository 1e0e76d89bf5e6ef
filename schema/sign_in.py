"""Signing in with a password (the web client), signing out, and setting passwords."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.tokens import ApiToken as DomainApiToken
from domain.users import User as DomainUser
from resolvers import sign_in as use_cases
from resolvers.outcome import Outcome
from schema.errors import UserError, payload, respond
from schema.node import InputIds
from schema.permissions import CanManageTokens
from schema.users import User


@strawberry.input
class SignInInput:
    name: str
    password: str


@strawberry.type(description="A signed-in session: send `token` as a bearer token until `expiresAt`.")
class Session:
    token: str = strawberry.field(description="Shown once; keep it in memory or session storage only.")
    expires_at: datetime
    user: User

    @classmethod
    def from_domain(cls, session: use_cases.Session) -> Session:
        assert session.token.expires_at is not None  # sessions always expire
        return cls(
            token=session.secret, expires_at=session.token.expires_at, user=User.from_domain(session.user)
        )


@strawberry.type
class SignInPayload:
    session: Session | None
    errors: list[UserError]
    _session: strawberry.Private[use_cases.Session | None] = None  # for the audit entry

    @classmethod
    def of(cls, outcome: Outcome[use_cases.Session]) -> SignInPayload:
        answer = payload(cls, "session", outcome, Session.from_domain)
        answer._session = outcome.value
        return answer


@strawberry.type
class SignOutPayload:
    signed_out: bool = strawberry.field(description="The request's token is revoked.")
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[DomainApiToken]) -> SignOutPayload:
        return cls(signed_out=outcome.value is not None, errors=[])


@strawberry.input
class SetUserPasswordInput:
    user_id: strawberry.ID
    password: str = strawberry.field(description="At least 12 characters; stored only as an argon2id hash.")


@strawberry.type
class SetUserPasswordPayload:
    user: User | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[DomainUser]) -> SetUserPasswordPayload:
        return payload(cls, "user", outcome, User.from_domain)


@strawberry.type
class SignInMutations:
    @strawberry.mutation(
        description="A session token for a name and password. Needs no bearer token when sent alone. "
        "A wrong name or password is SIGN_IN_REFUSED, never saying which; after repeated failures for "
        "a name, TOO_MANY_ATTEMPTS until the wait is over."
    )
    async def sign_in(self, info: strawberry.Info, input: SignInInput) -> SignInPayload:
        return await respond(
            SignInPayload.of, lambda: use_cases.sign_in_request(info.context, input.name, input.password)
        )

    @strawberry.mutation(description="Revoke the token this request came with: from now on it gets 401.")
    async def sign_out(self, info: strawberry.Info) -> SignOutPayload:
        return SignOutPayload.of(await use_cases.sign_out(info.context))

    @strawberry.mutation(
        permission_classes=[CanManageTokens],
        description="Give a user a password (ADMIN); their open web sessions are revoked.",
    )
    async def set_user_password(
        self, info: strawberry.Info, input: SetUserPasswordInput
    ) -> SetUserPasswordPayload:
        async def use_case() -> Outcome[DomainUser]:
            ids = InputIds()
            user_id = ids.one(input.user_id, "User", "userId")
            ids.check()
            return await use_cases.set_user_password(info.context, user_id, input.password)

        return await respond(SetUserPasswordPayload.of, use_case)
