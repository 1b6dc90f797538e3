"""gunicorn on 127.0.0.1, a free port, until the block ends (errors included).

Each server runs in its own process group, so stopping it also stops its
workers; nothing outlives the benchmark.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.database import WORK_DIR

ROOT = Path(__file__).resolve().parent.parent
APP = "wsgi:app"
FLOOR_BARE = "bench.floor:bare_app()"
FLOOR_DB = "bench.floor:db_app()"
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


def app_environment(
    database_url: str | None = None, secret_key: str | None = None
) -> dict[str, str]:
    """What the app needs to run as in production, with little logging."""
    env = {
        "CLINIC_ENV": "production",
        "SECRET_KEY": secret_key or secrets.token_urlsafe(48),
        "LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(spec: str, env: dict[str, str], workers: int, name: str) -> Iterator[str]:
    """Serve ``spec`` with gunicorn; yields the base URL once /readyz answers 200."""
    port = free_port()
    log_path = WORK_DIR / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if k not in ("GUNICORN_CMD_ARGS",)}
    full_env.update(env)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--graceful-timeout",
        "5",
        spec,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            command,
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with all its workers
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_ready(base_url, process, log_path)
            yield base_url
        finally:
            _stop(process)


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn was not ready within {READY_TIMEOUT:.0f} s; see {log_path}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the group (gunicorn stops its workers), SIGKILL for whatever is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break  # the group is gone
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            continue
