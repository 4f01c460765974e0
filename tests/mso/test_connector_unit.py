"""Unit tests for mso/connector.py against a `responses`-mocked MSO API (no sockets, no sleeps).

The SDK's `Operations.upsert` and `Operations.checkpoint` are replaced by recorders that append to
one list, so a test can assert the order of writes and checkpoints: a checkpoint must come after
every upsert it describes, and its state must point at the next page to fetch.
"""

import functools
import traceback
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import fivetran_connector_sdk
import pytest
import responses
from fivetran_connector_sdk import form_field
from responses import matchers

from shared.checkpoint import Checkpointer
from shared.http import make_session
from tests.harness import load_connector_module

mso = load_connector_module("mso")

BASE_URL = "https://mso.example.test"
URL = BASE_URL + "/mso_data"
API_KEY = "mso-k3y-SECRET-4f9a2c7e1b"
PAGE_SIZE = "2"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
NOW_TEXT = "2026-01-15T12:00:00Z"
TABLE = "mso_records"
# Opaque 32-hex cursors, as the API hands them out.
CURSOR_2, CURSOR_3, CURSOR_4 = (f"{n:032x}" for n in (0xC2, 0xC3, 0xC4))
OLD_CURSOR = "0123456789abcdef0123456789abcdef"
MAX_ATTEMPTS = 6  # the connector's 5 retries after the first request


