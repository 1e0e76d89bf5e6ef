"""The directory of users: account managers and admins pick a manager or a team from it,
so nobody reads ids from logs or the database."""

from domain.users import Role
from tests.api.dossier import create_key_account, organisation
from tests.conftest import _caller

USERS = """query($first: Int, $after: String, $filter: UserFilter) {
  users(first: $first, after: $after, filter: $filter) {
    totalCount edges { node { id name role partnerId } } pageInfo { hasNextPage endCursor } } }"""


async def _names(caller, **variables) -> list[str]:
    data = await caller.execute(USERS, variables)
    return [e["node"]["name"] for e in data["users"]["edges"]]


async def test_managers_list_users_by_name_and_filter_by_role_and_search(
    http, db, clock, admin, manager, other_manager, agent
) -> None:
    await _caller(http, db, Role.ACCOUNT_MANAGER, clock(), "Zoë Müller")
    assert await _names(manager) == ["admin-tester", "cx_agent-tester", "Wang Fang", "Zhao Lei", "Zoë Müller"]
    managers = await _names(manager, filter={"role": "ACCOUNT_MANAGER"})
    assert managers == ["Wang Fang", "Zhao Lei", "Zoë Müller"]
    assert await _names(admin, filter={"search": "mull"}) == ["Zoë Müller"]  # case and accents folded
    assert await _names(admin, filter={"search": "zh"}) == ["Zhao Lei"]
    assert await _names(admin, filter={"search": "zhao lei"}) == ["Zhao Lei"]
    assert await _names(admin, filter={"search": "zhao wang"}) == []


async def test_the_directory_pages_with_cursors(admin, manager, other_manager, agent) -> None:
    first = (await admin.execute(USERS, {"first": 2}))["users"]
    assert (len(first["edges"]), first["totalCount"], first["pageInfo"]["hasNextPage"]) == (2, 4, True)
    rest = (await admin.execute(USERS, {"first": 10, "after": first["pageInfo"]["endCursor"]}))["users"]
    names = [e["node"]["name"] for e in first["edges"] + rest["edges"]]
    assert names == ["admin-tester", "cx_agent-tester", "Wang Fang", "Zhao Lei"]


async def test_a_listed_manager_id_opens_a_key_account(agent, manager, other_manager) -> None:
    data = await manager.execute(USERS, {"filter": {"role": "ACCOUNT_MANAGER", "search": "zhao"}})
    [zhao] = [e["node"] for e in data["users"]["edges"]]
    assert zhao["id"] == other_manager.user_id
    account = await create_key_account(manager, await organisation(agent), managerId=zhao["id"])
    assert account["manager"] == {"id": zhao["id"], "name": "Zhao Lei"}


async def test_other_roles_may_not_list_users(agent, analyst, partner) -> None:
    for caller in (agent, analyst, partner):
        [error] = await caller.errors(USERS)
        assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_search_is_bounded(admin) -> None:
    [error] = await admin.errors(USERS, {"filter": {"search": " ".join(f"w{i}" for i in range(20))}})
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "filter.search")
