"""shared.auth.OAuth2ClientCredentials: lazy, cached, refreshed tokens; one retry after a 401."""

import json
from urllib.parse import parse_qs

import pytest
import requests
import responses

from shared.auth import CredentialsRejected, OAuth2ClientCredentials
from shared.http import ApiError, AuthenticationError, RetryPolicy, make_session
from shared.masking import clear_secrets, mask

TOKEN_URL = "https://auth.example.com/oauth/token"
DATA_URL = "https://api.example.com/location"
CLIENT_ID = "client-id-7f2a"
CLIENT_SECRET = "client-secret-91c4e0"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class TokenServer:
    """Issues token-1, token-2, ... and accepts only the latest one on the data URL."""

    def __init__(self, mocked, expires_in=3600, reject_data=False):
        self.issued = []
        self.expires_in = expires_in
        self.reject_data = reject_data
        self.forms = []
        mocked.add_callback(responses.POST, TOKEN_URL, callback=self.token)
        mocked.add_callback(responses.GET, DATA_URL, callback=self.data)

    def token(self, request):
        self.forms.append(parse_qs(request.body))
        self.issued.append(f"token-{len(self.issued) + 1}-abcdef")
        body = {"access_token": self.issued[-1], "token_type": "Bearer"}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return 200, {}, json.dumps(body)

    def data(self, request):
        if self.reject_data or request.headers.get("Authorization") != f"Bearer {self.issued[-1]}":
            return 401, {}, json.dumps({"error": "invalid_token"})
        return 200, {}, json.dumps([{"locationId": "L1"}])


def mocked_http():
    return responses.RequestsMock(assert_all_requests_are_fired=False)


def setup_function():
    clear_secrets()


def make_auth(clock=None, **kwargs):
    return OAuth2ClientCredentials(
        TOKEN_URL,
        CLIENT_ID,
        CLIENT_SECRET,
        clock=clock or FakeClock(),
        token_session=make_session(sleep=lambda seconds: None),
        **kwargs,
    )


def data_session(auth):
    return make_session(auth=auth, sleep=lambda seconds: None)


def test_token_is_fetched_lazily_with_client_credentials_and_cached():
    with mocked_http() as mocked:
        server = TokenServer(mocked)
        auth = make_auth()
        assert server.issued == []  # nothing fetched until the first request
        session = data_session(auth)
        assert session.get_json(DATA_URL) == [{"locationId": "L1"}]
        assert session.get_json(DATA_URL) == [{"locationId": "L1"}]
        assert server.forms == [
            {
                "grant_type": ["client_credentials"],
                "client_id": [CLIENT_ID],
                "client_secret": [CLIENT_SECRET],
            }
        ]
        assert auth.token_requests == 1
        assert mocked.calls[1].request.headers["Authorization"] == "Bearer token-1-abcdef"


def test_token_is_refreshed_a_margin_before_it_expires():
    clock = FakeClock()
    with mocked_http() as mocked:
        server = TokenServer(mocked, expires_in=3600)
        auth = make_auth(clock, refresh_margin=60)
        session = data_session(auth)
        session.get_json(DATA_URL)
        clock.now += 3600 - 61
        session.get_json(DATA_URL)
        assert auth.token_requests == 1
        clock.now += 2  # now within 60 s of expiry
        session.get_json(DATA_URL)
        assert auth.token_requests == 2
        assert mocked.calls[-1].request.headers["Authorization"] == f"Bearer {server.issued[-1]}"
        # No request was refused on the way: the refresh came before the expiry.
        assert all(call.response.status_code == 200 for call in mocked.calls)


def test_a_short_lived_token_is_still_used_for_half_its_life():
    clock = FakeClock()
    with mocked_http() as mocked:
        TokenServer(mocked, expires_in=10)
        auth = make_auth(clock, refresh_margin=60)
        session = data_session(auth)
        session.get_json(DATA_URL)
        clock.now += 4.9
        session.get_json(DATA_URL)
        assert auth.token_requests == 1
        clock.now += 0.2
        session.get_json(DATA_URL)
        assert auth.token_requests == 2


def test_a_token_without_expires_in_is_kept_until_refused():
    clock = FakeClock()
    with mocked_http() as mocked:
        TokenServer(mocked, expires_in=None)
        auth = make_auth(clock)
        session = data_session(auth)
        session.get_json(DATA_URL)
        clock.now += 10 * 86400
        session.get_json(DATA_URL)
        assert auth.token_requests == 1


