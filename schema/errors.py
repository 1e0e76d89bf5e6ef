"""Typed payload errors, shared by every mutation."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry

from domain.errors import ErrorCode as DomainErrorCode
from domain.errors import Problem

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Why a mutation refused.")


@strawberry.type(description="An expected failure: the request was understood and refused.")
class UserError:
    code: ErrorCode
    message: str
    field: str | None = strawberry.field(description="Path of the input field at fault, if one.")


def user_errors(problems: Iterable[Problem]) -> list[UserError]:
    return [UserError(code=p.code, message=p.message, field=p.field) for p in problems]
