"""GraphQL documents and helpers for the dossier tests."""

from tests.api.queries import CREATE_CUSTOMER

KEY_ACCOUNT_FIELDS = """
  id grade category industry version nextVisitDueAt visitOverdue lastVisitAt
  manager { id name } team { id name } customer { id name }
  companyProfile { legalRepresentative size mainProducts annualRevenue { amount currency } }
  contacts(first: 10) { totalCount edges { node { id name } } }
  complaints(first: 5) { totalCount edges { node { id } } }
"""

CREATE_KEY_ACCOUNT = f"""mutation($input: CreateKeyAccountInput!) {{ createKeyAccount(input: $input) {{
  keyAccount {{ {KEY_ACCOUNT_FIELDS} }} errors {{ code message field }} }} }}"""

DOSSIER = """query($id: ID!) { keyAccount(id: $id) {
  id grade category industry version nextVisitDueAt visitOverdue lastVisitAt
  manager { id name } team { name }
  companyProfile { legalRepresentative size mainProducts annualRevenue { amount currency } }
  contacts(first: 20) { totalCount edges { node { id name title decisionRole hobbies family
    relationships { link { id } relationship direction note contact { id name } } } } }
  visits(first: 5) { totalCount edges { node { id visitedAt purpose nextVisitAt
    visitors { name } contacts { name } findings { needs satisfaction issues }
    followUps { id action dueAt done doneAt overdue owner { name } } } } }
  contracts { id content startsOn endsOn fees { amount currency } confidentiality daysToExpiry }
  complaints(first: 5) { totalCount edges { node { id summary } } }
  purchases(first: 5) { totalCount edges { node { id units amount { amount currency } } } }
} }"""

KEY_ACCOUNTS = """query($first: Int, $after: String, $filter: KeyAccountFilter) {
  keyAccounts(first: $first, after: $after, filter: $filter) {
    totalCount edges { node { id grade nextVisitDueAt visitOverdue } } pageInfo { hasNextPage endCursor } } }"""


async def payload(caller, mutation: str, input_: dict) -> dict:
    data = await caller.execute(mutation, {"input": input_})
    return next(iter(data.values()))


async def organisation(caller, name: str = "Lotus Hotels Ltd") -> str:
    data = await caller.execute(CREATE_CUSTOMER, {"input": {"name": name, "kind": "ORGANIZATION"}})
    return data["createCustomer"]["customer"]["id"]


async def create_key_account(caller, customer_id: str, grade: str = "B", **extra) -> dict:
    input_ = {
        "customerId": customer_id,
        "grade": grade,
        "category": "ECONOMIC",
        "managerId": caller.user_id,
        **extra,
    }
    result = await payload(caller, CREATE_KEY_ACCOUNT, input_)
    assert result["errors"] == [], result["errors"]
    return result["keyAccount"]
