"""DataLoaders: one database round trip per relation level, created per request."""

from __future__ import annotations

from aiodataloader import DataLoader

from domain.customers import Customer
from repositories.customers import CustomerRepository


class CustomerByIdLoader(DataLoader[str, Customer | None]):
    def __init__(self, customers: CustomerRepository) -> None:
        super().__init__()
        self._customers = customers

    async def batch_load_fn(self, ids: list[str]) -> list[Customer | None]:
        return await self._customers.by_ids(ids)
