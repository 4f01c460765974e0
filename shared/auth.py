"""How a connector proves who it is: small `requests.auth.AuthBase` objects, one per style.

Pass one to `shared.http.make_session(auth=...)`. Each registers its credential with
`shared.masking` when it is built, so the credential is masked in every log line, error and
crash report from then on, whatever the header or parameter is called: nothing has to guess
which header holds a secret.

    session = make_session(auth=ApiKeyHeader("api_key", settings["api_key"]))
    session = make_session(auth=ApiKeyQuery("api_key", settings["api_key"]))
    session = make_session(auth=BearerToken(settings["read_access_token"]))
    session = make_session(auth=OAuth2ClientCredentials(token_url, client_id, client_secret))
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from shared.http import ApiError, AuthenticationError, make_session
from shared.masking import mask, register_secret


class ApiKeyHeader(requests.auth.AuthBase):
    """Send the key in a request header (`api_key: <key>`, `X-Api-Key: <key>`, ...)."""

    def __init__(self, header: str, key: str):
        register_secret(key)
        self.header = header
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = self._key
        return request

    def __repr__(self) -> str:
        return f"ApiKeyHeader({self.header!r}, '***')"


class ApiKeyQuery(requests.auth.AuthBase):
    """Send the key as a query parameter (`?api_key=<key>`), added to every request's URL."""

    def __init__(self, parameter: str, key: str):
        register_secret(key)
        self.parameter = parameter
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.prepare_url(request.url, {self.parameter: self._key})
        return request

    def __repr__(self) -> str:
        return f"ApiKeyQuery({self.parameter!r}, '***')"


class BearerToken(requests.auth.AuthBase):
    """Send a fixed token as `Authorization: Bearer <token>`."""

    def __init__(self, token: str):
        register_secret(token)
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "BearerToken('***')"


class CredentialsRejected(AuthenticationError):
    """The token endpoint refused the client id and secret: retrying cannot help."""


class OAuth2ClientCredentials(requests.auth.AuthBase):
    """OAuth 2.0 client credentials (RFC 6749 section 4.4): a bearer token, fetched when needed.

    * The token is fetched lazily, at the first request, by POSTing `grant_type=client_credentials`
      with `client_id` and `client_secret` (form-encoded) to `token_url`, through `token_session`
      (default: a plain `make_session()`, so 429/5xx on the token endpoint are retried too).
    * It is cached and refreshed before it expires: `refresh_margin` seconds before `expires_in`
      runs out (at most half the token's lifetime, so a short-lived token is still used). A
      response without `expires_in` keeps the token until the API rejects it.
    * A 401 from the API marks the token as rejected, fetches a new one and sends the request once
      more (a response hook, as requests' HTTPDigestAuth does); a second 401 is returned as is, for
      the caller to report. `token_rejected()` does the same by hand.
    * A 401, 403 or `invalid_client` from the token endpoint raises `CredentialsRejected` at once.
    * The client secret and every token are registered with shared.masking.

    Thread-safe: concurrent requests share one token and one refresh.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        refresh_margin: float = 60.0,
        token_session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        register_secret(client_secret)
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.refresh_margin = refresh_margin
        self._token_session = token_session or make_session()
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self.token_requests = 0  # tokens fetched so far (for logs and benchmarks)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        request.register_hook("response", self._retry_after_401)
        return request

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials({self.token_url!r}, '***', '***')"

    def token(self) -> str:
        """The current access token, fetched first when there is none or it is about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._token, self._refresh_at = self._fetch_token()
            return self._token

    def token_rejected(self, token: str | None = None) -> None:
        """The API refused `token` (default: the current one): the next request fetches another.

        A token other than the current one is ignored: another request already replaced it.
        """
        with self._lock:
            if token is None or token == self._token:
                self._token = None

    def _retry_after_401(self, response: requests.Response, **send_kwargs: Any):
        """Response hook: on a 401, refresh the token and send the request once more."""
        request = response.request
        if response.status_code != 401 or getattr(request, "_oauth_retried", False):
            return response
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.token_rejected(sent)
        token = self.token()  # raises CredentialsRejected if the credentials went bad meanwhile
        response.content  # noqa: B018 - read the body so the connection can be reused
        response.close()
        retry = request.copy()
        retry.headers["Authorization"] = f"Bearer {token}"
        retry._oauth_retried = True
        retried = response.connection.send(retry, **send_kwargs)
        retried.history.append(response)
        retried.request = retry
        return retried

    def _fetch_token(self) -> tuple[str, float]:
        """POST the client credentials; (token, clock time to refresh it at)."""
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        if self.scope:
            form["scope"] = self.scope
        self.token_requests += 1
        requested_at = self._clock()
        response = self._token_session.post(
            self.token_url, data=form, headers={"Accept": "application/json"}
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        error = body.get("error") if isinstance(body, dict) else None
        if status in (401, 403) or error in ("invalid_client", "unauthorized_client"):
            raise CredentialsRejected(
                f"client credentials rejected by {self.token_url} ({status}); "
                "check client_id and client_secret",
                status=status,
                url=self.token_url,
            )
        if not 200 <= status < 300:
            raise ApiError(
                f"the token endpoint {self.token_url} answered HTTP {status}: "
                f"{mask(response.text)[:200]!r}",
                status=status,
                url=self.token_url,
            )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            # The body is not quoted: a malformed token response may still hold a credential.
            raise ApiError(
                f"the token endpoint {self.token_url} answered HTTP {status} without an "
                "access_token",
                status=status,
                url=self.token_url,
            )
        register_secret(token)
        token_type = body.get("token_type", "Bearer")
        if str(token_type).lower() != "bearer":
            raise ApiError(
                f"the token endpoint {self.token_url} issued a {token_type!r} token; "
                "only Bearer tokens are supported",
                status=status,
                url=self.token_url,
            )
        return token, requested_at + self._lifetime(body.get("expires_in"))

    def _lifetime(self, expires_in: Any) -> float:
        """Seconds to use a token for: its lifetime less the margin (infinite when unknown)."""
        try:
            lifetime = float(expires_in)
        except (TypeError, ValueError):
            return float("inf")
        if not lifetime > 0:  # NaN, zero or negative: rely on the 401 path instead
            return float("inf")
        return lifetime - min(self.refresh_margin, lifetime / 2)
