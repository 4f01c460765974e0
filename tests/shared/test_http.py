"""Unit tests for shared.http: timeouts, retries, Retry-After, rate limiting, typed masked errors.

Most cases use `responses`; timeouts and connections reset mid-body use a real loopback server,
because only a real socket shows which exception requests raises and when.
"""

import contextlib
import email.utils
import json
import random
import socket
import struct
import threading
import time
import traceback
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fivetran_connector_sdk
import pytest
import requests
import responses

from shared.http import (
    DEFAULT_TIMEOUT,
    ApiError,
    AuthenticationError,
    ClientError,
    MalformedJsonError,
    NotFoundError,
    RateLimiter,
    RetriesExhaustedError,
    RetryPolicy,
    make_session,
    parse_retry_after,
)
from shared.masking import clear_secrets

API = "https://api.example.com/3/movie/550"
API_KEY = "k3y-0123456789abcdef"


class FakeTime:
    """A clock that only moves when slept on; records every sleep."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class MaxRandom(random.Random):
    """random() pinned to 1.0, so full jitter yields its upper bound."""

    def random(self) -> float:
        return 1.0


@pytest.fixture(autouse=True)
def fresh_registry():
    clear_secrets()
    yield
    clear_secrets()


@pytest.fixture(autouse=True)
def sdk_logging_unset(monkeypatch):
    """As in unit tests generally: the SDK has not set a level, so log goes to std logging."""
    monkeypatch.setattr(fivetran_connector_sdk.Logging, "LOG_LEVEL", None)


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def session_for(fake_time, **kwargs):
    """A session that records its waits instead of sleeping; RetryPolicy fields as keywords."""
    policy = {name: kwargs.pop(name) for name in RETRY_FIELDS if name in kwargs}
    policy.setdefault("max_retries", 3)
    return make_session(
        sleep=fake_time.sleep, clock=fake_time.clock, retry=RetryPolicy(**policy), **kwargs
    )


RETRY_FIELDS = ("max_retries", "backoff_base", "backoff_max", "retry_after_cap")


# --- timeouts ---


def test_default_timeout_is_applied_to_every_request(mocked, fake_time):
    mocked.get(API, json={})
    session_for(fake_time).get_json(API)
    session_for(fake_time).get(API)
    assert [c.request.req_kwargs["timeout"] for c in mocked.calls] == [DEFAULT_TIMEOUT] * 2


def test_explicit_timeout_overrides_the_default(mocked, fake_time):
    mocked.get(API, json={})
    session_for(fake_time, timeout=(3, 7)).get(API, timeout=1.5)
    session_for(fake_time, timeout=(3, 7)).get(API)
    assert [c.request.req_kwargs["timeout"] for c in mocked.calls] == [1.5, (3, 7)]


# --- a real loopback server ---


class LoopbackServer:
    """An HTTP server on 127.0.0.1 that plays a script of behaviours, one per request (the last
    one repeats): "ok", "slow" (answers after SLOW_SECONDS), "eof" (promises 1000 bytes, sends
    10, closes), "rst" (same, but closes with a TCP reset)."""

    SLOW_SECONDS = 0.6

    def __init__(self):
        self.script: list[str] = ["ok"]
        self.hits = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                with server._lock:
                    step = server.script[min(server.hits, len(server.script) - 1)]
                    server.hits += 1
                # OSError: the client gave up first (timeout), there is nothing to answer to.
                with contextlib.suppress(OSError):
                    self.play(step)

            def play(self, step):
                if step == "slow":
                    time.sleep(server.SLOW_SECONDS)
                if step in ("ok", "slow"):
                    body = json.dumps({"id": 550, "title": "Fight Club"}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b'{"id": 550')
                self.wfile.flush()
                if step == "rst":
                    # Linger 0: close() sends RST instead of FIN.
                    linger = struct.pack("ii", 1, 0)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/3/movie/550"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def loopback():
    server = LoopbackServer()
    yield server
    server.close()


def test_read_timeout_is_retried_then_raises_retries_exhausted(loopback, fake_time):
    loopback.script = ["slow"]
    session = session_for(fake_time, timeout=(2.0, 0.15), max_retries=2)
    started = time.monotonic()
    with pytest.raises(RetriesExhaustedError) as raised:
        session.get_json(loopback.url, params={"api_key": API_KEY})
    assert time.monotonic() - started < loopback.SLOW_SECONDS * 3, "the read timeout was not used"
    assert loopback.hits == 3
    assert raised.value.attempts == 3
    assert raised.value.status is None
    message = str(raised.value)
    assert "3 attempts" in message
    assert "ReadTimeout" in message
    assert "api_key=***" in message
    assert API_KEY not in message
    assert len(fake_time.sleeps) == 2


def test_slow_but_timely_answer_is_not_cut_by_the_timeout(loopback, fake_time):
    loopback.script = ["slow"]
    session = session_for(fake_time, timeout=(2.0, loopback.SLOW_SECONDS + 2))
    assert session.get_json(loopback.url) == {"id": 550, "title": "Fight Club"}
    assert loopback.hits == 1


@pytest.mark.parametrize("reset", ["eof", "rst"])
def test_connection_reset_mid_body_is_retried_and_next_attempt_succeeds(
    loopback, fake_time, reset
):
    loopback.script = [reset, reset, "ok"]
    session = session_for(fake_time, max_retries=3)
    assert session.get_json(loopback.url) == {"id": 550, "title": "Fight Club"}
    assert loopback.hits == 3
    assert len(fake_time.sleeps) == 2


def test_connection_reset_mid_body_on_every_attempt_raises(loopback, fake_time):
    loopback.script = ["eof"]
    session = session_for(fake_time, max_retries=1)
    with pytest.raises(RetriesExhaustedError) as raised:
        session.get(loopback.url)
    assert loopback.hits == 2
    assert "ChunkedEncodingError" in str(raised.value) or "ConnectionError" in str(raised.value)


def test_connection_refused_is_retried_and_message_is_masked(fake_time):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = session_for(fake_time, max_retries=2, headers={"X-Api-Key": API_KEY})
    with pytest.raises(RetriesExhaustedError) as raised:
        session.get_json(f"http://127.0.0.1:{port}/3/movie?api_key={API_KEY}")
    assert len(fake_time.sleeps) == 2
    assert "ConnectionError" in str(raised.value)
    # No secret in the message, nor in a printed traceback (the original exception is not chained).
    printed = "".join(traceback.format_exception(raised.value))
    assert API_KEY not in printed
    assert "api_key=***" in printed


# --- Retry-After ---


def test_retry_after_seconds_is_honoured(mocked, fake_time):
    mocked.get(API, status=429, headers={"Retry-After": "7"})
    mocked.get(API, json={"ok": 1})
    assert session_for(fake_time).get_json(API) == {"ok": 1}
    assert fake_time.sleeps == [7.0]


def test_retry_after_http_date_is_honoured(mocked, fake_time):
    when = datetime.now(UTC) + timedelta(seconds=30)
    mocked.get(API, status=503, headers={"Retry-After": email.utils.format_datetime(when, True)})
    mocked.get(API, json={"ok": 1})
    assert session_for(fake_time).get_json(API) == {"ok": 1}
    [waited] = fake_time.sleeps
    assert 28.0 < waited <= 30.0  # the header has whole seconds


def test_retry_after_is_capped(mocked, fake_time):
    mocked.get(API, status=429, headers={"Retry-After": "3600"})
    mocked.get(API, status=429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    mocked.get(API, json={"ok": 1})
    assert session_for(fake_time, retry_after_cap=45).get_json(API) == {"ok": 1}
    assert fake_time.sleeps == [45.0, 45.0]


def test_unreadable_retry_after_falls_back_to_backoff(mocked, fake_time):
    mocked.get(API, status=503, headers={"Retry-After": "soon"})
    mocked.get(API, json={"ok": 1})
    session = session_for(fake_time, backoff_base=2.0, rng=MaxRandom())
    assert session.get_json(API) == {"ok": 1}
    assert fake_time.sleeps == [2.0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # in the past: go now
        ("next tuesday", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after(header, expected):
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == expected


# --- backoff ---


def test_backoff_doubles_up_to_its_maximum(mocked, fake_time):
    mocked.get(API, status=502)
    session = session_for(
        fake_time, max_retries=6, backoff_base=0.5, backoff_max=5.0, rng=MaxRandom()
    )
    with pytest.raises(RetriesExhaustedError):
        session.get_json(API)
    assert fake_time.sleeps == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_backoff_is_full_jitter_within_bounds(mocked, fake_time):
    mocked.get(API, status=500)
    session = session_for(
        fake_time, max_retries=8, backoff_base=0.5, backoff_max=30.0, rng=random.Random(7)
    )
    with pytest.raises(RetriesExhaustedError):
        session.get_json(API)
    bounds = [min(30.0, 0.5 * 2**i) for i in range(8)]
    assert len(fake_time.sleeps) == 8
    assert all(0 <= w <= b for w, b in zip(fake_time.sleeps, bounds, strict=True))
    # Jitter: not simply the upper bounds.
    assert fake_time.sleeps != bounds


# --- which statuses are retried ---


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(mocked, fake_time, status):
    mocked.get(API, status=status)
    mocked.get(API, json=[{"id": 1}])
    assert session_for(fake_time).get_json(API) == [{"id": 1}]
    assert len(mocked.calls) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ClientError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (409, ClientError),
        (422, ClientError),
    ],
)
def test_client_errors_are_not_retried(mocked, fake_time, status, error):
    mocked.get(API, status=status, json={"status_message": "nope"})
    with pytest.raises(error) as raised:
        session_for(fake_time).get_json(API, params={"api_key": API_KEY})
    assert len(mocked.calls) == 1
    assert fake_time.sleeps == []
    assert raised.value.status == status
    assert raised.value.url == f"{API}?api_key=***"
    assert str(status) in str(raised.value)
    assert API_KEY not in str(raised.value)


def test_request_returns_a_client_error_response_as_is_without_retry(mocked, fake_time):
    mocked.get(API, status=404, body="gone")
    response = session_for(fake_time).get(API)
    assert response.status_code == 404
    assert response.text == "gone"
    assert len(mocked.calls) == 1


def test_non_retryable_server_error_raises_api_error_once(mocked, fake_time):
    mocked.get(API, status=501)
    with pytest.raises(ApiError) as raised:
        session_for(fake_time).get_json(API)
    assert raised.value.status == 501
    assert len(mocked.calls) == 1


def test_client_error_includes_first_200_chars_of_body_masked(mocked, fake_time):
    body = f'{{"error": "key {API_KEY} is not valid"}}' + "x" * 300
    mocked.get(API, status=400, body=body)
    session = session_for(fake_time, headers={"X-Api-Key": API_KEY})
    with pytest.raises(ClientError) as raised:
        session.get_json(API)
    masked_body = body.replace(API_KEY, "***")
    assert raised.value.body_excerpt == masked_body[:200]
    assert masked_body[:200] in str(raised.value)
    assert masked_body[:201] not in str(raised.value)
    assert API_KEY not in str(raised.value)


# --- retries exhausted ---


def test_retries_exhausted_names_masked_url_attempts_and_last_status(mocked, fake_time):
    mocked.get(API, status=500)
    mocked.get(API, status=503)
    session = session_for(fake_time, max_retries=1)
    with pytest.raises(RetriesExhaustedError) as raised:
        session.get_json(API, params={"api_key": API_KEY, "page": 2})
    message = str(raised.value)
    assert f"{API}?api_key=***&page=2" in message
    assert "2 attempts" in message
    assert "HTTP 503" in message
    assert API_KEY not in message
    assert raised.value.status == 503
    assert raised.value.attempts == 2
    assert len(mocked.calls) == 2


def test_request_raises_rather_than_returning_a_transient_failure(mocked, fake_time):
    mocked.get(API, status=503, json=[])
    with pytest.raises(RetriesExhaustedError):
        session_for(fake_time, max_retries=2).get(API)
    assert len(mocked.calls) == 3


def test_zero_retries_means_one_attempt(mocked, fake_time):
    mocked.get(API, status=503)
    with pytest.raises(RetriesExhaustedError):
        session_for(fake_time, max_retries=0).get_json(API)
    assert len(mocked.calls) == 1
    assert fake_time.sleeps == []


def test_each_retry_wait_is_logged_with_a_masked_url(mocked, fake_time, caplog):
    mocked.get(API, status=429, headers={"Retry-After": "2"})
    mocked.get(API, json={})
    with caplog.at_level("WARNING", logger="shared"):
        session_for(fake_time).get_json(API, params={"api_key": API_KEY})
    [record] = caplog.records
    assert f"GET {API}?api_key=***: HTTP 429; retry 1 of 3 in 2.0s" in record.getMessage()
    assert API_KEY not in record.getMessage()


# --- malformed JSON ---


def test_malformed_json_is_retried_and_a_good_body_is_returned(mocked, fake_time):
    mocked.get(API, body='{"results": [1, 2')  # cut short by a proxy
    mocked.get(API, json={"results": [1, 2, 3]})
    assert session_for(fake_time).get_json(API) == {"results": [1, 2, 3]}
    assert len(mocked.calls) == 2


def test_malformed_json_error_names_status_masked_url_and_body_start(mocked, fake_time):
    body = "<html><body>Gateway says hi " + API_KEY + " " + "y" * 400
    mocked.get(API, body=body, status=200, content_type="text/html")
    session = session_for(fake_time, max_retries=2)
    with pytest.raises(MalformedJsonError) as raised:
        session.get_json(API, params={"api_key": API_KEY}, headers={"Authorization": API_KEY})
    message = str(raised.value)
    expected_excerpt = body.replace(API_KEY, "***")[:200]
    assert "HTTP 200" in message
    assert f"{API}?api_key=***" in message
    assert expected_excerpt in message
    assert expected_excerpt + "y" not in message
    assert API_KEY not in message
    assert raised.value.status == 200
    assert raised.value.body_excerpt == expected_excerpt
    assert len(mocked.calls) == 3


def test_empty_body_on_200_is_an_error_not_an_empty_result(mocked, fake_time):
    mocked.get(API, body="")
    with pytest.raises(MalformedJsonError):
        session_for(fake_time, max_retries=1).get_json(API)


def test_no_content_returns_none(mocked, fake_time):
    mocked.get(API, status=204)
    assert session_for(fake_time).get_json(API) is None


# --- masking of transport errors ---


def test_connection_error_with_secret_in_text_is_masked(mocked, fake_time):
    error = requests.exceptions.ConnectionError(f"reset while fetching /x?token={API_KEY}")
    mocked.get(API, body=error)
    session = session_for(fake_time, max_retries=1, headers={"Authorization": f"Bearer {API_KEY}"})
    with pytest.raises(RetriesExhaustedError) as raised:
        session.get_json(API)
    assert "ConnectionError: reset while fetching /x?token=***" in str(raised.value)
    assert API_KEY not in "".join(traceback.format_exception(raised.value))


def test_invalid_url_raises_masked_api_error_without_retry(fake_time):
    session = session_for(fake_time)
    with pytest.raises(ApiError) as raised:
        session.get_json(f"api.example.com/x?api_key={API_KEY}")
    assert API_KEY not in "".join(traceback.format_exception(raised.value))
    assert fake_time.sleeps == []


def test_streaming_is_refused(fake_time):
    with pytest.raises(ValueError, match="stream"):
        session_for(fake_time).get(API, stream=True)


# --- rate limiting ---


def test_rate_limiter_spaces_requests(fake_time):
    limiter = RateLimiter(4, sleep=fake_time.sleep, clock=fake_time.clock)
    for _ in range(5):
        limiter.acquire()
    assert fake_time.sleeps == [0.25] * 4


def test_rate_limiter_does_not_wait_when_time_has_passed(fake_time):
    limiter = RateLimiter(2, sleep=fake_time.sleep, clock=fake_time.clock)
    limiter.acquire()
    fake_time.now += 0.2
    limiter.acquire()  # 0.3 s left to wait
    fake_time.now += 10
    limiter.acquire()
    assert fake_time.sleeps == [pytest.approx(0.3)]


def test_rate_limiter_burst_allows_that_many_at_once(fake_time):
    limiter = RateLimiter(1, burst=3, sleep=fake_time.sleep, clock=fake_time.clock)
    for _ in range(4):
        limiter.acquire()
    assert fake_time.sleeps == [1.0]


def test_rate_limiter_rejects_a_non_positive_rate():
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_session_rate_limit_applies_to_every_request_and_retry(mocked, fake_time):
    mocked.get(API, status=500)
    mocked.get(API, json={})
    session = session_for(fake_time, requests_per_second=2, rng=MaxRandom(), backoff_base=0.1)
    session.get_json(API)  # attempt 1, no wait; backoff 0.1; attempt 2 waits 0.4 for a token
    session.get_json(API)  # waits 0.5
    assert fake_time.sleeps == [0.1, pytest.approx(0.4), 0.5]
    assert len(mocked.calls) == 3
