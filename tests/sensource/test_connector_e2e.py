"""sensource end to end: `fivetran debug` in a subprocess against the loopback SenSource simulator.

Every run happens at a fixed moment of yesterday: the simulator's clock is frozen there and the
connector's process clock is shifted there (see conftest.py), so hours never depend on when the
tests run and two runs see identical data.
"""

import datetime as dt

import pytest

from shared.timewindows import format_utc, parse_utc
from tests.harness import assert_no_secrets, assert_same_tables, kill_after_checkpoints
from tests.sensource.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    clock_env,
    configuration,
    yesterday_at,
)

pytestmark = pytest.mark.e2e
HOUR = dt.timedelta(hours=1)
KEYS = {"traffic": "zone_id", "occupancy": "space_id"}
METRICS = {
    "traffic": ("sumins", "sumouts"),
    "occupancy": ("maxoccupancy", "minoccupancy", "avgoccupancy"),
}
STATIC_KEYS = {kind: f"{kind}_id" for kind in ("location", "site", "zone", "space", "sensor")}


def written(workspace, table: str) -> dict:
    """{(entity id, hour as ...Z): (metrics...)} of the live rows of an hourly table."""
    return {
        (row[KEYS[table]], format_utc(parse_utc(row["record_date_hour_1"]))): tuple(
            row[metric] for metric in METRICS[table]
        )
        for row in workspace.rows(table, include_deleted=False)
    }


def served(sim, table: str, start: dt.datetime, end: dt.datetime) -> dict:
    """The same mapping for what the simulator serves now for [start, end)."""
    key = "zoneId" if table == "traffic" else "spaceId"
    return {
        (row[key], format_utc(parse_utc(row["recordDate_hour_1"]))): tuple(
            row[metric] for metric in METRICS[table]
        )
        for row in sim.rows(table, start, end)
    }


def data_windows(sim, table: str) -> list[tuple[str, str]]:
    return [
        (request.query["startDate"], request.query["endDate"])
        for request in sim.calls(f"/api/data/{table}")
        if request.status == 200
    ]


def test_backfill_outlives_its_tokens_and_writes_every_hour_exactly(
    connector_workspace, make_simulator
):
    moment = yesterday_at(10)
    sim = make_simulator(moment, history_days=3, token_max_calls=3, wrap_static=True)
    sim.faults.push(status=429, headers={"Retry-After": "1"})  # the token endpoint, throttled
    sim.faults.push(status=503)
    sim.faults.reset_mid_body_next()
    start = moment.replace(hour=0, minute=0) - 2 * 24 * HOUR
    workspace = connector_workspace("sensource", env=clock_env(moment))
    result = workspace.sync(configuration(sim, start_date=start.date().isoformat()))
    assert result.succeeded, result.output[-3000:]

    current_hour = moment.replace(minute=0)
    for table in ("traffic", "occupancy"):
        assert written(workspace, table) == served(sim, table, start, current_hour + HOUR)
        assert result.state[f"{table}_cursor"] == format_utc(current_hour)
    # 58 hours of data in 1-day windows: 3 + 3 windows and 5 lists, 3 calls per token.
    refused = [r for r in sim.requests if r.status == 401]
    # The first token took 4 requests: 429, 503, a body cut by a reset, then success.
    assert [r.status for r in sim.calls("/oauth/token")][:2] == [429, 503]
    assert len(refused) >= 3 and sim.token_requests == 4 + len(refused)
    for position, request in enumerate(sim.requests[:-1]):
        if request.status == 401:  # refreshed, then the same call again
            after = [r for r in sim.requests[position + 1 :] if r.path != "/oauth/token"][0]
            assert (after.path, after.query, after.status) == (request.path, request.query, 200)
    types = workspace.column_types("traffic")
    assert types["record_date_hour_1"] == "TIMESTAMP WITH TIME ZONE"
    assert (
        types["sumins"] == "BIGINT"
        and workspace.column_types("occupancy")["avgoccupancy"] == "DOUBLE"
    )
    location = workspace.rows("location")[0]
    assert location["timezone"] == "America/New_York" and '"city"' in location["address"]
    assert {t: workspace.count(t) for t in STATIC_KEYS} == {
        "location": 1,
        "site": 1,
        "zone": 3,
        "space": 2,
        "sensor": 3,
    }
    assert_no_secrets([CLIENT_ID, CLIENT_SECRET, *sim.issued_tokens], workspace, [result])


def test_truncated_windows_are_split_until_every_hour_is_complete(
    connector_workspace, make_simulator
):
    moment = yesterday_at(20)
    sim = make_simulator(moment, history_days=2, row_cap=20)  # 3 zones: 6 hours fit, 7 do not
    workspace = connector_workspace("sensource", env=clock_env(moment))
    start = moment.replace(hour=0, minute=0) - 24 * HOUR
    result = workspace.sync(configuration(sim, start_date=start.date().isoformat()))
    assert result.succeeded, result.output[-3000:]
    assert "result truncated to 20 rows" in result.output
    end = moment.replace(minute=0) + HOUR
    assert written(workspace, "traffic") == served(sim, "traffic", start, end)
    # Each window is either cut short (then retried from the same hour at half the length) or
    # written (then the next starts where it ended); smaller windows are kept once split.
    position, first_cut = start, None
    for number, (window_start, window_end) in enumerate(data_windows(sim, "traffic")):
        window = (parse_utc(window_start), parse_utc(window_end))
        assert window[0] == position
        if len(sim.rows("traffic", *window)) > 20:
            first_cut = first_cut or (number, window[1] - window[0])
        else:
            position = window[1]
        if first_cut and number > first_cut[0]:
            assert window[1] - window[0] <= first_cut[1] / 2
    assert position == end and first_cut is not None


