"""Search by stored prefixes: customers and users keep every prefix of their search terms
(`searchPrefixes`), so a search word is an indexed equality."""

from pymongo import ASCENDING as ASC
from pymongo import IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 6
DESCRIPTION = "searchPrefixes on customers and users, indexed"


async def apply(db: AsyncDatabase) -> None:
    from domain.search import search_prefixes  # the one definition of what is stored

    for name in ("customers", "users"):
        collection = db[name]
        batch: list[UpdateOne] = []
        async for doc in collection.find({"searchPrefixes": {"$exists": False}}, {"searchTerms": 1}):
            prefixes = search_prefixes(list(doc.get("searchTerms", [])))
            batch.append(UpdateOne({"_id": doc["_id"]}, {"$set": {"searchPrefixes": prefixes}}))
            if len(batch) == 1000:
                await collection.bulk_write(batch, ordered=False)
                batch = []
        if batch:
            await collection.bulk_write(batch, ordered=False)
        await collection.create_indexes(
            [IndexModel([("searchPrefixes", ASC)], name=f"{name}_search_prefixes")]
        )