def configuration(**overrides) -> dict:
    values = {
        "api_key": API_KEY,
        "base_url": BASE_URL,
        "page_size": PAGE_SIZE,
        "full_resync_hours": "168",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def record(n: int, **extra) -> dict:
    return {
        "record_id": f"rec-{n}",
        "material_name": "Aluminum 6061",
        "material_cost": 12.5 + n,
        "designer_experience": n,
        "material_selection_date": "2024-03-01",
        **extra,
    }


def page(records: list, next_cursor: str | None, has_more: bool | None = None) -> dict:
    if has_more is None:
        has_more = next_cursor is not None
    return {"mso_records": records, "next_cursor": next_cursor, "has_more": has_more}


def page_params(cursor: str | None, page_size: str = PAGE_SIZE) -> dict:
    params = {"page_size": page_size}
    if cursor is not None:
        params["cursor"] = cursor
    return params


def add(api, cursor: str | None, *, page_size: str = PAGE_SIZE, **response) -> None:
    """Serve one response to `GET /mso_data` with exactly these parameters and the API key."""
    api.get(
        URL,
        match=[
            matchers.query_param_matcher(page_params(cursor, page_size)),
            matchers.header_matcher({"api_key": API_KEY}),
        ],
        **response,
    )


def requested(api) -> list[dict]:
    """The query parameters of every request made, in order."""
    return [dict(parse_qsl(urlsplit(call.request.url).query)) for call in api.calls]


def add_three_pages(api) -> None:
    add(api, None, json=page([record(1), record(2)], CURSOR_2))
    add(api, CURSOR_2, json=page([record(3), record(4)], CURSOR_3))
    add(api, CURSOR_3, json=page([record(5), record(6)], None))


# --- fixtures ---


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def calls(monkeypatch):
    """Every upsert and checkpoint, in order: ("upsert", record_id) / ("checkpoint", state)."""
    recorded: list[tuple[str, object]] = []

    def upsert(table, data, **kwargs):
        assert table == TABLE
        recorded.append(("upsert", data["record_id"]))

    def checkpoint(state):
        recorded.append(("checkpoint", state))

    # `mso.op` is the SDK's Operations class; shared.checkpoint.Checkpointer looks up
    # Operations.checkpoint when it is built (inside sync_records), so it sees the recorder too.
    monkeypatch.setattr(mso.op, "upsert", upsert)
    monkeypatch.setattr(mso.op, "checkpoint", checkpoint)
    return recorded


@pytest.fixture
def checkpoint_every_page(monkeypatch):
    """Checkpoint after every row, so that each page ends in a checkpoint (default: 5,000 rows)."""
    monkeypatch.setattr(mso, "Checkpointer", functools.partial(Checkpointer, every_rows=1))


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    """No test waits: every session the connector builds records its retry waits instead."""
    waited: list[float] = []
    monkeypatch.setattr(mso, "make_session", functools.partial(make_session, sleep=waited.append))
    return waited


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(mso, "utc_now", lambda: NOW)


@pytest.fixture(autouse=True)
def sdk_logging_unset(monkeypatch):
    """The SDK has not set a level in unit tests, so shared.masking logs to std logging."""
    monkeypatch.setattr(fivetran_connector_sdk.Logging, "LOG_LEVEL", None)


def checkpoints(recorded) -> list[dict]:
    return [state for kind, state in recorded if kind == "checkpoint"]


def upserted(recorded) -> list[str]:
    return [record_id for kind, record_id in recorded if kind == "upsert"]


def run_sync(state: dict | None = None, **overrides):
    mso.update(configuration=configuration(**overrides), state=state if state is not None else {})


# --- pagination and state ---


def test_pages_through_three_pages_sending_each_next_cursor(api, calls):
    add_three_pages(api)
    run_sync()
    assert requested(api) == [page_params(None), page_params(CURSOR_2), page_params(CURSOR_3)]
    assert all(call.request.headers["api_key"] == API_KEY for call in api.calls)
    assert upserted(calls) == [f"rec-{n}" for n in range(1, 7)]


def test_each_checkpoint_holds_the_next_cursor_and_follows_the_writes_it_covers(
    api, calls, checkpoint_every_page
):
    add_three_pages(api)
    run_sync()
    state = {"pass_started_at": NOW_TEXT}
    assert calls == [
        ("upsert", "rec-1"),
        ("upsert", "rec-2"),
        ("checkpoint", {**state, "cursor": CURSOR_2}),
        ("upsert", "rec-3"),
        ("upsert", "rec-4"),
        ("checkpoint", {**state, "cursor": CURSOR_3}),
        ("upsert", "rec-5"),
        ("upsert", "rec-6"),
        # After the last page the state keeps the cursor that fetched it.
        ("checkpoint", {**state, "cursor": CURSOR_3}),
    ]


def test_default_cadence_checkpoints_once_after_all_writes_of_a_small_sync(api, calls):
    add_three_pages(api)
    run_sync()
    assert calls[-1] == ("checkpoint", {"cursor": CURSOR_3, "pass_started_at": NOW_TEXT})
    assert len(checkpoints(calls)) == 1


def test_next_sync_rereads_the_last_page_and_goes_on_with_appended_records(api, calls):
    add_three_pages(api)
    run_sync()
    saved = checkpoints(calls)[-1]
    api.reset()
    calls.clear()
    # Since the first sync, rec-7 was appended to the last page and rec-8 after it.
    add(api, CURSOR_3, json=page([record(5), record(6)], CURSOR_4))
    add(api, CURSOR_4, json=page([record(7), record(8)], None))
    run_sync(state=saved)
    assert requested(api) == [page_params(CURSOR_3), page_params(CURSOR_4)]
    assert upserted(calls) == ["rec-5", "rec-6", "rec-7", "rec-8"]
    assert checkpoints(calls)[-1] == {"cursor": CURSOR_4, "pass_started_at": NOW_TEXT}


def test_a_single_page_source_saves_a_null_cursor(api, calls):
    add(api, None, json=page([record(1)], None))
    run_sync()
    assert checkpoints(calls) == [{"cursor": None, "pass_started_at": NOW_TEXT}]


def test_resumes_from_the_saved_cursor(api, calls):
    started = "2026-01-15T08:00:00Z"
    add(api, CURSOR_3, json=page([record(5), record(6)], None))
    run_sync(state={"cursor": CURSOR_3, "pass_started_at": started})
    assert requested(api) == [page_params(CURSOR_3)]
    assert upserted(calls) == ["rec-5", "rec-6"]
    assert checkpoints(calls) == [{"cursor": CURSOR_3, "pass_started_at": started}]


def test_unknown_fields_are_written_unchanged(api, monkeypatch):
    written = []
    monkeypatch.setattr(mso.op, "upsert", lambda table, data: written.append(data))
    monkeypatch.setattr(mso.op, "checkpoint", lambda state: None)
    add(api, None, json=page([record(1, supplier_region="EMEA")], None))
    run_sync()
    assert written == [record(1, supplier_region="EMEA")]


# --- full re-read interval ---


@pytest.mark.parametrize(
    ("hours", "started_hours_ago", "restarts"),
    [
        ("168", 169, True),
        ("168", 168, True),
        ("168", 10, False),
        ("24", 25, True),
        ("0", 10_000, False),
    ],
    ids=["older-restarts", "exactly-the-interval-restarts", "recent-resumes", "24h", "0-disables"],
)
def test_full_resync_hours_restarts_an_old_pass_from_the_first_page(
    api, calls, hours, started_hours_ago, restarts
):
    started = mso.format_utc(NOW - timedelta(hours=started_hours_ago))
    add(api, None, json=page([record(1)], None))
    add(api, CURSOR_3, json=page([record(5)], None))
    run_sync(state={"cursor": CURSOR_3, "pass_started_at": started}, full_resync_hours=hours)
    if restarts:
        assert requested(api) == [page_params(None)]
        assert checkpoints(calls) == [{"cursor": None, "pass_started_at": NOW_TEXT}]
    else:
        assert requested(api) == [page_params(CURSOR_3)]
        assert checkpoints(calls) == [{"cursor": CURSOR_3, "pass_started_at": started}]


# --- retries and failures ---


def test_retries_a_429_after_its_retry_after_then_succeeds(api, calls, sleeps):
    add(api, None, status=429, headers={"Retry-After": "7"}, json={"error": "Too many requests"})
    add(api, None, json=page([record(1)], None))
    run_sync()
    assert sleeps == [7.0]
    assert len(api.calls) == 2
    assert upserted(calls) == ["rec-1"]


def test_retries_a_503_burst_then_succeeds(api, calls, sleeps):
    for _ in range(3):
        add(api, None, status=503, json={"error": "Service unavailable"})
    add(api, None, json=page([record(1)], None))
    run_sync()
    assert len(api.calls) == 4
    assert len(sleeps) == 3
    assert upserted(calls) == ["rec-1"]


def test_retries_exhausted_fails_without_checkpointing_past_the_written_data(
    api, calls, checkpoint_every_page
):
    add(api, None, json=page([record(1), record(2)], CURSOR_2))
    add(api, CURSOR_2, status=503, json={"error": "Service unavailable"})
    with pytest.raises(mso.MsoSyncError) as failure:
        run_sync()
    message = str(failure.value)
    assert f"cursor {CURSOR_2}" in message
    assert f"after {MAX_ATTEMPTS} attempts" in message
    assert "HTTP 503" in message
    assert requested(api) == [page_params(None)] + [page_params(CURSOR_2)] * MAX_ATTEMPTS
    assert calls == [
        ("upsert", "rec-1"),
        ("upsert", "rec-2"),
        ("checkpoint", {"cursor": CURSOR_2, "pass_started_at": NOW_TEXT}),
    ]


def test_a_rejected_api_key_fails_at_once(api, calls, sleeps):
    add(api, None, status=401, json={"error": "Invalid API key"})
    with pytest.raises(mso.MsoSyncError, match="API key rejected") as failure:
        run_sync()
    assert "401" in str(failure.value)
    assert "check api_key" in str(failure.value)
    assert len(api.calls) == 1
    assert sleeps == []
    assert calls == []


def test_a_rejected_saved_cursor_names_it_and_suggests_fivetran_reset(api, calls):
    add(api, OLD_CURSOR, status=400, json={"error": "Invalid cursor"})
    with pytest.raises(mso.MsoSyncError) as failure:
        run_sync(state={"cursor": OLD_CURSOR, "pass_started_at": "2026-01-15T08:00:00Z"})
    message = str(failure.value)
    assert OLD_CURSOR in message
    assert "fivetran reset" in message
    assert "Invalid cursor" in message
    assert len(api.calls) == 1
    assert calls == []


def test_a_400_on_the_first_page_is_reported_as_refused(api):
    add(api, None, status=400, json={"error": "page_size must be between 1 and 200"})
    with pytest.raises(mso.MsoSyncError, match="request refused") as failure:
        run_sync()
    assert "page_size must be between 1 and 200" in str(failure.value)
    assert "fivetran reset" not in str(failure.value)
    assert len(api.calls) == 1


def test_malformed_json_fails_after_retries_with_status_and_body_excerpt(api, calls):
    add(api, None, status=200, body="<html><h1>Upstream gateway hiccup</h1></html>")
    with pytest.raises(mso.MsoSyncError) as failure:
        run_sync()
    message = str(failure.value)
    assert "HTTP 200" in message
    assert "<html><h1>Upstream gateway hiccup" in message
    assert f"{MAX_ATTEMPTS} attempts" in message
    assert len(api.calls) == MAX_ATTEMPTS
    assert calls == []


@pytest.mark.parametrize(
    "repeated", [CURSOR_3, CURSOR_2], ids=["cursor-of-the-same-page", "cursor-of-an-earlier-page"]
)
def test_a_repeated_cursor_stops_the_sync_before_the_bad_page_is_written(
    api, calls, checkpoint_every_page, repeated
):
    add(api, None, json=page([record(1), record(2)], CURSOR_2))
    add(api, CURSOR_2, json=page([record(3), record(4)], CURSOR_3))
    add(api, CURSOR_3, json=page([record(5), record(6)], repeated, has_more=True))
    with pytest.raises(mso.MsoSyncError, match="pagination loop") as failure:
        run_sync()
    assert repeated in str(failure.value)
    assert len(api.calls) == 3
    assert "rec-5" not in upserted(calls)
    assert calls[-1] == ("checkpoint", {"cursor": CURSOR_3, "pass_started_at": NOW_TEXT})


def test_has_more_without_next_cursor_stops_the_sync_before_the_bad_page_is_written(
    api, calls, checkpoint_every_page
):
    add(api, None, json=page([record(1), record(2)], CURSOR_2))
    add(api, CURSOR_2, json=page([record(3), record(4)], None, has_more=True))
    with pytest.raises(mso.MsoSyncError, match="has_more but gives no next_cursor") as failure:
        run_sync()
    assert CURSOR_2 in str(failure.value)
    assert upserted(calls) == ["rec-1", "rec-2"]
    assert checkpoints(calls) == [{"cursor": CURSOR_2, "pass_started_at": NOW_TEXT}]


@pytest.mark.parametrize(
    "bad_record",
    [{"material_cost": 1.0}, {"record_id": None}, {"record_id": ""}, "rec-2"],
    ids=["missing", "null", "empty", "not-an-object"],
)
def test_a_record_without_record_id_fails_before_its_page_is_written(api, calls, bad_record):
    add(api, None, json=page([record(1), bad_record], None))
    with pytest.raises(mso.MsoSyncError, match="record 1 of the page .* has no record_id"):
        run_sync()
    assert calls == []


@pytest.mark.parametrize(
    ("record_id", "stored"), [(0, "0"), (17, "17"), (2.5, "2.5"), (False, "false")]
)
def test_any_scalar_record_id_is_accepted_and_stored_as_text(api, calls, record_id, stored):
    # Issue 12, defect 7: record_id 0 was refused as missing.
    add(api, None, json=page([record(1, record_id=record_id)], None))
    run_sync()
    assert upserted(calls) == [stored]


@pytest.mark.parametrize("record_id", [{"a": 1}, [1, 2]], ids=["object", "list"])
def test_an_object_as_record_id_fails_before_its_page_is_written(api, calls, record_id):
    add(api, None, json=page([record(1), record(2, record_id=record_id)], None))
    with pytest.raises(
        mso.MsoSyncError, match="record 1 of the page .* has an object as record_id"
    ):
        run_sync()
    assert calls == []


@pytest.mark.parametrize(
    "state",
    [
        {"cursor": CURSOR_2, "pass_started_at": "yesterday"},
        {"cursor": CURSOR_2, "pass_started_at": 1700000000},
        {"cursor": 42, "pass_started_at": NOW_TEXT},
    ],
    ids=["bad-timestamp", "number-timestamp", "number-cursor"],
)
def test_a_corrupt_saved_state_fails_suggesting_fivetran_reset(api, calls, state):
    # Issue 12, defect 7: the error said only "not an ISO 8601 timestamp".
    with pytest.raises(mso.MsoSyncError, match="saved state is unreadable .*run `fivetran reset`"):
        run_sync(state=state)
    assert calls == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"records": []}, "has no mso_records list"),
        ([], "has no mso_records list"),
        ({"mso_records": [], "next_cursor": None}, "has no boolean has_more"),
    ],
    ids=["wrong-key", "a-list", "no-has-more"],
)
def test_a_page_of_the_wrong_shape_fails(api, calls, body, problem):
    add(api, None, json=body)
    with pytest.raises(mso.MsoSyncError, match=problem):
        run_sync()
    assert calls == []


