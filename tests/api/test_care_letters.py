"""Key-account consultation/satisfaction letters over HTTP: the schedule sends one per
decision maker each period by grade (quarterly for A, twice a year for C), owned by the
account manager; an answer is a touchpoint of the account's customer and counts in the
period's totals; `keyAccount.satisfaction` shows the trend against the targets."""

from __future__ import annotations

from datetime import date

from tests.api.care import TASKS, run_schedule
from tests.api.dossier import create_key_account, organisation
from tests.conftest import T0

ADD_CONTACT = (
    """mutation($input: AddContactInput!) { addContact(input: $input) { contact { id } errors { code } } }"""
)
ANSWER = """mutation($input: RecordLetterAnswerInput!) { recordLetterAnswer(input: $input) {
  task { id status outcome answer { satisfaction loyaltyIntent } }
  touchpoint { id channel type stage satisfaction notes }
  errors { code message field } } }"""
LETTERS = """query($filter: CareTaskFilter) { careTasks(first: 20, filter: $filter) { totalCount edges { node {
  id title period status owner { id } contact { id name } } } } }"""
TREND = """query($id: ID!, $from: Date!, $to: Date!) { keyAccount(id: $id) {
  satisfaction(from: $from, to: $to) { slipping targets { satisfaction loyalty }
    periods { period from to letters answers averageSatisfaction satisfactionRate loyaltyRate
      meetsSatisfactionTarget meetsLoyaltyTarget change } }
  customer { touchpoints(first: 10) { totalCount } carePlans(first: 10) { edges { node { kind } } } } } }"""
BOOK = """{ keyAccounts(first: 10) { edges { node { grade satisfaction(from: "2026-01-01", to: "2027-12-31") { slipping } } } } }"""


async def _account(
    agent, manager, name: str, grade: str, makers: list[str], others: list[str] = ()
) -> tuple[str, list[str]]:
    org = await organisation(agent, name)
    account = await create_key_account(manager, org, grade=grade)
    contacts = []
    for contact, role in [*((m, "DECISION_MAKER") for m in makers), *((o, "USER") for o in others)]:
        data = await manager.execute(
            ADD_CONTACT, {"input": {"keyAccountId": account["id"], "name": contact, "decisionRole": role}}
        )
        contacts.append(data["addContact"]["contact"]["id"])
    return account["id"], contacts[: len(makers)]


