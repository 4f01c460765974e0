"""shared.auth: each credential style sends its secret where the API expects it, and masks it."""

import requests
import responses

from shared.auth import ApiKeyHeader, ApiKeyQuery, BearerToken
from shared.http import make_session
from shared.masking import clear_secrets, mask

URL = "https://api.example.com/3/person/525"
SECRET = "s3cr3t-credential-value"


def setup_function():
    clear_secrets()


def sent_request(auth) -> requests.PreparedRequest:
    with responses.RequestsMock() as mocked:
        mocked.get(URL, json={"ok": True})
        assert make_session(auth=auth).get_json(URL, params={"language": "en-US"}) == {"ok": True}
        return mocked.calls[0].request


def test_api_key_header_sends_the_key_in_the_named_header():
    request = sent_request(ApiKeyHeader("api_key", SECRET))
    assert request.headers["api_key"] == SECRET


def test_api_key_query_adds_the_key_to_the_url_keeping_other_parameters():
    request = sent_request(ApiKeyQuery("api_key", SECRET))
    assert "language=en-US" in request.url
    assert f"api_key={SECRET}" in request.url


def test_bearer_token_sends_an_authorization_header():
    request = sent_request(BearerToken(SECRET))
    assert request.headers["Authorization"] == f"Bearer {SECRET}"


def test_every_style_registers_its_secret_and_hides_it_in_repr():
    for auth in (ApiKeyHeader("X-Custom", SECRET), ApiKeyQuery("k", SECRET), BearerToken(SECRET)):
        clear_secrets()
        assert mask(f"echo {SECRET}") == f"echo {SECRET}"
        auth = type(auth)(*([SECRET] if isinstance(auth, BearerToken) else ["n", SECRET]))
        assert mask(f"echo {SECRET}") == "echo ***"
        assert SECRET not in repr(auth)
