"""Unit tests for shared.masking: the secret registry, name-based masking and the log wrapper."""

import logging

import fivetran_connector_sdk
import pytest

from shared.masking import (
    clear_secrets,
    log,
    mask,
    mask_data,
    mask_exception,
    mask_headers,
    mask_url,
    register_secret,
)

SECRET = "tmdb-key-5f2a9c"


@pytest.fixture(autouse=True)
def fresh_registry():
    """Every test starts and ends with an empty registry: it is process-wide."""
    clear_secrets()
    yield
    clear_secrets()


# --- registry and mask() ---


def test_registered_secret_is_replaced_everywhere_in_text():
    register_secret(SECRET)
    assert mask(f"key {SECRET} and again {SECRET}.") == "key *** and again ***."


def test_url_encoded_forms_of_a_registered_secret_are_replaced():
    register_secret("a/b+c=d e")
    assert mask("q=a%2Fb%2Bc%3Dd%20e") == "q=***"  # quote()
    assert mask("q=a%2Fb%2Bc%3Dd+e") == "q=***"  # quote_plus(), what requests sends


def test_longest_secret_is_replaced_first_so_no_tail_leaks():
    register_secret("abcd")
    register_secret("abcdefgh-long")
    assert mask("x abcdefgh-long y abcd") == "x *** y ***"


@pytest.mark.parametrize("value", [None, "", "abc", 12])
def test_none_empty_and_short_values_are_not_registered(value):
    register_secret(value)
    assert mask("abc 12 None") == "abc 12 None"


def test_non_string_secret_is_registered_by_its_text():
    register_secret(123456789)
    assert mask("pin 123456789") == "pin ***"


def test_clear_secrets_forgets_every_value():
    register_secret(SECRET)
    clear_secrets()
    assert mask(SECRET) == SECRET


def test_mask_accepts_non_strings():
    register_secret(SECRET)
    assert mask(["x", SECRET]) == "['x', '***']"


def test_mask_leaves_ordinary_text_alone():
    text = "synced 120 rows of movies?page=3 from author=me"
    assert mask(text) == text


# --- mask_url ---


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "APIKEY",
        "key",
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
        "secret",
        "Password",
        "auth",
        "signature",
        "X-Amz-Security-Token",
        "my_secret_value",
        "db_password",
        "google_api_key",
        "api-key",
    ],
)
def test_sensitive_query_parameter_values_are_masked(name):
    url = f"https://api.example.com/v3/movie?page=2&{name}=ZZsecretZZ&language=en"
    assert mask_url(url) == f"https://api.example.com/v3/movie?page=2&{name}=***&language=en"


def test_punctuation_after_a_masked_value_is_kept():
    text = (
        "GET https://h.example/x?api_key=abc123: HTTP 429 (see https://h.example/y?token=t0k3n)."
    )
    assert (
        mask(text)
        == "GET https://h.example/x?api_key=***: HTTP 429 (see https://h.example/y?token=***)."
    )


def test_first_query_parameter_and_fragment_tokens_are_masked():
    url = "https://h.example/cb?access_token=AAA111&x=1#id_token=BBB222"
    assert mask_url(url) == "https://h.example/cb?access_token=***&x=1#id_token=***"


def test_non_sensitive_query_parameters_are_kept():
    url = "https://api.example.com/v3/discover?page=2&sort_by=popularity.desc&monkey=1"
    assert mask_url(url) == url


def test_userinfo_password_is_masked_but_user_kept():
    assert mask_url("postgres://loader:hunter22@db.example:5432/x") == (
        "postgres://loader:***@db.example:5432/x"
    )


def test_host_port_is_not_taken_for_a_password():
    url = "https://api.example.com:8443/v1/items?page=1"
    assert mask_url(url) == url


def test_registered_secret_in_url_path_is_masked():
    register_secret(SECRET)
    assert mask_url(f"https://h.example/keys/{SECRET}/rows") == "https://h.example/keys/***/rows"


# --- mask_headers ---


def test_credential_headers_are_masked_and_others_kept():
    headers = {
        "Authorization": "Bearer eyJhbGciOi.payload.sig",
        "Proxy-Authorization": "Basic dXNlcjpwYXNz",
        "api_key": "k1k1k1",
        "api-key": "k2k2k2",
        "X-API-Key": "k3k3k3",
        "Cookie": "session=abcdef",
        "X-Auth-Token": "t0t0t0",
        "X-Client-Secret": "s0s0s0",
        "Accept": "application/json",
        "User-Agent": "fivetran-connector/1.0",
    }
    masked = mask_headers(headers)
    assert masked == {
        "Authorization": "Bearer ***",
        "Proxy-Authorization": "Basic ***",
        "api_key": "***",
        "api-key": "***",
        "X-API-Key": "***",
        "Cookie": "***",
        "X-Auth-Token": "***",
        "X-Client-Secret": "***",
        "Accept": "application/json",
        "User-Agent": "fivetran-connector/1.0",
    }
    assert headers["Authorization"].startswith("Bearer eyJ"), "the input must not be modified"


def test_authorization_without_scheme_is_fully_masked():
    assert mask_headers({"authorization": "rawtoken123"}) == {"authorization": "***"}


