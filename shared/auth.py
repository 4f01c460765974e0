"""How a connector proves who it is: small `requests.auth.AuthBase` objects, one per style.

Pass one to `shared.http.make_session(auth=...)`. Each registers its credential with
`shared.masking` when it is built, so the credential is masked in every log line, error and
crash report from then on, whatever the header or parameter is called: nothing has to guess
which header holds a secret.

    session = make_session(auth=ApiKeyHeader("api_key", settings["api_key"]))
    session = make_session(auth=ApiKeyQuery("api_key", settings["api_key"]))
    session = make_session(auth=BearerToken(settings["read_access_token"]))
"""

import requests

from shared.masking import register_secret


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
