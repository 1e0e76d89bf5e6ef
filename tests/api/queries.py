"""GraphQL documents the API tests send, as a client would."""

CUSTOMER_FIELDS = """
  id kind name email phone birthday tags source lifecycleStage allowedActions version
  createdAt updatedAt
  lifecycleHistory { action from to at reason actor { id name role } }
"""


def _customer_mutation(field: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {field}(input: $input) {{
    customer {{ {CUSTOMER_FIELDS} }}
    errors {{ code message field }}
  }}
}}"""


CREATE_CUSTOMER = _customer_mutation("createCustomer", "CreateCustomerInput")
UPDATE_CUSTOMER = _customer_mutation("updateCustomer", "UpdateCustomerInput")

CUSTOMER = f"""
query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS}
  stageTimings {{ stage enteredAt exitedAt totalTime totalSeconds visits current }} }} }}"""

CUSTOMERS = """
query($first: Int, $after: String, $filter: CustomerFilter, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id name lifecycleStage tags } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

CUSTOMERS_WITHOUT_COUNT = """
query($first: Int, $after: String) {
  customers(first: $first, after: $after) {
    edges { cursor node { id name } }
    pageInfo { hasNextPage endCursor }
  }
}"""

VERBS = {
    "ACQUIRE": "acquireCustomer",
    "ACTIVATE": "activateCustomer",
    "RETAIN": "retainCustomer",
    "FLAG_AT_RISK": "flagCustomerAtRisk",
    "LAPSE": "lapseCustomer",
    "WIN_BACK": "winBackCustomer",
}


def transition(action: str) -> str:
    return f"""
mutation($input: LifecycleTransitionInput!) {{
  {VERBS[action]}(input: $input) {{
    customer {{ id lifecycleStage version allowedActions
      lifecycleHistory {{ action from to at reason actor {{ name role }} }} }}
    errors {{ code message field }}
  }}
}}"""
