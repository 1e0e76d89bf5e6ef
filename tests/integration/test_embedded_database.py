"""The embedded server as an operator meets it: durable, shared, never orphaned."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from domain.users import Role
from migrations import migrate
from server.app import create_app
from server.clock import FixedClock
from server.database import Database, connect
from server.embedded_db import EmbeddedDatabase
from server.settings import Settings
from tests.api.queries import CREATE_CUSTOMER, CUSTOMER
from tests.conftest import T0, GraphQLClient, _caller

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("RAPPORT_TEST_MONGODB_URI")), reason="tests the embedded server itself"
)


async def _serve(uri: str):
    client, db = connect(uri, "rapport")
    clock = FixedClock(T0)
    await migrate(db, clock())
    app = create_app(Settings(_env_file=None), database=Database(client=client, db=db), clock=clock)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    return client, db, clock, http


def _wait_for_exit(pid: int, within_s: float) -> bool:
    """Poll (bounded) until the process is gone: waiting on another process, not on time."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


async def test_customers_survive_a_restart_of_the_embedded_server(tmp_path: Path) -> None:
    server = EmbeddedDatabase.start(tmp_path / "db")
    try:
        client, db, clock, http = await _serve(server.uri)
        agent = await _caller(http, db, Role.CX_AGENT, clock())
        created = await agent.execute(CREATE_CUSTOMER, {"input": {"name": "Mei Chen", "tags": ["vip"]}})
        customer_id = created["createCustomer"]["customer"]["id"]
        token = agent.token
        await http.aclose()
        await client.close()
    finally:
        server.stop()

    restarted = EmbeddedDatabase.start(tmp_path / "db")
    try:
        client, db, clock, http = await _serve(restarted.uri)
        stored = (await GraphQLClient(http, token).execute(CUSTOMER, {"id": customer_id}))["customer"]
        assert (stored["name"], stored["tags"], stored["version"]) == ("Mei Chen", ["vip"], 1)
        await http.aclose()
        await client.close()
    finally:
        restarted.stop()


def test_a_second_process_reuses_the_running_server(tmp_path: Path) -> None:
    server = EmbeddedDatabase.start(tmp_path / "db")
    try:
        shared = EmbeddedDatabase.reuse_or_start(tmp_path / "db")
        assert shared.uri == server.uri
        assert not shared.owned
        shared.stop()  # stopping a shared handle leaves the owner's server running
        assert EmbeddedDatabase.running_in((tmp_path / "db").resolve()) is not None
    finally:
        server.stop()
    assert EmbeddedDatabase.running_in((tmp_path / "db").resolve()) is None


LAUNCHER = """
import sys
from pathlib import Path
from server.embedded_db import EmbeddedDatabase
db = EmbeddedDatabase.start(Path(sys.argv[1]))
print("PID", db.process.pid, flush=True)
sys.stdin.read()  # wait to be killed
"""


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux-only")
def test_the_server_dies_with_a_killed_service(tmp_path: Path) -> None:
    service = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(tmp_path / "db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
        text=True,
    )
    line = ""
    while not line.startswith("PID "):
        line = service.stdout.readline()
        assert line, "the launcher exited before starting the server"
    child_pid = int(line.split()[1])
    assert not _wait_for_exit(child_pid, 0.1)  # it is running
    service.send_signal(signal.SIGKILL)  # a crash: no cleanup code runs
    service.wait()
    assert _wait_for_exit(child_pid, 20), "embedded database outlived the killed service"


def test_a_database_that_ignores_sigterm_is_killed_after_the_stop_timeout(tmp_path: Path) -> None:
    server = EmbeddedDatabase.start(tmp_path / "db", stop_timeout_s=1.0)
    assert server.process is not None
    pid = server.process.pid
    os.kill(pid, signal.SIGSTOP)  # frozen: SIGTERM stays pending, as if ignored
    started = time.monotonic()
    server.stop()
    assert _wait_for_exit(pid, 5), "a frozen embedded database outlived stop()"
    assert time.monotonic() - started < 5  # killed after the timeout, not waited on for ever