def test_a_truncated_single_hour_fails_loudly_without_moving_the_cursor(
    connector_workspace, make_simulator
):
    moment = yesterday_at(5)
    sim = make_simulator(moment, history_days=1, row_cap=2)  # 3 zones in one hour: too many
    workspace = connector_workspace("sensource", env=clock_env(moment))
    result = workspace.sync(configuration(sim, start_date=moment.date().isoformat()))
    assert not result.succeeded
    assert "for the single hour" in result.output and "still truncated" in result.output
    state = workspace.read_state() or {}
    assert "traffic_cursor" not in state


def test_a_later_same_day_sync_reads_the_new_hours_corrects_the_filling_one_and_soft_deletes(
    connector_workspace, make_simulator
):
    morning = yesterday_at(9, 40)
    sim = make_simulator(morning, history_days=2)
    settings = configuration(sim, start_date=morning.date().isoformat(), lookback_hours="2")
    workspace = connector_workspace("sensource", env=clock_env(morning))
    assert workspace.sync(settings).succeeded
    filling = written(workspace, "traffic")
    nine = format_utc(morning.replace(minute=0))
    assert max(hour for _, hour in filling) == nine  # the still-filling hour, counts so far

    later = yesterday_at(13, 10)
    sim.clock.moment = later
    removed_zone = sim.entities["zone"][0]["zoneId"]
    sim.remove("zone", removed_zone)
    sim.clear_requests()
    workspace.env.update(clock_env(later))
    result = workspace.sync()
    assert result.succeeded, result.output[-3000:]

    # One window per data type, from lookback_hours before the cursor to the current hour's end.
    expected_window = (
        format_utc(morning.replace(minute=0) - 2 * HOUR),
        format_utc(later.replace(minute=0) + HOUR),
    )
    assert data_windows(sim, "traffic") == data_windows(sim, "occupancy") == [expected_window]
    assert len(sim.calls("/api/zone")) == 1 and sim.token_requests == 1
    now_written = written(workspace, "traffic")
    for (zone, hour), values in served(
        sim, "traffic", parse_utc(expected_window[0]), parse_utc(expected_window[1])
    ).items():
        assert now_written[(zone, hour)] == values
    corrected = [key for key in filling if key[1] == nine and key[0] != removed_zone]
    assert any(now_written[key] != filling[key] for key in corrected)  # grown since
    assert max(hour for _, hour in now_written) == format_utc(later.replace(minute=0))
    zones = {row["zone_id"]: row["_fivetran_deleted"] for row in workspace.rows("zone")}
    assert zones[removed_zone] is True and sum(not d for d in zones.values()) == 2


def test_resume_after_a_kill_matches_an_uninterrupted_sync(connector_workspace, make_simulator):
    moment = yesterday_at(15)
    sim = make_simulator(moment, history_days=4)
    settings = configuration(sim, start_date=(moment - 3 * 24 * HOUR).date().isoformat())
    reference = connector_workspace("sensource", env=clock_env(moment))
    assert reference.sync(settings).succeeded

    resumed = connector_workspace("sensource", env=clock_env(moment))
    resumed.write_configuration(settings)
    assert kill_after_checkpoints(resumed, 7)  # 5 lists, then 2 traffic windows
    assert resumed.read_state()["traffic_cursor"] == format_utc(
        (moment - 3 * 24 * HOUR).replace(hour=0, minute=0) + 2 * 24 * HOUR
    )
    resumed.env.update(clock_env(moment))
    assert resumed.sync().succeeded
    assert_same_tables(resumed, reference, STATIC_KEYS)
    for table in ("traffic", "occupancy"):
        assert written(resumed, table) == written(reference, table)


@pytest.mark.parametrize("days_ahead", [0, 3])
def test_start_date_today_or_in_the_future_does_not_crash(
    connector_workspace, make_simulator, days_ahead
):
    moment = yesterday_at(7)
    sim = make_simulator(moment, history_days=2)
    start = moment.date() + dt.timedelta(days=days_ahead)
    workspace = connector_workspace("sensource", env=clock_env(moment))
    result = workspace.sync(configuration(sim, start_date=start.isoformat()))
    assert result.succeeded, result.output[-3000:]
    assert workspace.count("zone") == 3
    if days_ahead:
        assert sim.calls("/api/data/traffic") == [] and "in the future" in result.output
        assert "traffic_cursor" not in result.state
    else:
        hours = {hour for _, hour in written(workspace, "traffic")}
        assert hours == {format_utc(moment.replace(hour=h, minute=0)) for h in range(8)}


def test_wrong_client_credentials_fail_at_once_and_stay_secret(
    connector_workspace, make_simulator
):
    moment = yesterday_at(7)
    sim = make_simulator(moment)
    wrong = "wrong-secret-but-still-secret"
    workspace = connector_workspace("sensource", env=clock_env(moment))
    result = workspace.sync({**configuration(sim), "client_secret": wrong})
    assert not result.succeeded
    assert f"client credentials rejected by {sim.token_url} (401)" in result.output
    assert len(sim.requests) == 1
    assert_no_secrets([wrong, CLIENT_ID], workspace, [result])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"static_endpoints": "location,zones"}, "zones"),
        ({"occupancy_metrics": "occupancy(median)"}, "occupancy(median)"),
        ({"client_secret": None}, "client_secret is required"),
        ({"window_days": "0"}, "window_days"),
    ],
)
def test_bad_configuration_fails_before_any_request(
    connector_workspace, make_simulator, change, message
):
    sim = make_simulator(yesterday_at(7))
    settings = {k: v for k, v in {**configuration(sim), **change}.items() if v is not None}
    workspace = connector_workspace("sensource")
    result = workspace.sync(settings)
    assert not result.succeeded
    assert message in result.output
    assert sim.requests == []
