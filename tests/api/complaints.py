"""GraphQL documents and helpers for the complaint tests."""

FILE_COMPLAINT = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
  complaint { id status summary description channel kind category severity receivedAt version
    department { name } owner { name }
    sla { policy firstResponse { dueAt metAt breached remaining remainingSeconds running }
          resolution { dueAt metAt breached remaining remainingSeconds running }
          followUp { dueAt metAt breached } }
    history { action from to actor { name role } note } }
  errors { code message field } } }"""


async def file_complaint(caller, customer_id: str, **fields) -> dict:
    input_ = {
        "customerId": customer_id,
        "channel": "PHONE",
        "kind": "COMPLAINT",
        "category": "LOGISTICS",
        "severity": "MEDIUM",
        "summary": "late delivery",
        **fields,
    }
    result = (await caller.execute(FILE_COMPLAINT, {"input": input_}))["fileComplaint"]
    assert result["errors"] == [], result["errors"]
    return result["complaint"]
