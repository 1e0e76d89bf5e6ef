"""/metrics as Prometheus scrapes it: off unless enabled, guarded by its token when one is
set, and counting what happened (the registry lives as long as the process, so each test
compares a scrape after its requests with one before)."""

from collections import defaultdict

from prometheus_client.parser import text_string_to_metric_families

from domain.jobs import JobResult
from domain.users import Role
from server.jobs import job_runner
from server.metrics import OperationNames
from server.settings import Settings
from tests.api.serving import serving
from tests.conftest import GraphQLClient, _caller

METRICS_TOKEN = "scrape-me-please-0123456789"


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    samples: dict[tuple[str, frozenset], float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] += sample.value
    return samples


async def _scrape(http, token: str | None = METRICS_TOKEN) -> dict[tuple[str, frozenset], float]:
    response = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return _samples(response.text)


def _key(name: str, **labels: str) -> tuple[str, frozenset]:
    return (name, frozenset(labels.items()))


async def test_metrics_are_not_served_unless_enabled(http) -> None:
    assert (await http.get("/metrics")).status_code == 404


async def test_a_scrape_counts_requests_by_operation_and_outcome_errors_latency_and_the_database(
    db, mongo_client, clock, settings
) -> None:
    enabled = settings.model_copy(update={"metrics_enabled": True, "metrics_token": None})
    async with serving(enabled, db, mongo_client, clock) as http:
        admin = await _caller(http, db, Role.ADMIN, clock(), "Ops Admin")
        analyst = await _caller(http, db, Role.ANALYST, clock(), "Ops Analyst")
        before = await _scrape(http, None)
        await admin.execute("query Me { me { id } }")
        await admin.execute("query Me { me { id name } }")
        await admin.execute("{ me { id } }")
        await admin.post("query Broken { me { nope } }")
        await GraphQLClient(http, None).post("query Me { me { id } }")
        forbidden = await analyst.post("query Tokens { tokens(first: 1) { totalCount } }")
        assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        after = await _scrape(http, None)

    def grew(key: tuple[str, frozenset]) -> float:
        return after[key] - before[key]

    requests = "rapport_graphql_requests_total"
    assert grew(_key(requests, operation="Me", type="query", outcome="ok")) == 2
    assert grew(_key(requests, operation="anonymous", type="query", outcome="ok")) == 1
    assert grew(_key(requests, operation="Broken", type="query", outcome="refused")) == 1
    assert grew(_key(requests, operation="none", type="none", outcome="unauthenticated")) == 1
    assert grew(_key(requests, operation="Tokens", type="query", outcome="partial")) == 1
    assert grew(_key("rapport_graphql_errors_total", code="BAD_USER_INPUT")) == 1
    assert grew(_key("rapport_graphql_errors_total", code="FORBIDDEN")) == 1
    assert grew(_key("rapport_http_requests_total", route="graphql", status="401")) == 1
    assert grew(_key("rapport_http_requests_total", route="metrics", status="200")) == 1  # the first scrape
    latency = "rapport_graphql_request_duration_seconds"
    assert grew(_key(f"{latency}_count", operation="Me", type="query")) == 2
    assert grew(_key(f"{latency}_bucket", operation="Me", type="query", le="+Inf")) == 2
    assert grew(_key(f"{latency}_sum", operation="Me", type="query")) > 0
    # Each token check is one aggregate; Me reads nothing else.
    assert grew(_key("rapport_db_commands_total", command="aggregate", outcome="ok")) >= 5
    assert grew(_key("rapport_db_command_duration_seconds_count", command="aggregate")) >= 5
    pool = [key for key in after if key[0] == "rapport_db_pool_connections"]
    assert pool and sum(after[key] for key in pool) >= 1
    assert any(key[0] == "rapport_db_pool_max_size" and after[key] == 100 for key in after)
    assert any(key[0] == "rapport_db_pool_connections_in_use" for key in after)
    assert any(key[0] == "process_cpu_seconds_total" for key in after)
    # The hooks other work records into are there from the start.
    names = {name for name, _ in after}
    assert "rapport_webhook_delivery_duration_seconds_count" in names


async def test_a_metrics_token_keeps_other_scrapers_out(db, mongo_client, clock) -> None:
    guarded = Settings(_env_file=None, metrics_enabled=True, metrics_token=METRICS_TOKEN)
    async with serving(guarded, db, mongo_client, clock) as http:
        assert (await http.get("/metrics")).status_code == 401
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN[:-1] + "x"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        assert METRICS_TOKEN not in wrong.text
        assert await _scrape(http)


async def test_job_runs_and_failures_are_counted(db, mongo_client, clock, settings) -> None:
    async def tidy(ctx) -> JobResult:
        return JobResult(examined=3, changed=1, summary="tidied")

    async def broken(ctx) -> JobResult:
        raise RuntimeError("the job broke")

    enabled = settings.model_copy(update={"metrics_enabled": True})
    runner = job_runner(db, clock, enabled, {"metrics-tidy": tidy, "metrics-broken": broken})
    async with serving(enabled, db, mongo_client, clock) as scraper:
        before = await _scrape(scraper, None)
        await runner.run("metrics-tidy")
        await runner.run("metrics-tidy")
        await runner.run("metrics-broken")
        after = await _scrape(scraper, None)
    runs = "rapport_job_runs_total"
    assert (
        after[_key(runs, job="metrics-tidy", status="SUCCEEDED")]
        - before[_key(runs, job="metrics-tidy", status="SUCCEEDED")]
        == 2
    )
    assert (
        after[_key(runs, job="metrics-broken", status="FAILED")]
        == before[_key(runs, job="metrics-broken", status="FAILED")] + 1
    )
    assert after[_key("rapport_job_run_duration_seconds_count", job="metrics-tidy")] >= 2


def test_operation_labels_are_bounded() -> None:
    names = OperationNames(limit=2)
    assert [names.label(n, "query") for n in ["A", "B", "C", "A", None]] == [
        "A",
        "B",
        "other",
        "A",
        "anonymous",
    ]
    assert names.label("Anything", None) == "none"  # nothing parsed: no operation
    assert names.label("not a name!", "query") == "other"
