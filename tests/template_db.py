"""One migrated database for the whole test session, put back as migrated before each test.

Migrating a fresh database per test cost the database server ~0.4 s a test (11 migrations:
~20 collections with validators, ~80 indexes, default data); putting back only what the
last test touched costs a few commands. Every client of the test process is watched
(pymongo's global command listeners), so the reset knows which collections were written
or changed. A subprocess is not watched: the CLI tests give theirs a database of its own.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase

#: Commands on the database that change no document, validator or index.
_READS = frozenset(
    {"find", "getMore", "count", "distinct", "listCollections", "listIndexes", "killCursors", "explain"}
    | {"dbStats", "collStats", "validate"}
)
#: Commands that change documents only: the collection's documents are put back.
_WRITES = frozenset({"insert", "update", "delete", "findAndModify"})
#: Admin commands that touch no database.
_ADMIN_HARMLESS = frozenset(
    {"hello", "ismaster", "isMaster", "ping", "buildInfo", "endSessions", "listDatabases"}
    | {"commitTransaction", "abortTransaction", "killCursors", "getMore"}
)

#: Up to this many documents, deleting them is cheaper than making the collection again;
#: past it (the demo data's hundreds), deleting one by one with every index took seconds.
_FEW = 50

_resetting: ContextVar[bool] = ContextVar("template_db_resetting", default=False)


@dataclass
class Touched:
    written: set[str] = field(default_factory=set)  # documents changed
    changed: set[str] = field(default_factory=set)  # created, dropped, validator or indexes changed
    everything: bool = False  # dropped, renamed into or out of, or a command not understood


class ChangeWatch(monitoring.CommandListener):
    """What the commands sent to one database (by any client of this process) touched."""

    def __init__(self, db_name: str) -> None:
        self.db_name = db_name
        self.touched = Touched()

    def take(self) -> Touched:
        touched, self.touched = self.touched, Touched()
        return touched

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if _resetting.get():
            return
        name, command = event.command_name, event.command
        if event.database_name == "admin":
            if name not in _ADMIN_HARMLESS:  # e.g. renameCollection: not worth telling apart
                self.touched.everything = True
            return
        if event.database_name != self.db_name or name in _READS:
            return
        target = command.get(name)
        if name == "aggregate":
            if any("$out" in stage or "$merge" in stage for stage in command.get("pipeline", [])):
                self.touched.everything = True
        elif not isinstance(target, str):
            self.touched.everything = True
        elif name in _WRITES:
            self.touched.written.add(target)
        else:
            self.touched.changed.add(target)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Collection:
    options: dict[str, Any]
    indexes: list[dict[str, Any]]  # as listIndexes returns them, _id's left out
    documents: list[dict[str, Any]]


class TemplateDatabase:
    """A migrated database and what migrating left in it: collections (options, indexes) and
    documents."""

    def __init__(self, db: AsyncDatabase, collections: dict[str, Collection], watch: ChangeWatch) -> None:
        self.db = db
        self.collections = collections
        self.watch = watch

    @classmethod
    async def capture(cls, db: AsyncDatabase, watch: ChangeWatch) -> TemplateDatabase:
        """What `db` holds now; `watch` (registered before any client was made) sees what
        changes it from here on."""
        collections = {}
        async for info in await db.list_collections():
            name = info["name"]
            indexes = [i async for i in await db[name].list_indexes() if i["name"] != "_id_"]
            documents = await db[name].find({}).to_list()
            collections[name] = Collection(info.get("options", {}), indexes, documents)
        watch.take()  # what made it
        return cls(db, collections, watch)

    async def reset(self) -> None:
        """Put back what the commands since the last reset touched."""
        touched = self.watch.take()
        token = _resetting.set(True)
        try:
            changed = touched.changed
            if touched.everything:
                changed = set(await self.db.list_collection_names()) | self.collections.keys()
            for name in changed:
                await self.db.drop_collection(name)
                if name in self.collections:
                    await self._create(name)
            for name in touched.written - changed:
                if name not in self.collections:
                    await self.db.drop_collection(name)  # made by the insert
                elif await self.db[name].estimated_document_count() > _FEW:
                    await self.db.drop_collection(name)
                    await self._create(name)
                else:
                    await self.db[name].delete_many({})
                    if documents := self.collections[name].documents:
                        await self.db[name].insert_many(documents)
        finally:
            _resetting.reset(token)

    async def _create(self, name: str) -> None:
        collection = self.collections[name]
        await self.db.create_collection(name, **collection.options)
        if collection.indexes:
            specs = [{k: v for k, v in index.items() if k not in ("v", "ns")} for index in collection.indexes]
            await self.db.command("createIndexes", name, indexes=specs)
        if collection.documents:
            await self.db[name].insert_many(collection.documents)
