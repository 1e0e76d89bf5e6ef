"""The points-expiry job: what is left of each lot past its expiry leaves the balance, one
EXPIRE entry per lot, in one transaction per customer with the lots and the balance.

Safe to run twice: a lot is expired only while it has points left (a write conditional
on what was read of it) and once (origin `expiry:<lot>`), so a second run finds nothing.
"""

from __future__ import annotations

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from domain.jobs import JobResult
from domain.loyalty import EntryKind, LedgerEntry, expiries
from repositories.loyalty import LoyaltyRepository
from repositories.transactions import in_transaction
from resolvers.jobs import JobContext
from resolvers.loyalty import SYSTEM

#: Customers read per query (each is then one transaction).
BATCH = 500


async def points_expiry(job: JobContext) -> JobResult:
    now = job.clock()
    repo = LoyaltyRepository(job.db)
    customers = lots = points = 0
    after: str | None = None
    while batch := await repo.customers_with_expired_lots(now, BATCH, after):
        for customer_id in batch:

            async def expire(session: AsyncClientSession, customer_id: str = customer_id) -> tuple[int, int]:
                open_lots = await repo.open_lots(customer_id, session)
                by_id = {lot.id: lot for lot in open_lots}
                taken = 0
                shares = expiries(open_lots, now)
                for share in shares:
                    entry = LedgerEntry(
                        id=str(ObjectId()),
                        customer_id=customer_id,
                        seq=0,
                        kind=EntryKind.EXPIRE,
                        points=-share.points,
                        balance_after=0,
                        at=by_id[share.lot_id].expires_at,  # when the points lapsed
                        shares=(share,),
                        actor=SYSTEM,
                        recorded_at=now,
                    )
                    await repo.debit(entry, open_lots, session, origin=f"expiry:{share.lot_id}")
                    taken += share.points
                return len(shares), taken

            expired, taken = await in_transaction(job.db, expire)
            customers += 1
            lots += expired
            points += taken
        after = batch[-1]
    return JobResult(
        examined=customers,
        changed=lots,
        summary=f"{lots} lots expired ({points} points) for {customers} customers",
    )