def test_registered_secret_copied_into_an_ordinary_header_is_masked():
    register_secret(SECRET)
    assert mask_headers({"Referer": f"https://x/?q={SECRET}"}) == {"Referer": "https://x/?q=***"}


def test_mask_headers_accepts_none_and_requests_headers():
    import requests

    assert mask_headers(None) == {}
    headers = requests.structures.CaseInsensitiveDict({"X-Api-Key": "abcdef"})
    assert mask_headers(headers) == {"X-Api-Key": "***"}


# --- mask_data ---


def test_nested_data_is_masked_by_key_and_by_registered_value():
    register_secret(SECRET)
    data = {
        "api_key": "plain-key-value",
        "author": "Jane",
        "primary_key": ["id"],
        "oauth": {"client_secret": "cs-123456", "scopes": ["read"], "refresh_token": "rt-98765"},
        "rows": [{"note": f"uses {SECRET}"}, ("t", f"x{SECRET}x")],
        "count": 3,
        "token": None,
        "password": "",
    }
    masked = mask_data(data)
    assert masked == {
        "api_key": "***",
        "author": "Jane",
        "primary_key": ["id"],
        "oauth": {"client_secret": "***", "scopes": ["read"], "refresh_token": "***"},
        "rows": [{"note": "uses ***"}, ("t", "x***x")],
        "count": 3,
        "token": None,
        "password": "",
    }
    assert isinstance(masked["rows"][1], tuple)
    assert data["api_key"] == "plain-key-value", "mask_data must return a copy"


def test_sensitive_key_with_nested_value_is_masked_whole():
    assert mask_data({"auth": {"user": "u", "password": "p"}}) == {"auth": "***"}


# --- mask_exception ---


def test_exception_text_is_masked_with_type_name():
    register_secret(SECRET)
    exc = ValueError(f"bad key {SECRET} for https://h.example/x?token=abc123")
    assert mask_exception(exc) == "ValueError: bad key *** for https://h.example/x?token=***"


def test_requests_connection_error_text_is_masked_without_registration():
    import requests

    exc = requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='api.example.com', port=443): Max retries exceeded with url: "
        "/3/movie/550?api_key=0123456789abcdef (Caused by NewConnectionError('refused'))"
    )
    text = mask_exception(exc)
    assert "0123456789abcdef" not in text
    assert text.startswith("ConnectionError: HTTPSConnectionPool")
    assert "/3/movie/550?api_key=*** (Caused by" in text


# --- the log wrapper ---


@pytest.fixture
def sdk_log(monkeypatch):
    """Capture what reaches the SDK's Logging, as if running under `fivetran debug`."""
    captured = []
    sdk = fivetran_connector_sdk.Logging
    monkeypatch.setattr(sdk, "LOG_LEVEL", sdk.Level.DEBUG)
    for level in ("debug", "info", "warning", "error", "critical", "fine", "severe"):
        monkeypatch.setattr(
            sdk, level, staticmethod(lambda message, _lvl=level: captured.append((_lvl, message)))
        )
    return captured


@pytest.mark.parametrize("level", ["debug", "info", "warning", "error", "critical"])
def test_log_masks_message_and_forwards_to_the_sdk_level(sdk_log, level):
    register_secret(SECRET)
    getattr(log, level)(f"calling https://h.example/x?api_key={SECRET}&page=1 with {SECRET}")
    assert sdk_log == [(level, "calling https://h.example/x?api_key=***&page=1 with ***")]


@pytest.mark.parametrize(("old", "new"), [("fine", "debug"), ("severe", "error")])
def test_deprecated_level_names_forward_to_their_sdk_3_successors(sdk_log, old, new):
    getattr(log, old)("message")
    assert sdk_log == [(new, "message")]


def test_log_error_appends_a_masked_traceback(sdk_log):
    register_secret(SECRET)
    try:
        raise RuntimeError(f"token {SECRET} rejected")
    except RuntimeError as exc:
        log.error("sync failed", exc)
    [(level, message)] = sdk_log
    assert level == "error"
    assert message.startswith("sync failed\nTraceback")
    assert "RuntimeError: token *** rejected" in message
    assert SECRET not in message


def test_log_warning_masks_exception_text(sdk_log):
    log.warning("retrying", exception=OSError("refused for ?access_token=abcdef123"))
    [(_, message)] = sdk_log
    assert "access_token=***" in message
    assert "abcdef123" not in message


def test_log_does_not_emit_sdk_deprecation_warnings(sdk_log, recwarn):
    log.fine("detail")
    log.severe("bad")
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]


def test_log_falls_back_to_std_logging_before_the_sdk_sets_its_level(monkeypatch, caplog):
    sdk = fivetran_connector_sdk.Logging
    monkeypatch.setattr(sdk, "LOG_LEVEL", None)
    register_secret(SECRET)
    with caplog.at_level(logging.DEBUG, logger="shared"):
        log.warning(f"slow down {SECRET}")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "slow down ***")
    ]


def test_escaped_form_of_a_secret_with_control_characters_is_masked():
    register_secret("abcd\nSECRETPART-123")
    # requests quotes an invalid header value with repr-style escapes
    text = "Invalid leading whitespace in header value: 'abcd\\nSECRETPART-123'"
    assert "SECRETPART-123" not in mask(text)
