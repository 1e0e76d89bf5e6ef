"""What the care tests send, as a client would: customers with consent, purchases, plans."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from server.jobs import job_runner

CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  customer { id version } errors { code field } } }"""
PURCHASE = """mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) {
  purchase { id } customer { id valueTier lifecycleStage version } errors { code message field } } }"""
TOUCHPOINT = """mutation($input: RecordTouchpointInput!) { recordTouchpoint(input: $input) {
  touchpoint { id } errors { code message field } } }"""
PLANS = """query($id: ID!) { customer(id: $id) { carePlans(first: 10) { totalCount edges { node {
  id kind status reason skippedChannels startedAt closedReason
  tasks(first: 40) { id kind channel title rule dueAt status outcome } } } } } }"""
TASKS = """query($filter: CareTaskFilter, $first: Int, $after: String) {
  careTasks(first: $first, after: $after, filter: $filter) { totalCount
    edges { cursor node { id kind channel title rule dueAt status planKind owner { id } customer { id } } }
    pageInfo { hasNextPage endCursor } } }"""
COMPLETE = """mutation($input: CompleteCareTaskInput!) { completeCareTask(input: $input) {
  task { id status outcome completedAt completedBy { name role } plan { id status } }
  errors { code message field } } }"""

ALL = {"sms": True, "email": True, "phone": True}


async def customer(agent, name: str = "Lin Xiaoyu", consent: dict | None = ALL, **profile: Any) -> str:
    data = await agent.execute(CREATE, {"input": {"name": name, "consent": consent, **profile}})
    assert data["createCustomer"]["errors"] == [], data
    return data["createCustomer"]["customer"]["id"]


async def purchase(
    agent, customer_id: str, at: datetime, units: int = 1, price: str = "100", key: str | None = None
) -> dict:
    data = await agent.execute(
        PURCHASE,
        {
            "input": {
                "customerId": customer_id,
                "purchasedAt": at.isoformat(),
                "channel": "STORE",
                "idempotencyKey": key or f"{customer_id}-{at.isoformat()}-{units}-{price}",
                "lines": [{"sku": "tea", "quantity": units, "unitPrice": price}],
            }
        },
    )
    result = data["recordPurchase"]
    assert result["errors"] == [], result
    return result


async def plans(caller, customer_id: str) -> list[dict]:
    data = await caller.execute(PLANS, {"id": customer_id})
    return [e["node"] for e in data["customer"]["carePlans"]["edges"]]


async def run_schedule(db, clock, settings, day: date, job: str = "care-schedule"):
    outcome = await job_runner(db, clock, settings).run(job, on=day)
    assert outcome.status.value == "SUCCEEDED", outcome
    return outcome.result