# --- schema and configuration ---


def test_badly_typed_values_are_written_as_null_and_kept(api, monkeypatch, caplog):
    # Issue 12, defect 4: a bad value failed the whole sync, naming no field or record.
    written = []
    monkeypatch.setattr(mso.op, "upsert", lambda table, data: written.append(data))
    monkeypatch.setattr(mso.op, "checkpoint", lambda state: None)
    bad = record(1, material_cost="n/a", designer_experience=2**40)
    add(api, None, json=page([bad, record(2, material_selection_date="31/12/2024")], None))
    with caplog.at_level("INFO", logger="shared"):
        run_sync()
    assert written[0]["material_cost"] is None and written[0]["designer_experience"] is None
    assert written[0]["_invalid_values"] == {"material_cost": "n/a", "designer_experience": 2**40}
    assert written[1]["_invalid_values"] == {"material_selection_date": "31/12/2024"}
    assert written[0]["material_name"] == "Aluminum 6061"
    messages = [r.getMessage() for r in caplog.records]
    assert sum("value(s) of" in m for m in messages) == 3  # one per field and page
    assert any("of material_cost did not fit DOUBLE" in m and "rec-1" in m for m in messages)
    assert any("3 values did not fit their column types" in m for m in messages)


def test_schema_declares_types_and_the_primary_key():
    (table,) = mso.schema({})
    assert table["table"] == TABLE
    assert table["primary_key"] == ["record_id"]
    columns = table["columns"]
    for name in ("material_cost", "density", "youngs_modulus", "poissons_ratio", "cost_savings"):
        assert columns[name] == "DOUBLE"
    assert columns["material_selection_date"] == "NAIVE_DATE"
    assert columns["material_optimization_date"] == "NAIVE_DATE"
    assert columns["designer_experience"] == "INT"
    assert columns["record_id"] == "STRING"
    assert columns["_invalid_values"] == "JSON"


