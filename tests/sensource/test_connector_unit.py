"""sensource pieces: configuration, names, response checks, starting hours, error advice."""

import datetime as dt

import pytest
import responses

from shared.masking import clear_secrets
from tests.harness import load_connector_module

connector = load_connector_module("sensource")
UTC = dt.UTC
START = dt.datetime(2025, 12, 1, tzinfo=UTC)
END = START + dt.timedelta(hours=3)
BASE = {"client_id": "id-1234", "client_secret": "secret-5678"}


def setup_function():
    clear_secrets()


def settings(**overrides):
    return connector.validate_configuration({**BASE, **overrides})


def test_defaults_follow_the_issue():
    config = settings()
    assert config["traffic_metrics"] == ["ins", "outs"]
    assert config["occupancy_metrics"] == ["occupancy(max)", "occupancy(min)", "occupancy(avg)"]
    assert config["static_endpoints"] == ["location", "site", "zone", "space", "sensor"]
    assert config["start_date"] == dt.date(2022, 1, 1)
    assert (config["window_days"], config["lookback_hours"]) == (30, 2)
    assert config["auth_url"] == "https://auth.sensourceinc.com/oauth/token"
    assert config["base_url"] == "https://vea.sensourceinc.com/api"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"static_endpoints": "zone,sensors"}, "unknown endpoint(s) sensors"),
        ({"traffic_metrics": "ins(median)"}, "traffic_metrics: 'ins(median)'"),
        ({"traffic_metrics": ","}, "traffic_metrics must name at least one metric"),
        ({"start_date": "2025-13-01"}, "start_date"),
        ({"lookback_hours": "-1"}, "lookback_hours"),
    ],
)
def test_bad_configuration_names_the_key(overrides, message):
    with pytest.raises(ValueError, match=None) as raised:
        settings(**overrides)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("zoneId", "zone_id"),
        ("recordDate_hour_1", "record_date_hour_1"),
        ("sumins", "sumins"),
        ("serialNumber", "serial_number"),
        ("address2", "address_2"),
        ("HTTPStatus", "http_status"),
        ("record_date_hour_1", "record_date_hour_1"),
    ],
)
def test_snake_case_matches_the_default_naming_and_is_stable(name, snake):
    assert connector.snake_case(name) == snake
    assert connector.snake_case(snake) == snake


def test_metric_columns_and_types():
    assert connector.metric_column("ins") == ("sumins", "sum")
    assert connector.metric_column("occupancy(max)") == ("maxoccupancy", "max")
    typings = {t.table: t for t in connector.hourly_typings(settings())}
    assert typings["traffic"].columns["sumouts"] == "LONG"
    assert typings["occupancy"].columns["avgoccupancy"] == "DOUBLE"
    assert typings["occupancy"].columns["record_date_hour_1"] == "UTC_DATETIME"
    assert typings["traffic"].primary_key == ["zone_id", "record_date_hour_1"]


def test_a_count_that_does_not_fit_is_nulled_and_kept_and_the_row_still_written():
    traffic = {t.table: t for t in connector.hourly_typings(settings())}["traffic"]
    record = {
        "zone_id": "Z1",
        "record_date_hour_1": "2025-12-01T01:00:00.000Z",
        "sumins": "n/a",
        "sumouts": 1e19,
    }
    written = connector.typed_row(traffic, record, "a window")
    assert written["zone_id"] == "Z1" and written["record_date_hour_1"] == "2025-12-01T01:00:00Z"
    assert written["sumins"] is None and written["sumouts"] is None
    assert written["_invalid_values"] == {"sumins": "n/a", "sumouts": 1e19}
    assert traffic.invalid_total == 2


def test_an_hour_that_is_not_a_timestamp_fails_naming_the_table_and_window():
    traffic = {t.table: t for t in connector.hourly_typings(settings())}["traffic"]
    record = {"zone_id": "Z1", "record_date_hour_1": "yesterday", "sumins": 1}
    with pytest.raises(connector.SenSourceSyncError, match="traffic a window: primary key"):
        connector.typed_row(traffic, record, "a window")


