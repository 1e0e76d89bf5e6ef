"""The embedded database: SecantusDB started as a child process.

SecantusDB is GPL-2.0, so the service never imports it; it runs `secantusd-py` as a
separate program and talks to it over the MongoDB wire protocol like any client.

The server holds an exclusive lock on its files, so a second process (a CLI command
while `serve` runs) must reuse the running one: the owner writes the URI to a file in
the data directory, and others connect to it while its process answers.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import structlog
from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = structlog.get_logger(__name__)

URI_FILE_NAME = "rapport-embedded.json"
_PR_SET_PDEATHSIG = 1
DEFAULT_STOP_TIMEOUT_S = 10.0


class EmbeddedDatabaseError(RuntimeError):
    pass


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM when the service dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    # Own process group: a Ctrl-C in the terminal reaches the service, which stops the
    # database in order, instead of killing both at once.
    os.setpgrp()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _server_program() -> str:
    """`secantusd-py` from the same environment as this interpreter, else from PATH."""
    beside = Path(sys.executable).with_name("secantusd-py")
    if beside.exists():
        return str(beside)
    found = shutil.which("secantusd-py")
    if not found:
        raise EmbeddedDatabaseError("secantusd-py not found: install the SecantusDB package")
    return found


def _answers_hello(uri: str, timeout_s: float) -> bool:
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=int(timeout_s * 1000))
    try:
        client.admin.command("hello")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class EmbeddedDatabase:
    """A running embedded server: owned (we started it) or shared (another process did)."""

    uri: str
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None
    stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S
    stopping: bool = False  # set by stop(): the server's exit is then expected
    _log_file: object | None = field(default=None, repr=False)

    @property
    def owned(self) -> bool:
        return self.process is not None

    @classmethod
    def running_in(cls, data_dir: Path) -> EmbeddedDatabase | None:
        """The server another process started on this data directory, if it still answers."""
        uri_file = data_dir / URI_FILE_NAME
        try:
            info = json.loads(uri_file.read_text())
        except (OSError, ValueError):
            return None
        if not _pid_alive(int(info.get("pid", 0))) or not _answers_hello(info["uri"], 2.0):
            return None
        return cls(uri=info["uri"], data_dir=data_dir)

    @classmethod
    def start(
        cls,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        timeout_s: float = 30.0,
        stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S,
        port: int | None = None,
    ) -> EmbeddedDatabase:
        """Start a server on `port` (a free one if None) and wait until it answers."""
        data_dir = data_dir.resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        port = port or _free_port(host)
        uri = f"mongodb://{host}:{port}/?directConnection=true"
        log_file = open(data_dir.parent / "secantusd.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(
            [
                _server_program(),
                "--host",
                host,
                "--port",
                str(port),
                "--storage-path",
                str(data_dir),
                "--log-level",
                "WARNING",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else os.setpgrp,
        )
        db = cls(
            uri=uri, data_dir=data_dir, process=process, stop_timeout_s=stop_timeout_s, _log_file=log_file
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                db.stop()
                raise EmbeddedDatabaseError(
                    f"secantusd-py exited with {process.returncode}; see "
                    f"{data_dir.parent / 'secantusd.log'} (is another server using {data_dir}?)"
                )
            if _answers_hello(uri, 0.5):
                (data_dir / URI_FILE_NAME).write_text(json.dumps({"uri": uri, "pid": process.pid}))
                log.info("embedded database started", uri=uri, data_dir=str(data_dir))
                return db
            time.sleep(0.1)  # polling a child's readiness, not timing a test
        db.stop()
        raise EmbeddedDatabaseError(f"secantusd-py did not answer within {timeout_s} s")

    @classmethod
    def reuse_or_start(
        cls, data_dir: Path, *, timeout_s: float = 30.0, stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S
    ) -> EmbeddedDatabase:
        return cls.running_in(data_dir.resolve()) or cls.start(
            data_dir, timeout_s=timeout_s, stop_timeout_s=stop_timeout_s
        )

    def restart(self, timeout_s: float = 30.0) -> None:
        """Start our server again after it died: same port, so clients reconnect by
        themselves to the same URI; same data directory, so nothing is lost."""
        where = urlsplit(self.uri)
        fresh = EmbeddedDatabase.start(
            self.data_dir,
            host=where.hostname or "127.0.0.1",
            port=where.port,
            timeout_s=timeout_s,
            stop_timeout_s=self.stop_timeout_s,
        )
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
        self.process, self._log_file = fresh.process, fresh._log_file

    def stop(self) -> None:
        """Stop the server if we own it: SIGTERM, wait up to stop_timeout_s, then SIGKILL
        (a server that ignores SIGTERM, or is frozen, cannot outlive the service)."""
        self.stopping = True
        if self.process is None:
            return
        process, self.process = self.process, None
        with contextlib.suppress(FileNotFoundError):
            info = json.loads((self.data_dir / URI_FILE_NAME).read_text())
            if info.get("pid") == process.pid:
                (self.data_dir / URI_FILE_NAME).unlink()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("embedded database ignored SIGTERM; killing it", timeout_s=self.stop_timeout_s)
                # The whole group: the server's own children go too.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.kill()
                process.wait()
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
        log.info("embedded database stopped", data_dir=str(self.data_dir))
