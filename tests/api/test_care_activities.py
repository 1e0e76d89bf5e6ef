"""Care activities over HTTP: created for a tier or a segment, invitations in bulk on
consented channels (never twice), participation and satisfaction recorded once, and the
quarter's figures against the playbook's "at least one a quarter"."""

from __future__ import annotations

from datetime import timedelta

from tests.api.care import TASKS, customer, plans, purchase
from tests.conftest import T0

ACTIVITY = "id name kind heldOn quarter segment tier taskKind channel invited participated participationRate averageSatisfaction owner { id }"
CREATE = f"""mutation($input: CreateCareActivityInput!) {{ createCareActivity(input: $input) {{
  activity {{ {ACTIVITY} }} errors {{ code message field }} }} }}"""
INVITE = f"""mutation($input: InviteToCareActivityInput!) {{ inviteToCareActivity(input: $input) {{
  activity {{ {ACTIVITY} }} invitedNow skippedWithoutConsent complete errors {{ code message field }} }} }}"""
PARTICIPATION = f"""mutation($input: RecordCareActivityParticipationInput!) {{
  recordCareActivityParticipation(input: $input) {{ activity {{ {ACTIVITY} }} errors {{ code message field }} }} }}"""
QUARTER = """query($q: String) { careActivities(quarter: $q) { quarter from to target activityCount meetsTarget
  invited participated participationRate averageSatisfaction activities(first: 10) { edges { node { id name } } } } }"""
HOUR = timedelta(hours=1)


async def _regular(agent, name: str, consent: dict | None) -> str:
    c = await customer(agent, name, consent=consent)
    await purchase(agent, c, T0 - 2 * HOUR)
    await purchase(agent, c, T0 - HOUR)
    return c


async def test_an_activity_invites_its_audience_once_and_is_evaluated(
    agent, analyst, partner, manager
) -> None:
    texting = await _regular(agent, "Mei Chen", {"sms": True})
    silent = await _regular(agent, "Jun Wang", {"email": True})
    newcomer = await customer(agent, "Lina Zhou", consent={"sms": True})
    await purchase(agent, newcomer, T0 - HOUR)

    created = (
        await agent.execute(
            CREATE,
            {
                "input": {
                    "name": "Customer appreciation day",
                    "kind": "APPRECIATION_DAY",
                    "heldOn": "2026-12-12",
                    "tier": "REGULAR",
                    "channel": "SMS",
                    "ownerId": agent.user_id,
                }
            },
        )
    )["createCareActivity"]
    assert created["errors"] == []
    activity = created["activity"]
    assert (activity["quarter"], activity["tier"], activity["segment"], activity["invited"]) == (
        "2026-Q4",
        "REGULAR",
        None,
        0,
    )

    invited = (await agent.execute(INVITE, {"input": {"id": activity["id"]}}))["inviteToCareActivity"]
    assert (invited["invitedNow"], invited["skippedWithoutConsent"], invited["complete"]) == (1, 1, True)
    assert invited["activity"]["invited"] == 1
    again = (await agent.execute(INVITE, {"input": {"id": activity["id"]}}))["inviteToCareActivity"]
    assert (again["invitedNow"], again["activity"]["invited"]) == (0, 1)  # never twice
    [plan] = [p for p in await plans(agent, texting) if p["kind"] == "ACTIVITY"]
    assert [(t["kind"], t["channel"], t["title"], t["dueAt"]) for t in plan["tasks"]] == [
        ("GREETING", "SMS", "Invitation: Customer appreciation day", T0.isoformat())
    ]
    owned = (await agent.execute(TASKS, {"filter": {"ownerId": agent.user_id}}))["careTasks"]
    assert [e["node"]["customer"]["id"] for e in owned["edges"]] == [texting]
    assert not [p for p in await plans(agent, silent) if p["kind"] == "ACTIVITY"]

    def take_part(customer_id: str, participated: bool = True, satisfaction: int | None = 4) -> dict:
        return {
            "input": {
                "activityId": activity["id"],
                "customerId": customer_id,
                "participated": participated,
                "satisfaction": satisfaction,
            }
        }

    async def record(variables: dict) -> dict:
        return (await agent.execute(PARTICIPATION, variables))["recordCareActivityParticipation"]

    refused = await record(take_part(texting, participated=False, satisfaction=6))
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("VALIDATION", "satisfaction"),
        ("VALIDATION", "satisfaction"),
    ]
    took_part = await record(take_part(texting))
    assert took_part["errors"] == []
    evaluated = took_part["activity"]
    assert (evaluated["participated"], evaluated["participationRate"], evaluated["averageSatisfaction"]) == (
        1,
        1.0,
        4.0,
    )
    twice = await record(take_part(texting, satisfaction=1))
    assert [(e["code"], e["field"]) for e in twice["errors"]] == [("INVALID_TRANSITION", "customerId")]
    uninvited = await record(take_part(silent))
    assert [(e["code"], e["field"]) for e in uninvited["errors"]] == [("NOT_FOUND", "customerId")]

    quarter = (await analyst.execute(QUARTER, {"q": "2026-Q4"}))["careActivities"]  # aggregates: analysts too
    assert quarter == {
        "quarter": "2026-Q4",
        "from": "2026-10-01",
        "to": "2026-12-31",
        "target": 1,
        "activityCount": 1,
        "meetsTarget": True,
        "invited": 1,
        "participated": 1,
        "participationRate": 1.0,
        "averageSatisfaction": 4.0,
        "activities": {"edges": [{"node": {"id": activity["id"], "name": "Customer appreciation day"}}]},
    }
    empty = (await agent.execute(QUARTER, {"q": "2027-Q1"}))["careActivities"]
    assert (empty["activityCount"], empty["meetsTarget"], empty["participationRate"]) == (0, False, None)
    assert (await agent.execute(QUARTER, {}))["careActivities"]["quarter"] == "2026-Q4"  # this quarter
    [bad] = await agent.errors(QUARTER, {"q": "2026-Q5"})
    assert (bad["extensions"]["code"], bad["extensions"]["field"]) == ("BAD_USER_INPUT", "quarter")
    for caller in (partner, manager):
        [forbidden] = await caller.errors(QUARTER, {"q": "2026-Q4"})
        assert forbidden["extensions"]["code"] == "FORBIDDEN"
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (await analyst.execute(node, {"id": activity["id"]}))["node"] == {"id": activity["id"]}
    assert (await partner.execute(node, {"id": activity["id"]}))["node"] is None