def row(zone="Z1", hour="2025-12-01T01:00:00.000Z", **extra):
    return {"zoneId": zone, "name": "Entrance", "recordDate_hour_1": hour, "sumins": 3, **extra}


def test_parse_window_returns_snake_case_rows_inside_the_window():
    payload = {"messages": [], "results": [row(), row(hour="2025-12-01T03:00:00.000Z")]}
    rows, truncation = connector.parse_window(payload, "traffic", START, END)
    assert truncation is None
    assert rows == [
        {
            "zone_id": "Z1",
            "name": "Entrance",
            "record_date_hour_1": "2025-12-01T01:00:00.000Z",
            "sumins": 3,
        }
    ]  # the 03:00 row is outside [00:00, 03:00) and dropped


def test_parse_window_reports_truncation_and_fails_on_api_errors():
    truncated = {"type": "warning", "message": "result truncated to 5 rows"}
    _, truncation = connector.parse_window(
        {"messages": [truncated], "results": [row()]}, "traffic", START, END
    )
    assert truncation == "result truncated to 5 rows"
    with pytest.raises(connector.SenSourceSyncError, match="the API reported an error: boom"):
        connector.parse_window(
            {"messages": [{"type": "error", "message": "boom"}], "results": []},
            "traffic",
            START,
            END,
        )


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"messages": []},
        {"results": [row(zone="")]},
        {"results": [row(hour="yesterday")]},
        {"results": ["not an object"]},
    ],
)
def test_parse_window_refuses_malformed_responses(payload):
    with pytest.raises(connector.SenSourceSyncError):
        connector.parse_window(payload, "traffic", START, END)


def test_parse_static_accepts_arrays_and_wrapped_results():
    zones = [{"zoneId": "Z1", "name": "A"}]
    assert connector.parse_static(zones, "zone") == zones
    assert connector.parse_static({"results": zones}, "zone") == zones
    with pytest.raises(connector.SenSourceSyncError, match="has no zoneId"):
        connector.parse_static([{"name": "A"}], "zone")
    with pytest.raises(connector.SenSourceSyncError, match="neither a list"):
        connector.parse_static({"data": zones}, "zone")


def test_to_row_keeps_nested_values_as_json_text():
    assert connector.to_row({"siteId": "S", "address": {"city": "Columbus"}}) == {
        "site_id": "S",
        "address": '{"city": "Columbus"}',
    }


def test_starting_hour_is_the_start_date_then_lookback_before_the_cursor():
    config = settings(start_date="2025-12-01", lookback_hours="2")
    assert connector.starting_hour(config, {}, "traffic") == START
    state = {"traffic_cursor": "2025-12-03T10:00:00Z"}
    assert connector.starting_hour(config, state, "traffic") == dt.datetime(
        2025, 12, 3, 8, tzinfo=UTC
    )
    early = {"traffic_cursor": "2025-12-01T01:00:00Z"}
    assert connector.starting_hour(config, early, "traffic") == START  # never before start_date


def test_a_data_call_refused_after_a_refresh_gives_advice():
    config = settings(base_url="https://api.example.com", auth_url="https://auth.example.com/t")
    session, auth = connector.api_session(config, max_retries=0)
    with responses.RequestsMock() as mocked:
        mocked.post(config["auth_url"], json={"access_token": "tok-0001", "expires_in": 3600})
        mocked.get("https://api.example.com/zone", status=401, json={"error": "invalid_token"})
        with pytest.raises(connector.SenSourceSyncError) as raised:
            connector.fetch_static(session, config, "zone")
    assert "even with a freshly issued token" in str(raised.value)
    assert auth.token_requests == 2  # refreshed once, then the refusal is reported


def test_a_rejected_metric_gives_advice_naming_the_key():
    config = settings(base_url="https://api.example.com", auth_url="https://auth.example.com/t")
    session, _ = connector.api_session(config, max_retries=0)
    with responses.RequestsMock() as mocked:
        mocked.post(config["auth_url"], json={"access_token": "tok-0001", "expires_in": 3600})
        mocked.get("https://api.example.com/data/traffic", status=400, json={"error": "metric"})
        with pytest.raises(connector.SenSourceSyncError, match="check traffic_metrics"):
            connector.fetch_window(session, config, "traffic", START, END)
