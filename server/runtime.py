"""What lives as long as the process: the database connection and the clock."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pymongo.asynchronous.database import AsyncDatabase

from repositories.service_keys import CURSOR_KEY, service_key
from server.clock import Clock
from server.database import Database
from server.settings import Settings


@dataclass(frozen=True)
class Runtime:
    database: Database
    clock: Clock
    settings: Settings

    _keys: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def db(self) -> AsyncDatabase:
        return self.database.db

    async def cursor_key(self) -> bytes:
        """RAPPORT_CURSOR_SECRET if set (derived to 32 bytes), else the key the instances
        share through the database; read once per process."""
        if CURSOR_KEY not in self._keys:
            secret = self.settings.cursor_secret
            self._keys[CURSOR_KEY] = (
                hashlib.sha256(secret.get_secret_value().encode()).digest()
                if secret is not None
                else await service_key(self.db, CURSOR_KEY, self.clock())
            )
        return self._keys[CURSOR_KEY]