def test_validate_configuration_applies_the_defaults():
    settings = mso.validate_configuration({"api_key": API_KEY})
    assert settings == {
        "api_key": API_KEY,
        "base_url": "https://sdk-demo-api-dot-internal-sales.uc.r.appspot.com",
        "page_size": 100,
        "full_resync_hours": 168,
    }


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"api_key": None}, "api_key is required"),
        ({"api_key": "<YOUR_API_KEY>"}, "api_key is still the placeholder"),
        ({"page_size": "0"}, "page_size must be an integer between 1 and 200"),
        ({"page_size": "abc"}, "page_size must be an integer between 1 and 200"),
        ({"page_size": "201"}, "page_size must be an integer between 1 and 200"),
        ({"full_resync_hours": "-1"}, "full_resync_hours must be an integer >= 0"),
        ({"base_url": "ftp://example.com"}, "base_url must be an http or https URL"),
        ({"page_sise": "50"}, 'unknown configuration key "page_sise"'),
    ],
    ids=[
        "missing-api-key",
        "placeholder-api-key",
        "page-size-0",
        "page-size-abc",
        "page-size-201",
        "negative-resync-hours",
        "ftp-base-url",
        "misspelt-key",
    ],
)
def test_validate_configuration_names_the_bad_key(overrides, expected):
    with pytest.raises(ValueError) as failure:
        mso.validate_configuration(configuration(**overrides))
    assert expected in str(failure.value)


