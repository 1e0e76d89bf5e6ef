"""Users: the people and systems that hold API tokens (repositories/tokens.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from domain.search import fold
from domain.users import Role, User
from repositories.documents import by_ids
from repositories.ids import to_object_id
from repositories.pagination import Page, SortKey, find_page
from repositories.search import combine, search_clauses, search_fields

USERS = "users"


def _user(doc: Mapping[str, Any]) -> User:
    return User(
        id=str(doc["_id"]),
        name=doc["name"],
        role=Role(doc["role"]),
        partner_id=doc.get("partnerId"),
    )


user_from_document = _user  # for repositories that join users (tokens)


class UserConflict(ValueError):
    pass


@dataclass(frozen=True)
class UserFilter:
    role: Role | None = None
    search_words: Sequence[str] = ()  # folded and bounded (domain.search.search_words)


BY_NAME = SortKey("nameSort")


def name_fields(name: str) -> dict[str, Any]:
    """What users are ordered and found by."""
    return {"nameSort": fold(name), **search_fields(name)}


class UserRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._users = db[USERS]

    async def by_ids(self, ids: list[str]) -> list[User | None]:
        return await by_ids(self._users, ids, _user)

    async def ensure_user(self, name: str, role: Role, partner_id: str | None, now: datetime) -> User:
        """The user with this name, created if new. An existing user keeps its role:
        a different one is refused rather than silently changed."""
        doc = await self._users.find_one_and_update(
            {"name": name},
            {
                "$setOnInsert": {
                    "name": name,
                    **name_fields(name),
                    "role": role.value,
                    "partnerId": partner_id,
                    "createdAt": now,
                }
            },
            upsert=True,
            return_document=True,
        )
        assert doc is not None  # upserted
        user = _user(doc)
        if user.role is not role or user.partner_id != partner_id:
            raise UserConflict(
                f"user {name!r} exists with role {user.role.value}"
                + (f" and partner {user.partner_id}" if user.partner_id else "")
            )
        return user

    async def by_name(self, name: str) -> tuple[User, str | None] | None:
        """The user with exactly this name and their password's hash (None: no password)."""
        doc = await self._users.find_one({"name": name})
        return (_user(doc), doc.get("passwordHash")) if doc else None

    async def set_password_hash(self, user_id: str, password_hash: str, now: datetime) -> User | None:
        """Replace the user's password hash (None: no such user)."""
        doc = await self._users.find_one_and_update(
            {"_id": to_object_id(user_id)},
            {"$set": {"passwordHash": password_hash, "passwordChangedAt": now}},
            return_document=True,
        )
        return _user(doc) if doc else None

    async def page(self, where: UserFilter, first: int | None, after: str | None) -> Page[User]:
        clauses: list[dict[str, Any]] = []
        if where.role is not None:
            clauses.append({"role": where.role.value})
        clauses.extend(search_clauses(where.search_words))
        query = combine(clauses)
        return await find_page(self._users, query, BY_NAME, first, after, _user)
