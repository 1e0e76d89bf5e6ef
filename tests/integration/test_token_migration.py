"""m0007 moves tokens issued before it to their own ids, and they keep working."""

from __future__ import annotations

from datetime import timedelta

from bson import ObjectId

from migrations import MIGRATIONS, m0007_token_lifecycle, migrate
from repositories.tokens import TokenRepository, token_hash


async def test_tokens_from_before_keep_working_under_new_ids(bare_db, clock) -> None:
    for migration in MIGRATIONS:
        if migration.VERSION < m0007_token_lifecycle.VERSION:
            await migration.apply(bare_db)
    user_id = ObjectId()
    await bare_db["users"].insert_one(
        {
            "_id": user_id,
            "name": "ops",
            "nameSort": "ops",
            "searchTerms": ["ops"],
            "role": "ADMIN",
            "createdAt": clock(),
        }
    )
    await bare_db["api_tokens"].insert_many(
        [
            {"_id": token_hash("rap_old"), "userId": user_id, "createdAt": clock()},
            {
                "_id": token_hash("rap_demo"),
                "userId": user_id,
                "createdAt": clock(),
                "expiresAt": clock() + timedelta(hours=24),
                "demo": True,
            },
        ]
    )

    await migrate(bare_db, clock())
    await m0007_token_lifecycle.apply(bare_db)  # again, as after a crash: nothing doubles

    assert await bare_db["api_tokens"].count_documents({}) == 2
    tokens = TokenRepository(bare_db)
    old, demo = await tokens.find("rap_old"), await tokens.find("rap_demo")
    assert old is not None and demo is not None
    assert ObjectId.is_valid(old.token.id) and old.user.name == "ops"
    assert (old.token.name, old.token.expires_at, old.token.demo) == ("cli", None, False)
    assert old.token.opens(clock() + timedelta(days=3650), demo_allowed=False)  # issued without an expiry
    assert (demo.token.name, demo.token.demo) == ("demo", True)

    indexes = {i["name"]: i async for i in await bare_db["api_tokens"].list_indexes()}
    assert "api_tokens_expiry" not in indexes  # expired tokens other than demo ones are kept
    assert indexes["api_tokens_demo_expiry"]["partialFilterExpression"] == {"demo": True}
    assert indexes["api_tokens_hash"]["unique"]
