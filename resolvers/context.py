"""What every resolver gets: the caller, the clock, repositories and per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from pymongo.asynchronous.database import AsyncDatabase

from domain.users import User
from repositories.customers import CustomerRepository
from repositories.users import UserRepository
from resolvers.loaders import CustomerByIdLoader
from server.clock import Clock


@dataclass
class Context:
    viewer: User
    request_id: str
    clock: Clock
    db: AsyncDatabase = field(repr=False)

    @cached_property
    def customers(self) -> CustomerRepository:
        return CustomerRepository(self.db)

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.db)

    # Loaders live exactly as long as the request: no stale data across requests.
    @cached_property
    def customer_by_id(self) -> CustomerByIdLoader:
        return CustomerByIdLoader(self.customers)
