"""The one way a use case reports expected failures: an Outcome with problems."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from domain.errors import DomainError, Problem

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T | None = None
    problems: list[Problem] = field(default_factory=list)


async def attempt(work: Awaitable[T]) -> Outcome[T]:
    """Run a use case; a DomainError becomes the outcome's problems, nothing else is caught."""
    try:
        return Outcome(value=await work)
    except DomainError as error:
        return Outcome(problems=error.problems)
