"""GraphQL documents and helpers for the journey, value and report tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.api.queries import CREATE_CUSTOMER, transition

RECORD_PURCHASE = """mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) {
  purchase { id purchasedAt amount { amount currency } units channel points
    lines { sku quantity unitPrice pointsPerUnit } }
  customer { id lifecycleStage version valueTier }
  errors { code message field } } }"""

RECORD_TOUCHPOINT = """mutation($input: RecordTouchpointInput!) { recordTouchpoint(input: $input) {
  touchpoint { id channel stage type occurredAt satisfaction nps sentiment notes }
  customer { id }
  errors { code message field } } }"""

#: What a customer's page shows of their value and journey.
VALUE = """query($id: ID!) { customer(id: $id) {
  id lifecycleStage version valueTier
  rfm { recency frequency monetary r f m segment }
  churnRisk { score signals { name weight value } scoredAt }
  lifecycleHistory { action from to at reason actor { id name role } }
  purchases(first: 50) { totalCount edges { node { id amount { amount currency } units points } } }
  touchpoints(first: 50) { totalCount edges { node { id occurredAt notes } } }
} }"""

JOURNEY = """query($id: ID!, $from: DateTime!, $to: DateTime!) { customer(id: $id) {
  journey(from: $from, to: $to) {
    touchpoints { id occurredAt satisfaction nps sentiment notes }
    touchpointCount complete score peak { id } end { id } } } }"""

CUSTOMER_IDS = """query($filter: CustomerFilter) { customers(first: 100, filter: $filter) {
  totalCount edges { node { id } } } }"""

SEGMENTS = """query($asOf: Date) { segments(asOf: $asOf) { segment count share totalSpend } }"""

_FIGURES = "key touchpoints averageSatisfaction satisfactionRate { value numerator denominator } nps npsAnswers negatives"
EXPERIENCE = f"""query($from: Date!, $to: Date!, $groupBy: ExperienceGrouping!) {{
  experience(from: $from, to: $to, groupBy: $groupBy) {{
    groupBy groups {{ {_FIGURES} }} overall {{ {_FIGURES} }}
    hotspots {{ key negatives frequency impact concentration }} }} }}"""

_RATIO = "{ value numerator denominator }"
KPIS = f"""query($from: Date!, $to: Date!) {{ kpis(from: $from, to: $to) {{
  satisfactionRate {_RATIO} nps npsAnswers repurchaseRate {_RATIO} churnRate {_RATIO}
  retentionRate {_RATIO} newCustomers wonBack orders revenue averageOrderValue }} }}"""


def at(moment: datetime) -> str:
    return moment.isoformat()


async def new_customer(caller, name: str, **fields: Any) -> str:
    data = await caller.execute(CREATE_CUSTOMER, {"input": {"name": name, **fields}})
    result = data["createCustomer"]
    assert result["errors"] == [], result["errors"]
    return result["customer"]["id"]


def line(sku: str = "LATTE", quantity: int = 1, unit_price: str = "100", points: int = 0) -> dict:
    return {"sku": sku, "quantity": quantity, "unitPrice": unit_price, "pointsPerUnit": points}


def purchase_input(customer_id: str, when: datetime, key: str, *lines: dict, **extra: Any) -> dict:
    return {
        "customerId": customer_id,
        "purchasedAt": at(when),
        "channel": "STORE",
        "lines": list(lines) or [line()],
        "idempotencyKey": key,
        **extra,
    }


async def purchase_result(caller, input_: dict) -> dict:
    return (await caller.execute(RECORD_PURCHASE, {"input": input_}))["recordPurchase"]


async def buy(caller, customer_id: str, when: datetime, key: str, *lines: dict, **extra: Any) -> dict:
    """Record a purchase that must succeed; its payload."""
    result = await purchase_result(caller, purchase_input(customer_id, when, key, *lines, **extra))
    assert result["errors"] == [], result["errors"]
    return result


def touchpoint_input(customer_id: str, when: datetime, **fields: Any) -> dict:
    return {
        "customerId": customer_id,
        "channel": "PHONE",
        "stage": "AFTER_SALE",
        "type": "CALL",
        "occurredAt": at(when),
        **fields,
    }


async def touch(caller, customer_id: str, when: datetime, **fields: Any) -> dict:
    """Record a touchpoint that must succeed; the touchpoint as answered."""
    data = await caller.execute(RECORD_TOUCHPOINT, {"input": touchpoint_input(customer_id, when, **fields)})
    result = data["recordTouchpoint"]
    assert result["errors"] == [], result["errors"]
    return result["touchpoint"]


async def value_of(caller, customer_id: str) -> dict:
    return (await caller.execute(VALUE, {"id": customer_id}))["customer"]


async def ids_where(caller, **filter_: Any) -> set[str]:
    found = (await caller.execute(CUSTOMER_IDS, {"filter": filter_}))["customers"]
    ids = {e["node"]["id"] for e in found["edges"]}
    assert found["totalCount"] == len(ids)
    return ids


async def move(caller, customer_id: str, *actions: str) -> None:
    """Take the customer through these lifecycle actions by hand."""
    version = (await value_of(caller, customer_id))["version"]
    for action in actions:
        data = await caller.execute(
            transition(action),
            {"input": {"customerId": customer_id, "expectedVersion": version, "reason": "by hand"}},
        )
        result = next(iter(data.values()))
        assert result["errors"] == [], (action, result["errors"])
        version = result["customer"]["version"]
