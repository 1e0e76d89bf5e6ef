"""`python main.py serve` stopping as a rolling update stops it: SIGTERM makes /readyz 503
while it still serves (the drain), then it stops accepting, lets the request in flight
finish and exits; a request that would keep it for ever is cut off after the timeout.

The request in flight is a client sending its body slowly: the service has started on it
and waits for the rest, which the test sends when it chooses. Nothing here sleeps to time
anything: each step polls the service (bounded) for the state the previous one caused.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_embedded_database import _serve_env, _wait_until_ready

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("RAPPORT_TEST_MONGODB_URI")), reason="runs serve on its embedded database"
)


def _until(condition: Callable[[], bool], what: str, within_s: float = 30) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)  # polling the service's state, not timing the test
    pytest.fail(f"never happened: {what}")


def _in_flight(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "rapport_http_requests_in_flight" and sample.labels == {"route": "graphql"}
    )


def _readiness(port: int) -> tuple[int, dict]:
    response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
    return response.status_code, response.json()


def _refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def _start(tmp_path: Path, **settings: str) -> tuple[subprocess.Popen, int, Path]:
    port, env = _serve_env(tmp_path, RAPPORT_ENV="development", RAPPORT_METRICS_ENABLED="true", **settings)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        service = subprocess.Popen(
            [sys.executable, "main.py", "serve"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return service, port, log


def _slow_request(port: int, token: str) -> tuple[socket.socket, bytes]:
    """A POST whose headers and first bytes are sent; the rest of its body is returned."""
    body = json.dumps({"query": "query Me { me { id name } }"}).encode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    client.sendall(head + body[:10])
    _until(lambda: _in_flight(port) == 1, "the service is serving the slow request")
    return client, body[10:]


def _answer_head(client: socket.socket) -> tuple[int, bytes]:
    received = b""
    while chunk := client.recv(65536):  # the service closes the connection after answering
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _answer(client: socket.socket) -> tuple[int, dict]:
    status, body = _answer_head(client)
    return status, json.loads(body)


def test_sigterm_drains_stops_accepting_finishes_the_request_in_flight_then_exits(tmp_path: Path) -> None:
    service, port, log = _start(tmp_path, RAPPORT_SHUTDOWN_DRAIN_S="600", RAPPORT_SHUTDOWN_TIMEOUT_S="120")
    try:
        _wait_until_ready(port)
        token = (tmp_path / "demo-admin-token").read_text().strip()
        client, rest = _slow_request(port, token)

        service.send_signal(signal.SIGTERM)
        _until(lambda: _readiness(port) == (503, {"status": "shutting down"}), "readiness says 503")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200  # still serving

        service.send_signal(signal.SIGTERM)  # a second signal ends the drain
        _until(lambda: _refuses_connections(port), "the service stops accepting connections")
        assert service.poll() is None  # it waits for the request in flight

        client.sendall(rest)
        status, body = _answer(client)
        assert status == 200 and body["data"]["me"]["name"] == "demo-admin", body
        assert service.wait(timeout=60) == -signal.SIGTERM  # ends by the signal, as uvicorn does
    finally:
        if service.poll() is None:
            service.kill()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    events = [line["event"] for line in lines]
    assert events.index("shutting down: readiness answers 503") < events.index("embedded database stopped")
    [me] = [line for line in lines if line["event"] == "request" and line.get("operation") == "Me"]
    assert me["status"] == 200 and me["role"] == "ADMIN"


def test_a_request_still_in_flight_after_the_timeout_is_cut_off(tmp_path: Path) -> None:
    service, port, log = _start(tmp_path, RAPPORT_SHUTDOWN_TIMEOUT_S="1")
    try:
        _wait_until_ready(port)
        token = (tmp_path / "demo-admin-token").read_text().strip()
        client, _ = _slow_request(port, token)
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=60) == -signal.SIGTERM
        status, _ = _answer_head(client)
        assert status == 500, status  # cut off: uvicorn answers 500 and closes
    finally:
        if service.poll() is None:
            service.kill()
    assert "timeout graceful shutdown exceeded" in log.read_text()
