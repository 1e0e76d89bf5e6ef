"""User use cases: the directory of users and checking the users an input names (tokens:
resolvers/tokens.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from domain.errors import ErrorCode, Forbidden
from domain.search import search_words
from domain.users import Role, User, may_list_users, may_see_user
from domain.validation import Problems
from repositories.pagination import Page, Paging
from repositories.users import UserFilter
from resolvers.context import Context


async def list_users(ctx: Context, where: UserFilter, search: str | None, paging: Paging) -> Page[User]:
    if not may_list_users(ctx.viewer):
        raise Forbidden("your role may not list users")
    words = search_words(search, "filter.search")
    page = await ctx.users.page(replace(where, search_words=words), paging)
    for _, user in page.items:
        ctx.user_by_id.prime(user.id, user)
    return page


async def users_by_ids(ctx: Context, ids: list[str]) -> list[User | None]:
    """Users the caller may fetch by id (themselves, or anyone if they may list users)."""
    found = await ctx.user_by_id.load_many(ids)
    return [u if u and may_see_user(ctx.viewer, u.id) else None for u in found]


async def check_users(
    ctx: Context,
    named: Sequence[tuple[str, str]],
    roles: Collection[Role] | None = None,
    wrong_role: str = "this user does not have a manager role",
) -> None:
    """Every (user id, input field) names a user, with one of `roles` if given."""
    users = await ctx.user_by_id.load_many([user_id for user_id, _ in named])
    problems = Problems()
    for (_, field), user in zip(named, users, strict=True):
        if user is None:
            problems.add(field, "no user with this id", ErrorCode.NOT_FOUND)
        elif roles and user.role not in roles:
            problems.add(field, wrong_role)
    problems.raise_if_any()
