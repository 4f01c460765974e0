"""Tests for the loopback simulator base, over a real socket with ``requests``."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.simulators.base import LoopbackApi, Request

REPO_ROOT = Path(__file__).resolve().parents[2]


class EchoApi(LoopbackApi):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.route("GET", "/items", self._items)
        self.route("GET", "/items/{item_id}", self._item)
        self.route("POST", "/echo", lambda request: (201, request.json(), {"X-Echo": "yes"}))
        self.route("GET", "/raw", lambda request: (200, b"plain", {"Content-Type": "text/plain"}))

    def _items(self, request: Request):
        return 200, {"items": list(range(50)), "query": request.query}, None

    def _item(self, request: Request):
        return 200, {"id": request.path_params["item_id"]}, None


@pytest.fixture
def api():
    with EchoApi() as api:
        yield api


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


def test_lifecycle_and_base_url():
    api = EchoApi()
    with pytest.raises(RuntimeError):
        _ = api.base_url
    with api:
        assert api.port > 0
        assert api.base_url == f"http://127.0.0.1:{api.port}"
        assert requests.get(f"{api.base_url}/items", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{api.base_url}/items", timeout=5)


def test_stop_drops_keep_alive_connections(api, session):
    assert session.get(f"{api.base_url}/items", timeout=5).status_code == 200
    api.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{api.base_url}/items", timeout=5)


def test_routing_json_bytes_and_path_params(api, session):
    r = session.post(f"{api.base_url}/echo", json={"a": [1, 2.5]}, timeout=5)
    assert (r.status_code, r.json(), r.headers["X-Echo"]) == (201, {"a": [1, 2.5]}, "yes")
    assert r.headers["Content-Type"] == "application/json"
    r = session.get(f"{api.base_url}/raw", timeout=5)
    assert (r.content, r.headers["Content-Type"]) == (b"plain", "text/plain")
    assert session.get(f"{api.base_url}/items/42", timeout=5).json() == {"id": "42"}
    assert session.get(f"{api.base_url}/nope", timeout=5).status_code == 404
    assert session.delete(f"{api.base_url}/items", timeout=5).status_code == 405


def test_request_log(api, session):
    session.get(
        f"{api.base_url}/items", params={"page": 2, "q": "x"}, headers={"API_Key": "k"}, timeout=5
    )
    session.get(f"{api.base_url}/items", params=[("page", "3"), ("page", "4")], timeout=5)
    session.post(f"{api.base_url}/echo", json={"n": 1}, timeout=5)
    log = api.requests
    assert [(r.method, r.path) for r in log] == [
        ("GET", "/items"),
        ("GET", "/items"),
        ("POST", "/echo"),
    ]
    assert log[0].query == {"page": "2", "q": "x"}
    assert log[0].headers["api_key"] == "k"  # names are lower-cased
    assert log[1].query == {"page": "4"}  # last value wins
    assert log[2].json() == {"n": 1}
    assert [r.status for r in log] == [200, 200, 201]
    api.clear_requests()
    assert api.requests == []


def test_push_429_with_retry_after_then_normal(api, session):
    api.faults.push(status=429, headers={"Retry-After": "1"})
    r = session.get(f"{api.base_url}/items", timeout=5)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"
    assert r.json() == {"error": "Too Many Requests"}
    assert session.get(f"{api.base_url}/items", timeout=5).status_code == 200
    assert [r.status for r in api.requests] == [429, 200]


def test_push_503_burst_then_ok(api, session):
    api.faults.push(status=503, times=3)
    api.faults.push(
        status=502, body=b"<html>bad gateway</html>", headers={"Content-Type": "text/html"}
    )
    assert api.faults.pending == 4
    statuses = [session.get(f"{api.base_url}/items", timeout=5).status_code for _ in range(5)]
    assert statuses == [503, 503, 503, 502, 200]
    assert api.faults.pending == 0


def test_scripted_responses_are_consumed_exactly_once_under_concurrency(api):
    api.faults.push(status=503, times=7)
    statuses: list[int] = []
    lock = threading.Lock()

    def hit():
        status = requests.get(f"{api.base_url}/items", timeout=5).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 13 + [503] * 7
    assert len(api.requests) == 20


def test_delay_seconds(api, session):
    api.faults.delay_seconds = 0.3
    start = time.monotonic()
    assert session.get(f"{api.base_url}/items", timeout=5).status_code == 200
    assert time.monotonic() - start >= 0.3
    with pytest.raises(requests.Timeout):
        session.get(f"{api.base_url}/items", timeout=0.1)
    api.faults.delay_seconds = 0
    assert session.get(f"{api.base_url}/items", timeout=5).status_code == 200


def test_malformed_body_next(api, session):
    api.faults.malformed_body_next(2)
    for _ in range(2):
        r = session.get(f"{api.base_url}/items", timeout=5)
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "application/json"
        with pytest.raises(requests.JSONDecodeError):
            r.json()
    assert session.get(f"{api.base_url}/items", timeout=5).json()["items"][-1] == 49


def test_reset_mid_body_next(api, session):
    api.faults.reset_mid_body_next()
    broken = (requests.exceptions.ChunkedEncodingError, requests.ConnectionError)
    with pytest.raises(broken, match="reset by peer"):  # an RST, not an orderly FIN
        session.get(f"{api.base_url}/items", timeout=5)
    # the client recovers on a fresh connection
    assert session.get(f"{api.base_url}/items", timeout=5).status_code == 200
    assert len(api.requests) == 2


def test_reset_mid_body_streaming_client_gets_partial_body(api):
    api.faults.reset_mid_body_next()
    with requests.get(f"{api.base_url}/items", stream=True, timeout=5) as r:
        assert r.status_code == 200
        announced = int(r.headers["Content-Length"])
        with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
            r.content  # noqa: B018
    assert announced > 100


def test_fail_every_n(api, session):
    api.faults.fail_every_n(3, status=500)
    statuses = [session.get(f"{api.base_url}/items", timeout=5).status_code for _ in range(7)]
    assert statuses == [200, 200, 500, 200, 200, 500, 200]
    api.faults.fail_every_n(None)
    assert session.get(f"{api.base_url}/items", timeout=5).status_code == 200


def test_faults_reset_disarms_everything(api, session):
    api.faults.push(status=500, times=5)
    api.faults.malformed_body_next(3)
    api.faults.reset_mid_body_next(3)
    api.faults.fail_every_n(1)
    api.faults.delay_seconds = 10
    api.faults.reset()
    r = session.get(f"{api.base_url}/items", timeout=5)
    assert r.status_code == 200 and r.json()["items"]


CLI_SCRIPT = textwrap.dedent(
    """
    from tests.simulators.base import LoopbackApi, serve_forever_cli

    class Ping(LoopbackApi):
        def __init__(self):
            super().__init__()
            self.route("GET", "/ping", lambda request: (200, {"pong": True}, None))

    serve_forever_cli(Ping)
    """
)


def _start_cli(stdin) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI_SCRIPT],
        cwd=REPO_ROOT,
        stdin=stdin,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().split()
    assert line[0] == "READY", line
    return proc, line[1]


def test_cli_serves_until_stdin_closes():
    proc, base_url = _start_cli(subprocess.PIPE)
    try:
        assert requests.get(f"{base_url}/ping", timeout=5).json() == {"pong": True}
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()


def test_cli_ignores_devnull_stdin_and_stops_on_sigterm():
    proc, base_url = _start_cli(subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        assert proc.poll() is None
        assert requests.get(f"{base_url}/ping", timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()


def test_restart_rebinds_same_port_for_outage_simulation(api, session):
    base_url = api.base_url
    assert session.get(f"{base_url}/items", timeout=5).status_code == 200
    api.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{base_url}/items", timeout=5)
    api.start()
    assert api.base_url == base_url
    assert session.get(f"{base_url}/items", timeout=5).status_code == 200
    assert len(api.requests) == 2