def test_unknown_key_suggests_the_closest_known_key():
    with pytest.raises(ValueError, match="did you mean page_size"):
        mso.validate_configuration(configuration(page_sise="50"))


def test_update_refuses_a_bad_configuration_before_any_request(api, calls):
    with pytest.raises(ValueError, match="page_size"):
        run_sync(page_size="0")
    assert len(api.calls) == 0
    assert calls == []


# --- secrets ---


def test_the_api_key_never_appears_in_an_error_or_a_log_line(api, calls, monkeypatch):
    logged: list[str] = []
    logging_class = fivetran_connector_sdk.Logging
    monkeypatch.setattr(logging_class, "LOG_LEVEL", logging_class.Level.DEBUG)
    for level in ("debug", "fine", "info", "warning", "error", "severe", "critical"):
        monkeypatch.setattr(logging_class, level, lambda message, *rest: logged.append(message))
    echo = {"error": f"bad request from key {API_KEY}"}
    scenarios = [
        # (state, responses for that state's first request)
        ({}, [{"status": 401, "json": echo}]),
        ({}, [{"status": 400, "json": echo}]),
        ({}, [{"status": 503, "json": echo}] * MAX_ATTEMPTS),
        ({}, [{"status": 200, "body": f"<html>{API_KEY}</html>"}]),
        ({"cursor": OLD_CURSOR, "pass_started_at": NOW_TEXT}, [{"status": 400, "json": echo}]),
    ]
    errors: list[str] = []
    for state, served in scenarios:
        api.reset()
        for response in served:
            add(api, state.get("cursor"), **response)
        with pytest.raises(mso.MsoSyncError) as failure:
            run_sync(state=state)
        errors.append("".join(traceback.format_exception(failure.value)))
    api.reset()
    wrong_key = API_KEY + "-old"
    api.get(URL, status=401, json={"error": f"Invalid API key {wrong_key}"})
    errors.append(mso.check_connection(configuration(api_key=wrong_key)).failure)

    assert len(errors) == len(scenarios) + 1
    assert any("***" in text for text in errors), "the echoed key should show up masked"
    assert any("retry" in line for line in logged), "retry warnings should have been captured"
    for text in errors + logged:
        assert API_KEY not in text
        assert wrong_key not in text