async def test_a_segment_activity_and_what_an_activity_refuses(agent, analyst) -> None:
    newcomer = await customer(agent, "Lina Zhou", consent={"sms": True, "email": True})
    await purchase(agent, newcomer, T0 - HOUR)  # one recent purchase: the NEW segment
    await _regular(agent, "Mei Chen", {"sms": True, "email": True})

    async def create(**fields) -> dict:
        base = {
            "name": "New product trial",
            "kind": "PRODUCT_TRIAL",
            "heldOn": "2027-01-20",
            "channel": "EMAIL",
        }
        return (await agent.execute(CREATE, {"input": {**base, **fields}}))["createCareActivity"]

    trial = (await create(segment="NEW", taskKind="SURVEY"))["activity"]
    assert trial["quarter"] == "2027-Q1"
    invited = (await agent.execute(INVITE, {"input": {"id": trial["id"]}}))["inviteToCareActivity"]
    assert (invited["invitedNow"], invited["skippedWithoutConsent"]) == (1, 0)
    [plan] = [p for p in await plans(agent, newcomer) if p["kind"] == "ACTIVITY"]
    assert [(t["kind"], t["channel"]) for t in plan["tasks"]] == [("SURVEY", "EMAIL")]

    both = await create(segment="NEW", tier="VIP")
    assert [(e["code"], e["field"]) for e in both["errors"]] == [("VALIDATION", "segment")]
    bad = await create(name=" ", heldOn="2035-01-01", tier="REGULAR")
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [
        ("VALIDATION", "name"),
        ("VALIDATION", "heldOn"),
    ]
    owner = await create(tier="REGULAR", ownerId=analyst.user_id)
    assert [(e["code"], e["field"]) for e in owner["errors"]] == [("VALIDATION", "ownerId")]
    [forbidden] = await analyst.errors(
        CREATE, {"input": {"name": "x", "kind": "OTHER", "heldOn": "2026-12-01", "tier": "VIP"}}
    )
    assert forbidden["extensions"]["code"] == "FORBIDDEN"
