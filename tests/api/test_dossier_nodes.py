"""Every dossier object is reachable by its global id, for those who may see it."""

from datetime import timedelta

from tests.api.dossier import create_key_account, organisation, payload
from tests.api.test_dossier_records import ADD_CONTACT, ADD_CONTRACT, LOG_VISIT
from tests.conftest import T0

NODE = """query($id: ID!) { node(id: $id) { id __typename
  ... on KeyAccount { grade } ... on Contact { name } ... on VisitLog { purpose }
  ... on ServiceContract { content } } }"""


async def test_dossier_objects_resolve_by_global_id_for_those_who_may_see(
    agent, manager, other_manager
) -> None:
    account = await create_key_account(manager, await organisation(agent))
    contact = (await payload(manager, ADD_CONTACT, {"keyAccountId": account["id"], "name": "Chen Jie"}))[
        "contact"
    ]
    visit = (
        await payload(
            manager,
            LOG_VISIT,
            {
                "keyAccountId": account["id"],
                "purpose": "review",
                "visitedAt": (T0 - timedelta(days=1)).isoformat(),
            },
        )
    )["visit"]
    contract = (
        await payload(
            manager,
            ADD_CONTRACT,
            {
                "keyAccountId": account["id"],
                "content": "freight",
                "startsOn": "2026-01-01",
                "endsOn": "2026-12-31",
                "fees": {"amount": "10", "currency": "CNY"},
            },
        )
    )["contract"]
    expected = {
        account["id"]: ("KeyAccount", "grade", "B"),
        contact["id"]: ("Contact", "name", "Chen Jie"),
        visit["id"]: ("VisitLog", "purpose", "review"),
        contract["id"]: ("ServiceContract", "content", "freight"),
    }
    for global_id, (typename, field, value) in expected.items():
        node = (await manager.execute(NODE, {"id": global_id}))["node"]
        assert (node["__typename"], node[field]) == (typename, value)
        assert (await agent.execute(NODE, {"id": global_id}))["node"]["id"] == global_id  # CX agents read all
        assert (await other_manager.execute(NODE, {"id": global_id}))["node"] is None  # need-to-know