# --- setup test and form ---


def test_check_connection_succeeds_fetching_one_record(api):
    add(api, None, page_size="1", json=page([record(1)], CURSOR_2))
    result = mso.check_connection(configuration(page_size="150"))
    assert result == fivetran_connector_sdk.Test.success()
    assert requested(api) == [page_params(None, page_size="1")]


def test_check_connection_fails_naming_a_rejected_key(api):
    add(api, None, page_size="1", status=401, json={"error": "Invalid API key"})
    result = mso.check_connection(configuration())
    assert result.success is None
    assert "API key rejected" in result.failure
    assert len(api.calls) == 1


def test_check_connection_fails_on_an_invalid_configuration(api):
    result = mso.check_connection(configuration(page_size="abc"))
    assert "page_size" in result.failure
    assert len(api.calls) == 0


def test_check_connection_fails_when_the_source_is_empty(api):
    add(api, None, page_size="1", json=page([], None))
    result = mso.check_connection(configuration())
    assert result.failure == "mso: the API returned no records"


def test_check_connection_retries_only_once(api, sleeps):
    add(api, None, page_size="1", status=503, json={"error": "Service unavailable"})
    result = mso.check_connection(configuration())
    assert "after 2 attempts" in result.failure
    assert len(api.calls) == 2
    assert len(sleeps) == 1


def test_configuration_form_hides_the_api_key_and_registers_the_setup_test():
    form = mso.configuration_form().to_response()
    fields = {field.name: field for field in form.fields}
    assert list(fields) == ["api_key", "base_url", "page_size", "full_resync_hours"]
    assert fields["api_key"].text_field == form_field.TextField.password
    assert fields["api_key"].required
    for name in ("base_url", "page_size", "full_resync_hours"):
        assert fields[name].text_field == form_field.TextField.plain_text
    assert [(test.name, test.label) for test in form.tests] == [
        ("check_connection", "Fetch one MSO record")
    ]


# NOT COMMITTED: fails today. An api_key holding a control character (a newline pasted into
# the middle of it) makes requests raise InvalidHeader quoting the value as a repr; shared/http.py
# puts that text in the ApiError and shared/masking.py only masks the raw registered form, so the
# repr (with "\\n") goes out unmasked in the sync error and the setup test's failure message.
def test_an_api_key_with_a_control_character_is_refused_and_not_echoed(api):
    key = "mso-k3y\nSECRET-tail-9d8e"
    api.get(URL, json=page([record(1)], None))
    failure = mso.check_connection(configuration(api_key=key)).failure
    assert "api_key" in failure and "control character" in failure
    assert "SECRET-tail-9d8e" not in failure
    with pytest.raises(ValueError, match="api_key contains a control character") as error:
        run_sync(api_key=key)
    assert "SECRET-tail-9d8e" not in "".join(traceback.format_exception(error.value))
    assert len(api.calls) == 0  # refused before any request


def test_an_error_the_connector_raises_carries_no_registered_secret():
    # The SDK's crash report hides only the configured values as written (issue 12, defect 2).
    settings = mso.validate_configuration(configuration(api_key=f"  {API_KEY}\n"))
    error = mso.MsoSyncError(f"mso: failed with key {settings['api_key']} in {settings!r}")
    assert API_KEY not in str(error)
    assert API_KEY not in repr(settings)
