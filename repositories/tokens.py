"""API tokens. The secret is stored only as a SHA-256 hash (`hash`, unique); a token's
record is named by its own ObjectId, which is safe to show, list and log."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from domain.tokens import ApiToken, Authenticated, TokenListing
from domain.users import Role
from repositories.documents import aggregate_all, by_ids
from repositories.ids import to_object_id
from repositories.pagination import Page, SortKey, find_page
from repositories.users import USERS, user_from_document

TOKENS = "api_tokens"
TOKEN_PREFIX = "rap_"

#: Newest first: an operator looks for the token they just made or the one in use.
NEWEST_FIRST = SortKey("createdAt", descending=True)


def token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


def to_token(doc: Mapping[str, Any]) -> ApiToken:
    return ApiToken(
        id=str(doc["_id"]),
        user_id=str(doc["userId"]),
        name=doc["name"],
        created_at=doc["createdAt"],
        expires_at=doc.get("expiresAt"),
        last_used_at=doc.get("lastUsedAt"),
        revoked_at=doc.get("revokedAt"),
        demo=doc.get("demo", False),
    )


@dataclass(frozen=True)
class TokenFilter:
    user_id: str | None = None
    include_revoked: bool = False
    include_expired: bool = False


def _not_expired(now: datetime) -> dict[str, Any]:
    # A token issued before tokens expired has no expiresAt and does not expire.
    return {"$or": [{"expiresAt": {"$exists": False}}, {"expiresAt": {"$gt": now}}]}


def _query(where: TokenFilter, now: datetime) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    if where.user_id is not None:
        clauses.append({"userId": to_object_id(where.user_id)})
    if not where.include_revoked:
        clauses.append({"revokedAt": {"$exists": False}})
    if not where.include_expired:
        clauses.append(_not_expired(now))
    return {"$and": clauses} if len(clauses) > 1 else (clauses[0] if clauses else {})


class TokenRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._tokens = db[TOKENS]

    async def issue(
        self, user_id: str, name: str, now: datetime, expires_at: datetime, *, demo: bool = False
    ) -> tuple[str, ApiToken]:
        """A new token: the secret (shown once, never stored) and its record. Demo tokens
        are removed by the database once expired (a TTL index on demo tokens only); other
        tokens stay, so lists and the audit log can still name them."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        doc: dict[str, Any] = {
            "_id": ObjectId(),
            "hash": token_hash(secret),
            "userId": ObjectId(user_id),
            "name": name,
            "createdAt": now,
            "expiresAt": expires_at,
        }
        if demo:
            doc["demo"] = True
        await self._tokens.insert_one(doc)
        return secret, to_token(doc)

    async def find(self, secret: str) -> Authenticated | None:
        """The token with this secret and its owner, in one round trip ($lookup), whatever
        its state: whether it opens anything is the domain's call."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"hash": token_hash(secret)}},
            {"$lookup": {"from": USERS, "localField": "userId", "foreignField": "_id", "as": "user"}},
            {"$unwind": "$user"},
        ]
        docs = await (await self._tokens.aggregate(pipeline)).to_list()
        return Authenticated(user_from_document(docs[0]["user"]), to_token(docs[0])) if docs else None

    async def note_use(self, token_id: str, now: datetime, interval: timedelta) -> bool:
        """Set lastUsedAt unless it was set within `interval`: of concurrent requests that
        all saw a stale value, one writes. Returns whether this one did."""
        stale = {"$or": [{"lastUsedAt": {"$exists": False}}, {"lastUsedAt": {"$lte": now - interval}}]}
        result = await self._tokens.update_one(
            {"_id": to_object_id(token_id), **stale}, {"$set": {"lastUsedAt": now}}
        )
        return result.modified_count == 1

    async def revoke(self, token_id: str, now: datetime) -> tuple[ApiToken | None, bool]:
        """(the token, whether this call revoked it); (None, False) when there is none.
        Conditional on not being revoked yet, so revokedAt keeps the first revocation."""
        oid = to_object_id(token_id)
        doc = await self._tokens.find_one_and_update(
            {"_id": oid, "revokedAt": {"$exists": False}},
            {"$set": {"revokedAt": now}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None:
            return to_token(doc), True
        current = await self._tokens.find_one({"_id": oid})
        return (to_token(current) if current else None), False

    async def revoke_named(self, user_id: str, name: str, now: datetime) -> int:
        """Revoke every unrevoked token of the user with this name (e.g. their web
        sessions); how many were revoked."""
        result = await self._tokens.update_many(
            {"userId": to_object_id(user_id), "name": name, "revokedAt": {"$exists": False}},
            {"$set": {"revokedAt": now}},
        )
        return result.modified_count

    async def by_ids(self, ids: list[str]) -> list[ApiToken | None]:
        return await by_ids(self._tokens, ids, to_token)

    async def page(
        self, where: TokenFilter, now: datetime, first: int | None, after: str | None
    ) -> Page[ApiToken]:
        return await find_page(self._tokens, _query(where, now), NEWEST_FIRST, first, after, to_token)

    async def listing(self, now: datetime, *, include_inactive: bool) -> list[TokenListing]:
        """Every token (or every active one) with its owner, newest first: an operator's
        list. Tokens are issued by hand, so they number in the hundreds at most."""
        everything = TokenFilter(include_revoked=include_inactive, include_expired=include_inactive)
        pipeline: list[dict[str, Any]] = [
            {"$match": _query(everything, now)},
            {"$sort": dict(NEWEST_FIRST.spec)},
            {"$lookup": {"from": USERS, "localField": "userId", "foreignField": "_id", "as": "user"}},
            {"$unwind": "$user"},
        ]
        return [
            TokenListing(token=to_token(doc), user_name=doc["user"]["name"], role=Role(doc["user"]["role"]))
            for doc in await aggregate_all(self._tokens, pipeline)
        ]