async def test_letters_go_to_decision_makers_each_period_and_answers_make_the_trend(
    agent, manager, analyst, db, clock, settings
) -> None:
    lotus, (chen, liu) = await _account(
        agent, manager, "Lotus Hotels Ltd", "A", ["Chen Jie", "Liu Yang"], ["Wu Hao"]
    )
    await _account(agent, manager, "Pearl Logistics Co.", "C", ["Ma Chao"])

    first = await run_schedule(db, clock, settings, date(2026, 10, 1))
    assert first.changed == 3
    assert (await run_schedule(db, clock, settings, date(2026, 10, 1))).changed == 0
    assert (await run_schedule(db, clock, settings, T0.date())).changed == 0  # same periods: nothing new
    letters = (await manager.execute(LETTERS, {"filter": {"ownerId": manager.user_id}}))["careTasks"]
    assert sorted((e["node"]["contact"]["name"], e["node"]["period"]) for e in letters["edges"]) == [
        ("Chen Jie", "2026-Q4"),
        ("Liu Yang", "2026-Q4"),
        ("Ma Chao", "2026-H2"),
    ]
    by_contact = {e["node"]["contact"]["id"]: e["node"] for e in letters["edges"]}
    assert by_contact[chen]["title"] == "Consultation and satisfaction letter (2026-Q4)"

    async def answer(task_id: str, satisfaction: int, loyal: bool, comment: str | None = None) -> dict:
        variables = {
            "input": {
                "taskId": task_id,
                "satisfaction": satisfaction,
                "loyaltyIntent": loyal,
                "comment": comment,
            }
        }
        return (await agent.execute(ANSWER, variables))["recordLetterAnswer"]

    happy = await answer(by_contact[chen]["id"], 5, True, "the new routing works well")
    assert happy["errors"] == []
    assert (happy["task"]["status"], happy["task"]["answer"]) == (
        "DONE",
        {"satisfaction": 5, "loyaltyIntent": True},
    )
    assert happy["touchpoint"] == {
        "id": happy["touchpoint"]["id"],
        "channel": "EMAIL",
        "type": "SURVEY",
        "stage": "AFTER_SALE",
        "satisfaction": 5,
        "notes": "the new routing works well",
    }
    twice = await answer(by_contact[chen]["id"], 1, False)
    assert [(e["code"], e["field"]) for e in twice["errors"]] == [("INVALID_TRANSITION", "taskId")]
    assert (await answer(by_contact[liu]["id"], 6, True))["errors"][0]["field"] == "satisfaction"
    await answer(by_contact[liu]["id"], 3, False, "invoices arrive late")

    variables = {"id": lotus, "from": "2026-01-01", "to": "2027-12-31"}
    trend = (await manager.execute(TREND, variables))["keyAccount"]
    assert trend["satisfaction"] == {
        "slipping": True,
        "targets": {"satisfaction": 0.9, "loyalty": 0.8},
        "periods": [
            {
                "period": "2026-Q4",
                "from": "2026-10-01",
                "to": "2026-12-31",
                "letters": 2,
                "answers": 2,
                "averageSatisfaction": 4.0,
                "satisfactionRate": 0.5,
                "loyaltyRate": 0.5,
                "meetsSatisfactionTarget": False,
                "meetsLoyaltyTarget": False,
                "change": None,
            }
        ],
    }
    customer = trend["customer"]
    assert customer["touchpoints"]["totalCount"] == 2  # the answers, on the account's customer
    kinds = {e["node"]["kind"] for e in customer["carePlans"]["edges"]}
    assert kinds == {"KEY_ACCOUNT_LETTERS", "REVIEW_FOLLOW_UP"}  # the 3 out of 5 asks for a call

    assert (await run_schedule(db, clock, settings, date(2027, 1, 1))).changed == 3  # Q1 for A, H1 for C
    clock.advance(date(2027, 1, 5) - T0.date())
    q1 = (await manager.execute(LETTERS, {"filter": {"status": "PENDING", "ownerId": manager.user_id}}))[
        "careTasks"
    ]
    for edge in q1["edges"]:
        if edge["node"]["period"] == "2027-Q1":
            await answer(edge["node"]["id"], 5, True)
    periods = (await analyst.execute(TREND, variables))["keyAccount"]["satisfaction"]
    assert [(p["period"], p["satisfactionRate"], p["change"]) for p in periods["periods"]] == [
        ("2026-Q4", 0.5, None),
        ("2027-Q1", 1.0, 0.5),
    ]
    assert periods["slipping"] is False
    book = (await manager.execute(BOOK))["keyAccounts"]["edges"]
    assert [(e["node"]["grade"], e["node"]["satisfaction"]["slipping"]) for e in book] == [
        ("A", False),
        ("C", False),
    ]
    [bad] = await manager.errors(TREND, {**variables, "from": "2027-01-01", "to": "2026-01-01"})
    assert bad["extensions"]["code"] == "BAD_USER_INPUT"


async def test_only_a_pending_letter_takes_an_answer(agent, manager, db, clock, settings) -> None:
    from tests.api.care import customer, plans, purchase

    await _account(agent, manager, "Lotus Hotels Ltd", "B", ["Chen Jie"])
    await run_schedule(db, clock, settings, T0.date())
    someone = await customer(agent)
    await purchase(agent, someone, T0)
    [plan] = await plans(agent, someone)
    not_a_letter = (
        await agent.execute(
            ANSWER, {"input": {"taskId": plan["tasks"][0]["id"], "satisfaction": 4, "loyaltyIntent": True}}
        )
    )["recordLetterAnswer"]
    assert [(e["code"], e["field"]) for e in not_a_letter["errors"]] == [("VALIDATION", "taskId")]
    letters = (await agent.execute(TASKS, {"filter": {"channel": "EMAIL", "status": "PENDING"}}))["careTasks"]
    letter = next(e["node"] for e in letters["edges"] if e["node"]["planKind"] == "KEY_ACCOUNT_LETTERS")
    future = (
        await agent.execute(
            ANSWER,
            {
                "input": {
                    "taskId": letter["id"],
                    "satisfaction": 4,
                    "loyaltyIntent": True,
                    "answeredAt": "2027-06-01T00:00:00Z",
                }
            },
        )
    )["recordLetterAnswer"]
    assert [(e["code"], e["field"]) for e in future["errors"]] == [("VALIDATION", "answeredAt")]
    assert (await db["care_tasks"].find_one({"planKind": "KEY_ACCOUNT_LETTERS"}))["status"] == "PENDING"
