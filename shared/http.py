"""HTTP sessions for connectors: timeouts, retries, rate limiting and typed, masked errors.

`make_session()` returns an `ApiSession`, a `requests.Session` whose every request

* has a (connect, read) timeout, so that a silent server cannot hang a sync;
* waits on an optional token bucket, to stay under the source's documented rate limit;
* is retried, with exponential backoff and full jitter, on connection errors, timeouts,
  connections reset while the body is read, and HTTP 408/429/500/502/503/504, honouring
  `Retry-After` (seconds or HTTP-date) up to a cap.

`ApiSession.get_json()` adds the contract a connector needs: it returns parsed JSON or raises an
`ApiError` subclass. A transient failure never comes back as an empty result, and no message
carries a credential (URLs, bodies and exception texts go through `shared.masking`).
"""

import dataclasses
import email.utils
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from shared.masking import (
    is_sensitive_header,
    log,
    mask,
    mask_exception,
    mask_url,
    register_secret,
)

# (connect, read) seconds: connecting should be quick; some APIs take long to build a page.
DEFAULT_TIMEOUT = (10.0, 60.0)

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# requests raises ChunkedEncodingError (or ConnectionError) when a connection breaks while the
# body is read; ContentDecodingError when a compressed body is cut short.
RETRYABLE_EXCEPTIONS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
# A certificate problem will not fix itself between attempts (SSLError is a ConnectionError).
NON_RETRYABLE_EXCEPTIONS = (requests.exceptions.SSLError,)

BODY_EXCERPT_CHARS = 200


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How a session retries: one value, passed around whole.

    `max_retries` retries follow the first attempt (up to 1 + max_retries requests per call).
    Waits are full jitter, uniform in [0, min(backoff_max, backoff_base * 2 ** (retry - 1))], so
    that many clients failing together do not retry in lockstep; a server's `Retry-After` wins,
    capped at `retry_after_cap` (a server asking for hours is usually misconfigured, and waiting
    that long inside a sync would look like a hang).
    """

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 120.0

    def __post_init__(self):
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries!r}")
        for name in ("backoff_base", "backoff_max", "retry_after_cap"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)!r}")

    @property
    def attempts(self) -> int:
        """Requests made at most for one call."""
        return self.max_retries + 1

    def wait_before_retry(
        self, retry: int, retry_after: float | None, rng: random.Random
    ) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (retry - 1))
        return rng.uniform(0, ceiling)


class ApiError(Exception):
    """A request failed for good. `status` is the HTTP status (None without a response) and
    `url` the masked request URL. The message is masked too."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None):
        super().__init__(mask(message))
        self.status = status
        self.url = mask_url(url) if url is not None else None


class AuthenticationError(ApiError):
    """The source rejected the credentials (401) or their permissions (403)."""


class NotFoundError(ApiError):
    """The source has no such resource (404)."""


class ClientError(ApiError):
    """The source rejected the request (a 4xx other than 401/403/404); retrying cannot help."""

    def __init__(self, message: str, *, status: int | None, url: str, body_excerpt: str):
        super().__init__(message, status=status, url=url)
        self.body_excerpt = body_excerpt


class RetriesExhaustedError(ApiError):
    """Every attempt failed transiently; `attempts` requests were made."""

    def __init__(self, message: str, *, status: int | None, url: str, attempts: int):
        super().__init__(message, status=status, url=url)
        self.attempts = attempts


class MalformedJsonError(ApiError):
    """The source kept answering with a body that is not JSON."""

    def __init__(self, message: str, *, status: int | None, url: str, body_excerpt: str):
        super().__init__(message, status=status, url=url)
        self.body_excerpt = body_excerpt


