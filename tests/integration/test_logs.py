"""Logs never hold tokens or request headers, and carry colour only on a terminal."""

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAILING_REQUEST = """
import sys
import structlog
from server.logging import configure_logging

configure_logging("INFO", json=sys.argv[1] == "json")

def handle(headers):
    authorization = headers["authorization"]
    token = authorization.split()[1]
    raise RuntimeError("the database refused")

try:
    handle({"authorization": "Bearer rap_SECRET_TOKEN_VALUE"})
except RuntimeError as exc:
    structlog.get_logger("rapport.graphql").error("unexpected error", request_id="r-1", exc_info=exc)
"""


def _run(mode: str, env: dict[str, str], stderr: int) -> None:
    subprocess.run(
        [sys.executable, "-c", FAILING_REQUEST, mode],
        cwd=ROOT,
        env=env,
        stderr=stderr,
        check=True,
        timeout=60,
    )


@pytest.mark.parametrize("mode", ["console", "json"])
def test_a_logged_failure_holds_no_token_no_headers_and_no_colour_off_a_terminal(mode, tmp_path) -> None:
    out = tmp_path / "log"
    with out.open("wb") as file:
        _run(mode, {**os.environ}, file.fileno())
    text = out.read_text()
    assert "unexpected error" in text and "RuntimeError: the database refused" in text
    assert "rap_SECRET_TOKEN_VALUE" not in text and "authorization" not in text.lower()
    assert "\x1b[" not in text


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminal")
def test_colour_on_a_terminal_unless_no_color_is_set() -> None:
    def rendered(env: dict[str, str]) -> bytes:
        controller, terminal = pty.openpty()
        try:
            _run("console", env, terminal)
        finally:
            os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(controller)
        return b"".join(chunks)

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert b"\x1b[" in rendered(env)
    plain = rendered({**env, "NO_COLOR": "1"})
    assert b"unexpected error" in plain and b"\x1b[" not in plain
