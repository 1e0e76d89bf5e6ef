"""Webhooks against a real HTTP receiver on localhost: signed deliveries retried with
backoff on the injected clock (no sleeping), the same event id on every attempt, FAILED
after the retry window, partners told only about their shared customers (masked), and
internal addresses refused in production."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson
import pytest
from prometheus_client import REGISTRY

from domain.users import Role
from server.app import create_app
from server.database import Database
from server.jobs import job_runner
from server.settings import Settings
from tests.api.dossier import create_key_account, organisation, payload
from tests.api.queries import CREATE_CUSTOMER, UPDATE_CUSTOMER
from tests.api.test_dossier_records import ADD_CONTACT, LINK, UNLINK
from tests.api.test_key_accounts import ASSIGN_MANAGER
from tests.conftest import PARTNER_ID, GraphQLClient, _caller

CREATE = """mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
  webhook { id url events partnerId active version } secret errors { code message field } } }"""
UPDATE = """mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) {
  webhook { id url events active version } errors { code message field } } }"""
DELETE = """mutation($input: DeleteWebhookInput!) { deleteWebhook(input: $input) {
  webhook { id } errors { code message field } } }"""
REDELIVER = """mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) {
  delivery { id status attemptCount } errors { code message field } } }"""
DELIVERIES = """query($id: ID!, $status: WebhookDeliveryStatus) {
  webhookDeliveries(webhookId: $id, filter: { status: $status }) { totalCount edges { node {
    id eventId eventType status attemptCount nextAttemptAt deliveredAt failedAt
    attempts { at statusCode error } webhook { id } } } } }"""
WEBHOOKS = "{ webhooks { totalCount edges { node { id url } } } }"


class Receiver:
    """A real HTTP server in a thread that answers the scripted status codes in turn
    (then 200) and keeps every request."""

    def __init__(self, statuses: list[int] | None = None, always: int | None = None) -> None:
        self.statuses = list(statuses or [])
        self.always = always
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.always or (receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/rapport"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def settings() -> Settings:
    return Settings(
        _env_file=None,
        env="development",
        webhook_retry_base_s=30,
        webhook_retry_max_s=600,
        webhook_retry_window_hours=1,
        webhook_concurrency=2,
    )


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (README): HMAC-SHA256 over "<timestamp>." + body."""
    expected = hmac.new(secret.encode(), f"{headers['rapport-timestamp']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(headers["rapport-signature"], "v1=" + expected.hexdigest())


async def _register(admin, url: str, events: list[str], partner_id: str | None = None) -> tuple[str, str]:
    made = await payload(admin, CREATE, {"url": url, "events": events, "partnerId": partner_id})
    assert made["errors"] == [], made["errors"]
    return made["webhook"]["id"], made["secret"]


async def _customer(agent, **fields) -> str:
    data = await agent.execute(CREATE_CUSTOMER, {"input": {"name": "Lin Xiaoyu", **fields}})
    return data["createCustomer"]["customer"]["id"]


def _attempts(outcome: str) -> float:
    return REGISTRY.get_sample_value("rapport_webhook_deliveries_total", {"outcome": outcome}) or 0.0


async def test_a_delivery_is_retried_until_the_receiver_takes_it(admin, agent, db, clock, settings) -> None:
    runner = job_runner(db, clock, settings)
    counted = {outcome: _attempts(outcome) for outcome in ("retried", "delivered")}
    with Receiver(statuses=[500, 503]) as receiver:
        hook, secret = await _register(admin, receiver.url, ["CUSTOMER_CREATED"])
        assert secret.startswith("whsec_")
        customer = await _customer(agent, email="lin@example.com")
        first = await runner.run("webhook-deliveries")
        assert first.result.changed == 2  # one delivery made, one attempt
        [pending] = (await admin.execute(DELIVERIES, {"id": hook}))["webhookDeliveries"]["edges"]
        node = pending["node"]
        assert (node["status"], node["attemptCount"], node["attempts"][0]["statusCode"]) == (
            "PENDING",
            1,
            500,
        )
        retry_at = node["nextAttemptAt"]
        assert retry_at > clock().isoformat()  # backoff: not due at once
        assert (await runner.run("webhook-deliveries")).result.changed == 0  # not due yet
        for _ in range(2):
            clock.advance(timedelta(seconds=600))  # past the longest wait
            await runner.run("webhook-deliveries")

    assert len(receiver.requests) == 3
    # /metrics counts the attempts by outcome.
    assert {o: _attempts(o) - n for o, n in counted.items()} == {"retried": 2, "delivered": 1}
    ids = {headers["rapport-event-id"] for headers, _ in receiver.requests}
    assert len(ids) == 1  # the receiver can de-duplicate
    assert all(verified(secret, headers, body) for headers, body in receiver.requests)
    headers, body = receiver.requests[-1]
    event = orjson.loads(body)
    assert (event["id"], event["type"]) == (ids.pop(), "CUSTOMER_CREATED")
    assert event["data"]["customer"]["id"] == customer
    assert event["data"]["customer"]["email"] == "lin@example.com"  # an internal endpoint reads as ADMIN
    assert not verified("whsec_another", headers, body)
    [done] = (await admin.execute(DELIVERIES, {"id": hook, "status": "DELIVERED"}))["webhookDeliveries"][
        "edges"
    ]
    assert [a["statusCode"] for a in done["node"]["attempts"]] == [500, 503, 200]
    assert done["node"]["deliveredAt"] is not None


async def test_a_failing_endpoint_ends_failed_after_the_window(admin, agent, db, clock, settings) -> None:
    runner = job_runner(db, clock, settings)
    with Receiver(always=500) as receiver:
        hook, _ = await _register(admin, receiver.url, ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"])
        await _customer(agent)
        for _ in range(12):  # an hour's window, waits of at most 10 minutes
            await runner.run("webhook-deliveries")
            clock.advance(timedelta(seconds=600))
        attempts = len(receiver.requests)
    [failed] = (await admin.execute(DELIVERIES, {"id": hook, "status": "FAILED"}))["webhookDeliveries"][
        "edges"
    ]
    assert failed["node"]["attemptCount"] == attempts >= 4
    assert failed["node"]["failedAt"] is not None and failed["node"]["nextAttemptAt"] is None
    assert (await admin.execute(DELIVERIES, {"id": hook, "status": "PENDING"}))["webhookDeliveries"][
        "totalCount"
    ] == 0

    with Receiver() as receiver:  # the endpoint is fixed: send it again, same event id
        await payload(admin, UPDATE, {"id": hook, "expectedVersion": 1, "url": receiver.url})
        again = await payload(admin, REDELIVER, {"deliveryId": failed["node"]["id"]})
        assert again["delivery"]["status"] == "PENDING"
        twice = await payload(admin, REDELIVER, {"deliveryId": failed["node"]["id"]})
        assert twice["errors"][0]["code"] == "INVALID_TRANSITION"
        await runner.run("webhook-deliveries")
    [(headers, _)] = receiver.requests
    assert headers["rapport-event-id"] == failed["node"]["eventId"]


async def test_a_partner_webhook_hears_only_of_shared_customers_masked(
    admin, agent, db, clock, settings
) -> None:
    runner = job_runner(db, clock, settings)
    with Receiver() as receiver:
        await _register(admin, receiver.url, ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"], PARTNER_ID)
        shared = await _customer(agent, email="lin@example.com", sharedWith=[PARTNER_ID])
        await _customer(agent, email="other@example.com")  # not shared: never sent
        updated = await payload(
            agent, UPDATE_CUSTOMER, {"id": shared, "expectedVersion": 1, "name": "Lin Yu"}
        )
        assert updated["errors"] == []
        await runner.run("webhook-deliveries")
    bodies = [orjson.loads(body) for _, body in receiver.requests]
    assert sorted(b["type"] for b in bodies) == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"]
    for body in bodies:
        customer = body["data"]["customer"]
        assert customer["id"] == shared
        assert (customer["name"], customer["email"], customer["phone"]) == ("Lin Y.", None, None)


async def test_webhooks_are_for_admins_and_urls_are_checked(admin, agent, partner) -> None:
    [refused] = await agent.errors(
        CREATE, {"input": {"url": "https://example.com/h", "events": ["CUSTOMER_CREATED"]}}
    )
    assert refused["extensions"]["code"] == "FORBIDDEN"
    bad = await payload(admin, CREATE, {"url": "ftp://example.com/h", "events": []})
    assert {(e["field"], e["code"]) for e in bad["errors"]} == {
        ("url", "VALIDATION"),
        ("events", "VALIDATION"),
    }
    creds = await payload(
        admin, CREATE, {"url": "https://user:pw@example.com/h", "events": ["COMPLAINT_FILED"]}
    )
    assert creds["errors"][0]["field"] == "url"
    hook, _ = await _register(admin, "http://127.0.0.1:9/local-is-fine-in-development", ["COMPLAINT_FILED"])
    listed = (await admin.execute(WEBHOOKS))["webhooks"]
    assert listed["totalCount"] == 1
    assert (await partner.execute("query($id: ID!) { node(id: $id) { id } }", {"id": hook}))["node"] is None
    stale = await payload(admin, UPDATE, {"id": hook, "expectedVersion": 7, "active": False})
    assert stale["errors"][0]["code"] == "VERSION_CONFLICT"
    removed = await payload(admin, DELETE, {"id": hook})
    assert removed["webhook"]["id"] == hook
    assert (await admin.execute(WEBHOOKS))["webhooks"]["totalCount"] == 0


@pytest.fixture
async def production_admin(db, mongo_client, clock) -> Iterator[GraphQLClient]:
    settings = Settings(
        _env_file=None, env="production", webhook_allowed_networks=["10.20.0.0/16"], cursor_secret="s" * 32
    )
    app = create_app(settings, database=Database(client=mongo_client, db=db), clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://rapport.test"
    ) as http:
        yield await _caller(http, db, Role.ADMIN, clock())


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/hook",
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://192.168.1.10/hook",
    ],
)
async def test_production_refuses_internal_addresses(production_admin, url) -> None:
    result = await payload(production_admin, CREATE, {"url": url, "events": ["CUSTOMER_CREATED"]})
    assert result["webhook"] is None
    [error] = result["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "url")
    assert "internal address" in error["message"]


async def test_production_allows_listed_networks_and_public_addresses(production_admin) -> None:
    for url in ("http://10.20.3.4/hook", "https://93.184.215.14/hook"):
        result = await payload(production_admin, CREATE, {"url": url, "events": ["CUSTOMER_CREATED"]})
        assert result["errors"] == [], (url, result["errors"])


async def test_dossier_events_carry_the_account_and_what_changed(
    admin, agent, manager, other_manager, db, clock, settings
) -> None:
    runner = job_runner(db, clock, settings)
    account = (await create_key_account(manager, await organisation(agent)))["id"]
    buyer = (await payload(manager, ADD_CONTACT, {"keyAccountId": account, "name": "Wang Li"}))["contact"][
        "id"
    ]
    boss = (await payload(manager, ADD_CONTACT, {"keyAccountId": account, "name": "Chen Jie"}))["contact"][
        "id"
    ]
    with Receiver() as receiver:
        await _register(admin, receiver.url, ["CONTACTS_LINKED", "CONTACTS_UNLINKED", "MANAGER_ASSIGNED"])
        linked = await payload(
            manager, LINK, {"fromContactId": buyer, "toContactId": boss, "relationship": "REPORTS_TO"}
        )
        link = linked["contact"]["relationships"][0]["link"]["id"]
        await runner.run("webhook-deliveries")
        await payload(manager, UNLINK, {"relationshipId": link})
        handed_over = {"keyAccountId": account, "expectedVersion": 1, "managerId": other_manager.user_id}
        assert (await payload(manager, ASSIGN_MANAGER, handed_over))["errors"] == []
        await runner.run("webhook-deliveries")
    assert len(receiver.requests) == 3
    bodies = {(b := orjson.loads(body))["type"]: b for _, body in receiver.requests}  # sent two at a time
    linked_body, unlinked_body, assigned_body = (
        bodies[t] for t in ("CONTACTS_LINKED", "CONTACTS_UNLINKED", "MANAGER_ASSIGNED")
    )
    assert linked_body["data"]["record"] == {
        "__typename": "ContactRelationship",
        "id": link,
        "relationship": "REPORTS_TO",
        "from": {"id": buyer},
        "to": {"id": boss},
    }
    assert linked_body["data"]["keyAccount"]["id"] == account
    assert unlinked_body["data"]["record"] is None  # it is gone
    assert assigned_body["data"]["keyAccount"]["manager"] == {"id": other_manager.user_id}