class RateLimiter:
    """A token bucket: at most `requests_per_second` on average, `burst` at once.

    Thread-safe; callers queue on the lock, so concurrent requests are spaced too.
    """

    def __init__(
        self,
        requests_per_second: float,
        burst: int = 1,
        *,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not requests_per_second or requests_per_second <= 0:
            raise ValueError(f"requests_per_second must be positive, got {requests_per_second!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self.rate = float(requests_per_second)
        self.burst = burst
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available. Returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            wait = (1 - self._tokens) / self.rate
            self._sleep(wait)
            # The token we take became available at now + wait; any oversleep is credited to the
            # next caller by the refill above, without trusting the clock to have moved.
            self._tokens = 0.0
            self._updated = now + wait
            return wait


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a `Retry-After` header, or None if absent or unreadable.

    Accepts delay-seconds (`120`) and HTTP-dates (`Wed, 21 Oct 2015 07:28:00 GMT`); a date in
    the past means "now" (0).
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            # RFC 9110 dates are GMT; parsedate_to_datetime leaves "-0000" naive.
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def _full_url(url: str, params: Any) -> str:
    """The URL as it will be requested (query parameters included), for messages."""
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(url, params)
    except requests.RequestException:
        return str(url)
    return prepared.url or str(url)


def _body_excerpt(response: requests.Response) -> str:
    """The first BODY_EXCERPT_CHARS characters of the body, masked before cutting so that a
    secret straddling the cut cannot leak half of itself."""
    return mask(response.text)[:BODY_EXCERPT_CHARS]


def _register_header_secrets(headers: Mapping[str, Any] | None) -> None:
    """Register credential header values, so that a body or message echoing them is masked."""
    for name, value in (headers or {}).items():
        if value is None or not is_sensitive_header(name):
            continue
        text = str(value)
        register_secret(text)
        scheme, _, credential = text.partition(" ")
        if credential and scheme.isalpha():
            register_secret(credential.strip())


class ApiSession(requests.Session):
    """A requests.Session with default timeouts, retries and an optional rate limit.

    Use `make_session()` to build one. `request()` (and so `get`, `post`, ...) returns the final
    response for any non-transient status, as requests does, and raises `RetriesExhaustedError`
    when every attempt failed transiently. `get_json()` also turns error statuses into `ApiError`s.
    Retries apply to every method: only send bodies that can be sent twice (no generators).
    """

    def __init__(
        self,
        *,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        rng: random.Random | None = None,
    ):
        super().__init__()
        self.retry = retry
        self.default_timeout = timeout
        self.rate_limiter = rate_limiter
        self._sleep = sleep
        self._rng = rng or random.Random()

    def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        **kwargs,
    ) -> requests.Response:
        """Send a request with the session's timeout, rate limit and retries.

        Returns the response for any status outside RETRYABLE_STATUSES (4xx included), its body
        already read. Raises RetriesExhaustedError when the last attempt still failed
        transiently, ApiError for other request failures (invalid URL, certificate error), with a
        masked message, and ValueError for stream=True.
        """
        response, _ = self._send(method, url, params, data, headers, kwargs, parse_json=False)
        return response

    def get_json(
        self, url: str, params: Any = None, headers: Mapping[str, Any] | None = None
    ) -> Any:
        """GET `url` and return the parsed JSON body (None for 204 No Content).

        Raises AuthenticationError (401/403), NotFoundError (404), ClientError (other 4xx),
        RetriesExhaustedError (transient failures past max_retries), MalformedJsonError (a
        2xx body that stayed unparseable after retries) or ApiError (anything else).
        """
        response, payload = self._send("GET", url, params, None, headers, {}, parse_json=True)
        status = response.status_code
        if 200 <= status < 300:
            return payload
        where = mask_url(response.url or _full_url(url, params))
        excerpt = _body_excerpt(response)
        if status in (401, 403):
            raise AuthenticationError(
                f"GET {where} was refused with HTTP {status}: {excerpt!r}; "
                "check the credentials in the configuration and their permissions",
                status=status,
                url=where,
            )
        if status == 404:
            raise NotFoundError(
                f"GET {where} returned HTTP 404 (not found): {excerpt!r}", status=status, url=where
            )
        if 400 <= status < 500:
            raise ClientError(
                f"GET {where} was rejected with HTTP {status}: {excerpt!r}",
                status=status,
                url=where,
                body_excerpt=excerpt,
            )
        raise ApiError(
            f"GET {where} returned unexpected HTTP {status}: {excerpt!r}", status=status, url=where
        )

    def _send(
        self,
        method: str,
        url: str,
        params: Any,
        data: Any,
        headers: Any,
        kwargs: dict[str, Any],
        *,
        parse_json: bool,
    ) -> tuple[requests.Response, Any]:
        """The retry loop. With parse_json, an unparseable 2xx body counts as a transient failure
        (a proxy may have cut it short) and the parsed payload is returned with the response."""
        _register_header_secrets(headers)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        if kwargs.pop("stream", False):
            # The body must be read inside the loop, or a connection reset mid-body would escape
            # the retries; a streamed download needs its own resume logic.
            raise ValueError("ApiSession does not stream: use a plain requests.Session for that")
        where = mask_url(_full_url(url, params))
        attempts = self.retry.attempts
        last_status: int | None = None
        last_failure = ""
        malformed: requests.Response | None = None
        for attempt in range(1, attempts + 1):
            if self.rate_limiter is not None:
                self.rate_limiter.acquire()
            retry_after: float | None = None
            try:
                response = super().request(
                    method, url, params=params, data=data, headers=headers, **kwargs
                )
            except NON_RETRYABLE_EXCEPTIONS as exc:
                # `from None`: the original exception's text quotes the unmasked URL, and a
                # chained traceback would print it.
                raise ApiError(
                    f"{method} {where} failed: {mask_exception(exc)}", url=where
                ) from None
            except RETRYABLE_EXCEPTIONS as exc:
                last_status, last_failure, malformed = None, mask_exception(exc), None
            except requests.RequestException as exc:
                raise ApiError(
                    f"{method} {where} failed: {mask_exception(exc)}", url=where
                ) from None
            else:
                status = response.status_code
                if status in RETRYABLE_STATUSES:
                    last_status, last_failure, malformed = status, f"HTTP {status}", None
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    response.close()
                elif not parse_json or not 200 <= status < 300 or status == 204:
                    return response, None
                else:
                    try:
                        return response, response.json()
                    except ValueError:
                        last_status, malformed = status, response
                        last_failure = f"HTTP {status} with a body that is not valid JSON"
            if attempt == attempts:
                break
            wait = self.retry.wait_before_retry(attempt, retry_after, self._rng)
            log.warning(
                f"{method} {where}: {last_failure}; retry {attempt} of {self.retry.max_retries} "
                f"in {wait:.1f}s"
                + (f" (Retry-After {retry_after:.0f}s)" if retry_after is not None else "")
            )
            self._sleep(wait)

        if malformed is not None:
            excerpt = _body_excerpt(malformed)
            raise MalformedJsonError(
                f"{method} {where} returned HTTP {last_status} with a body that is not valid JSON "
                f"({attempts} attempts); body starts: {excerpt!r}",
                status=last_status,
                url=where,
                body_excerpt=excerpt,
            )
        raise RetriesExhaustedError(
            f"{method} {where} failed after {attempts} attempts; last failure: {last_failure}. "
            "The source is unavailable or throttling; run the sync again later",
            status=last_status,
            url=where,
            attempts=attempts,
        )


def make_session(
    *,
    auth: requests.auth.AuthBase | None = None,
    headers: Mapping[str, str] | None = None,
    retry: RetryPolicy = RetryPolicy(),
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    requests_per_second: float | None = None,
    sleep: Callable[[float], Any] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> ApiSession:
    """Build an ApiSession.

    `auth` is how the session proves who it is: one of `shared.auth`'s objects, which register
    their credential with shared.masking themselves. `headers` become the session's default
    headers (not for credentials: use `auth`). `requests_per_second` enables a token bucket
    (burst 1) shared by every request of the session. `sleep`, `clock` and `rng` are injectable
    so that tests need not wait.
    """
    limiter = None
    if requests_per_second is not None:
        limiter = RateLimiter(requests_per_second, burst=1, sleep=sleep, clock=clock)
    session = ApiSession(retry=retry, timeout=timeout, rate_limiter=limiter, sleep=sleep, rng=rng)
    session.auth = auth
    if headers:
        _register_header_secrets(headers)
        session.headers.update(headers)
    return session