def _serve_env(tmp_path: Path, **extra: str) -> tuple[int, dict[str, str]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "RAPPORT_PORT": str(port),
        "RAPPORT_DATA_DIR": str(tmp_path / "db"),
        "RAPPORT_ENV": "production",
        **extra,
    }
    env.pop("RAPPORT_MONGODB_URI", None)
    return port, env


def test_serve_stops_a_frozen_database_on_sigterm(tmp_path: Path) -> None:
    port, env = _serve_env(tmp_path, RAPPORT_EMBEDDED_STOP_TIMEOUT_S="2")
    service = subprocess.Popen(
        [sys.executable, "main.py", "serve"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_ready(port)
        pid = int(json.loads((tmp_path / "db" / "rapport-embedded.json").read_text())["pid"])
        os.kill(pid, signal.SIGSTOP)
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) is not None
        assert _wait_for_exit(pid, 5), "a frozen embedded database outlived serve"
    finally:
        if service.poll() is None:
            service.kill()


def _wait_until_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling a child's readiness, not timing a test
    pytest.fail("serve never became ready")


def test_serve_stops_its_database_on_sigterm(tmp_path: Path) -> None:
    """`python main.py serve` as an operator runs it: ready, then SIGTERM stops both."""
    port, env = _serve_env(tmp_path)
    service = subprocess.Popen(
        [sys.executable, "main.py", "serve"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_ready(port)
        database = EmbeddedDatabase.running_in((tmp_path / "db").resolve())
        assert database is not None
        pid = int(json.loads((tmp_path / "db" / "rapport-embedded.json").read_text())["pid"])
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) is not None
        assert _wait_for_exit(pid, 5), "the embedded database outlived serve"
        logs = service.stdout.read()
        assert '"event": "embedded database stopped"' in logs  # production logs are JSON lines
    finally:
        if service.poll() is None:
            service.kill()


def _embedded_pid(tmp_path: Path) -> int:
    return int(json.loads((tmp_path / "db" / "rapport-embedded.json").read_text())["pid"])


def test_serve_restarts_a_dead_database_then_gives_up_non_zero(tmp_path: Path) -> None:
    port, env = _serve_env(
        tmp_path,
        RAPPORT_EMBEDDED_RESTARTS="2",
        RAPPORT_EMBEDDED_RESTART_BACKOFF_S="1",
        RAPPORT_MONGODB_TIMEOUT_MS="1000",
    )
    log_path = tmp_path / "serve.log"
    log_file = log_path.open("w")
    service = subprocess.Popen(
        [sys.executable, "main.py", "serve"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_ready(port)
        first = _embedded_pid(tmp_path)
        db_port = int(
            json.loads((tmp_path / "db" / "rapport-embedded.json").read_text())["uri"]
            .split(":")[2][:5]
            .rstrip("/")
        )
        os.kill(first, signal.SIGKILL)  # the database crashes
        assert _wait_for_exit(first, 5)
        deadline = time.monotonic() + 30
        while _embedded_pid(tmp_path) == first and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the supervisor's restart, not timing a test
        second = _embedded_pid(tmp_path)
        assert second != first  # restarted on the same port and data (whether the embedded
        # server can serve reads again after a crash is its own recovery: see the README)
        os.kill(second, signal.SIGKILL)  # crashes again, and its port is taken: no restart can work
        assert _wait_for_exit(second, 5)
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", db_port))
            squatter.listen()
            assert service.wait(timeout=60) != 0  # gave up: non-zero, for a process manager
        logs = log_path.read_text()
        assert '"event": "embedded database restarted"' in logs
        assert '"event": "embedded database could not be restarted; stopping the service"' in logs
    finally:
        if service.poll() is None:
            service.kill()
        log_file.close()