def test_a_401_refreshes_the_token_once_and_retries_the_call():
    with mocked_http() as mocked:
        server = TokenServer(mocked)
        auth = make_auth()
        session = data_session(auth)
        session.get_json(DATA_URL)
        server.issued.append("token-revoked-by-server")  # the API now accepts another token only
        assert session.get_json(DATA_URL) == [{"locationId": "L1"}]
        assert auth.token_requests == 2
        statuses = [(call.request.method, call.response.status_code) for call in mocked.calls]
        assert statuses == [("POST", 200), ("GET", 200), ("GET", 401), ("POST", 200), ("GET", 200)]
        assert mocked.calls[-1].request.headers["Authorization"] == f"Bearer {server.issued[-1]}"


def test_a_second_401_is_reported_not_retried_again():
    with mocked_http() as mocked:
        TokenServer(mocked, reject_data=True)
        auth = make_auth()
        with pytest.raises(AuthenticationError) as raised:
            data_session(auth).get_json(DATA_URL)
        assert raised.value.status == 401
        assert auth.token_requests == 2
        assert [call.request.method for call in mocked.calls] == ["POST", "GET", "POST", "GET"]


def test_token_rejected_ignores_a_token_already_replaced():
    with mocked_http() as mocked:
        TokenServer(mocked)
        auth = make_auth()
        first = auth.token()
        auth.token_rejected("some-older-token")
        assert auth.token() == first
        auth.token_rejected(first)
        assert auth.token() != first
        assert auth.token_requests == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [(401, {"error": "invalid_client"}), (403, {}), (400, {"error": "invalid_client"})],
)
def test_rejected_client_credentials_fail_at_once(status, body):
    with mocked_http() as mocked:
        mocked.post(TOKEN_URL, status=status, json=body)
        with pytest.raises(CredentialsRejected) as raised:
            data_session(make_auth()).get_json(DATA_URL)
        assert str(raised.value) == (
            f"client credentials rejected by {TOKEN_URL} ({status}); "
            "check client_id and client_secret"
        )
        assert len(mocked.calls) == 1  # no retry, no data call


def test_a_throttled_token_endpoint_is_retried():
    with mocked_http() as mocked:
        mocked.post(TOKEN_URL, status=429, headers={"Retry-After": "1"})
        mocked.post(TOKEN_URL, status=503)
        server = TokenServer(mocked)
        assert data_session(make_auth()).get_json(DATA_URL) == [{"locationId": "L1"}]
        assert server.issued == ["token-1-abcdef"]


def test_a_token_endpoint_that_keeps_failing_raises_a_masked_api_error():
    with mocked_http() as mocked:
        mocked.post(TOKEN_URL, status=503)
        auth = OAuth2ClientCredentials(
            TOKEN_URL,
            CLIENT_ID,
            CLIENT_SECRET,
            token_session=make_session(retry=RetryPolicy(max_retries=1), sleep=lambda s: None),
        )
        with pytest.raises(ApiError) as raised:
            data_session(auth).get_json(DATA_URL)
        assert "503" in str(raised.value)


@pytest.mark.parametrize(
    "body",
    [
        {"token_type": "Bearer", "expires_in": 3600, "note": "no token"},
        {"access_token": "", "expires_in": 3600},
    ],
)
def test_a_token_response_without_a_token_fails_loudly(body):
    with mocked_http() as mocked:
        mocked.post(TOKEN_URL, json=body)
        with pytest.raises(ApiError, match="without an access_token"):
            make_auth().token()


def test_a_non_bearer_token_is_refused_without_showing_it():
    with mocked_http() as mocked:
        mocked.post(TOKEN_URL, json={"access_token": "mac-token-5521", "token_type": "mac"})
        with pytest.raises(ApiError, match="only Bearer") as raised:
            make_auth().token()
        assert "mac-token-5521" not in str(raised.value)


def test_client_secret_and_every_token_are_masked_and_kept_out_of_repr():
    with mocked_http() as mocked:
        server = TokenServer(mocked)
        auth = make_auth()
        assert mask(f"secret {CLIENT_SECRET}") == "secret ***"
        first = auth.token()
        auth.token_rejected()
        second = auth.token()
        assert server.issued == [first, second]
        assert mask(f"{first} {second}") == "*** ***"
        assert CLIENT_SECRET not in repr(auth) and first not in repr(auth)


def test_each_request_carries_the_token_current_when_it_is_sent():
    with mocked_http() as mocked:
        TokenServer(mocked)
        auth = make_auth()
        request = requests.Request("GET", DATA_URL, auth=auth).prepare()
        assert request.headers["Authorization"] == f"Bearer {auth.token()}"
