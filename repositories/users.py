"""Users and their API tokens. Tokens are stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from domain.search import fold
from domain.users import Role, User
from repositories.documents import by_ids
from repositories.pagination import Page, SortKey, find_page
from repositories.search import combine, search_clauses, search_fields

USERS = "users"
TOKENS = "api_tokens"
TOKEN_PREFIX = "rap_"


def token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


def _user(doc: Mapping[str, Any]) -> User:
    return User(
        id=str(doc["_id"]),
        name=doc["name"],
        role=Role(doc["role"]),
        partner_id=doc.get("partnerId"),
    )


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
        self._tokens = db[TOKENS]

    async def user_for_token(self, token: str, now: datetime, *, demo_allowed: bool = True) -> User | None:
        """The token's owner in one round trip ($lookup), or None for an unknown token, an
        expired one, or a demo token where demo tokens are not allowed (production)."""
        match: dict[str, Any] = {
            "_id": token_hash(token),
            "$or": [{"expiresAt": {"$exists": False}}, {"expiresAt": {"$gt": now}}],
        }
        if not demo_allowed:
            match["demo"] = {"$ne": True}
        pipeline: list[dict[str, Any]] = [
            {"$match": match},
            {
                "$lookup": {
                    "from": USERS,
                    "localField": "userId",
                    "foreignField": "_id",
                    "as": "user",
                }
            },
            {"$unwind": "$user"},
            {"$replaceWith": "$user"},
        ]
        docs = await (await self._tokens.aggregate(pipeline)).to_list()
        return _user(docs[0]) if docs else None

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

    async def issue_token(self, user: User, now: datetime, *, expires_at: datetime | None = None) -> str:
        """A new token; one with an expiry is a development demo token (refused in
        production), removed by the database once expired (TTL index)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        doc: dict[str, Any] = {"_id": token_hash(token), "userId": ObjectId(user.id), "createdAt": now}
        if expires_at is not None:
            doc.update(expiresAt=expires_at, demo=True)
        await self._tokens.insert_one(doc)
        return token

    async def page(self, where: UserFilter, first: int | None, after: str | None) -> Page[User]:
        clauses: list[dict[str, Any]] = []
        if where.role is not None:
            clauses.append({"role": where.role.value})
        clauses.extend(search_clauses(where.search_words))
        query = combine(clauses)
        return await find_page(self._users, query, BY_NAME, first, after, _user)
