"""Typed payload errors, shared by every mutation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import strawberry

from domain.errors import DomainError, Problem
from domain.errors import ErrorCode as DomainErrorCode
from resolvers.outcome import Outcome

P = TypeVar("P")

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
ErrorCode = DomainErrorCode
strawberry.enum(ErrorCode, name="ErrorCode", description="Why a mutation refused.")


@strawberry.type(description="An expected failure: the request was understood and refused.")
class UserError:
    code: ErrorCode
    message: str
    field: str | None = strawberry.field(description="Path of the input field at fault, if one.")


def user_errors(problems: Iterable[Problem]) -> list[UserError]:
    return [UserError(code=p.code, message=p.message, field=p.field) for p in problems]


def payload(cls: type[P], field: str, outcome: Outcome[Any], to_node: Callable[[Any], Any]) -> P:
    """The one way a mutation answers: the changed object (or null) and its errors."""
    value = outcome.value
    return cls(
        **{field: to_node(value) if value is not None else None, "errors": user_errors(outcome.problems)}
    )


def sent_fields(data: Any, names: Iterable[str]) -> dict[str, Any]:
    """The input fields the client sent (UNSET ones are left out; null means clear)."""
    return {name: getattr(data, name) for name in names if getattr(data, name) is not strawberry.UNSET}


async def respond(of: Callable[[Outcome[Any]], P], use_case: Callable[[], Awaitable[Outcome[Any]]]) -> P:
    """Run a mutation's use case and answer its payload. Input refused before the use case
    runs (ids of the wrong type) is answered like any other refusal: typed errors."""
    try:
        outcome = await use_case()
    except DomainError as error:
        outcome = Outcome(problems=error.problems)
    return of(outcome)
