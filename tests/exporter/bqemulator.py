"""Run `bqemulator` (the PyPI BigQuery emulator) on a loopback port for a test.

It lives in its own virtualenv, `.venv-bqemulator/` (`make test` creates it: see the Makefile),
with HOME pointed at a folder holding the DuckDB spatial extension it loads at start-up.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tools.sdk_env import REPO_ROOT

VENV = REPO_ROOT / ".venv-bqemulator"
BINARY = VENV / "bin" / "bqemulator"
START_SECONDS = 60


def available() -> bool:
    return (VENV / ".installed").exists() and BINARY.exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def bqemulator(project: str, log: Path) -> Iterator[str]:
    """Yields the emulator's REST URL; stops the process at the end."""
    port = _free_port()
    env = {**os.environ, "HOME": str(VENV / "home")}
    command = [str(BINARY), "start", "--rest-port", str(port), "--grpc-port", "0"]
    command += ["--project", project, "--log-level", "warning"]
    with log.open("w") as stream:
        process = subprocess.Popen(command, env=env, stdout=stream, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                urllib.request.urlopen(f"{url}/bigquery/v2/projects/{project}/datasets", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"bqemulator did not start; see {log}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
