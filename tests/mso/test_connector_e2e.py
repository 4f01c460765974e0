"""mso end to end: `fivetran debug` in a subprocess against the loopback MSO simulator."""

import json
from datetime import timedelta

import pytest

from shared.timewindows import format_utc, utc_now
from tests.harness import (
    assert_no_secrets,
    assert_same_tables,
    kill_after_checkpoints,
    kill_after_seconds,
)
from tests.mso.simulator import MsoSimulator

pytestmark = pytest.mark.e2e
API_KEY = "mso-e2e-key-9f3b2c71"


@pytest.fixture
def simulator():
    with MsoSimulator(api_key=API_KEY) as sim:
        yield sim


def configuration(sim, **overrides) -> dict:
    return {"api_key": API_KEY, "base_url": sim.base_url, "page_size": "100", **overrides}


def test_full_sync_writes_every_record_with_exact_values(connector_workspace, simulator):
    workspace = connector_workspace("mso")
    result = workspace.sync(configuration(simulator))
    assert result.succeeded, result.output[-3000:]

    rows = {row["record_id"]: row for row in workspace.rows("mso_records")}
    expected = simulator.records()
    assert len(rows) == len(expected) == 600
    for record in expected[::37]:
        row = rows[record["record_id"]]
        assert row["material_cost"] == record["material_cost"]  # DOUBLE: no 32-bit truncation
        assert row["youngs_modulus"] == record["youngs_modulus"]
        assert row["designer_experience"] == record["designer_experience"]
        date = record["material_selection_date"]
        assert (
            None if row["material_selection_date"] is None else str(row["material_selection_date"])
        ) == date
    types = workspace.column_types("mso_records")
    assert types["material_selection_date"] == "DATE"
    assert types["density"] == "DOUBLE"
    assert types["designer_experience"] == "INTEGER"
    assert_no_secrets([API_KEY], workspace, [result])


def test_transient_faults_are_retried_and_every_row_arrives(connector_workspace, simulator):
    simulator.faults.push(status=429, headers={"Retry-After": "1"})
    simulator.faults.push(status=503, times=3)
    simulator.faults.reset_mid_body_next()
    simulator.faults.fail_every_n(4, status=502)
    workspace = connector_workspace("mso")
    result = workspace.sync(configuration(simulator))
    assert result.succeeded, result.output[-3000:]
    assert workspace.count("mso_records") == 600
    statuses = [request.status for request in simulator.requests]
    assert statuses[:4] == [429, 503, 503, 503]
    assert "Retry-After" in result.output or "retry" in result.output.lower()
    assert_no_secrets([API_KEY], workspace, [result])


def test_second_sync_fetches_only_the_last_page_and_what_was_appended(
    connector_workspace, simulator
):
    workspace = connector_workspace("mso")
    assert workspace.sync(configuration(simulator)).succeeded

    # Unchanged source: only the last page is read again.
    simulator.clear_requests()
    result = workspace.sync()
    assert result.succeeded
    assert [simulator.cursor_offset(r.query.get("cursor")) for r in simulator.requests] == [500]
    assert result.operations["upserts"] == 100

    simulator.append_records(50)
    simulator.clear_requests()
    result = workspace.sync()
    assert result.succeeded
    offsets = [simulator.cursor_offset(r.query.get("cursor")) for r in simulator.requests]
    assert offsets == [500, 600]
    assert workspace.count("mso_records") == 650


def test_full_pass_restarts_after_the_interval_and_picks_up_updates(
    connector_workspace, simulator
):
    workspace = connector_workspace("mso")
    assert workspace.sync(configuration(simulator, full_resync_hours="1")).succeeded
    changed = simulator.update_record(3, material_name="Recycled titanium")

    state = workspace.read_state()
    state["pass_started_at"] = format_utc(utc_now() - timedelta(hours=2))
    simulator.clear_requests()
    assert workspace.sync(state=state).succeeded
    assert "cursor" not in simulator.requests[0].query  # started again at the first page
    row = next(r for r in workspace.rows("mso_records") if r["record_id"] == changed["record_id"])
    assert row["material_name"] == "Recycled titanium"
    assert workspace.read_state()["pass_started_at"] > state["pass_started_at"]


def test_unknown_extra_fields_are_still_written(connector_workspace):
    with MsoSimulator(api_key=API_KEY, extra_fields={"supplier_region": "EU-West"}) as sim:
        workspace = connector_workspace("mso")
        assert workspace.sync(configuration(sim)).succeeded
    assert {row["supplier_region"] for row in workspace.rows("mso_records")} == {"EU-West"}


def test_resume_after_kills_matches_an_uninterrupted_sync(connector_workspace):
    with MsoSimulator(api_key=API_KEY, record_count=12_000) as sim:
        settings = configuration(sim, page_size="200")
        reference = connector_workspace("mso")
        assert reference.sync(settings).succeeded

        resumed = connector_workspace("mso")
        resumed.write_configuration(settings)
        assert kill_after_checkpoints(resumed, 1)  # killed after its first checkpoint (5,000)
        first_cursor = resumed.read_state()["cursor"]
        assert sim.cursor_offset(first_cursor) == 5000
        assert resumed.count("mso_records") == 5000
        assert kill_after_checkpoints(resumed, 1)  # the resumed run, killed again
        assert sim.cursor_offset(resumed.read_state()["cursor"]) == 10_000
        result = resumed.sync()
        assert result.succeeded
        assert result.operations["upserts"] == 2000
    assert_same_tables(resumed, reference, {"mso_records": "record_id"})


def test_resume_after_a_kill_between_checkpoints_matches_an_uninterrupted_sync(
    connector_workspace,
):
    with MsoSimulator(api_key=API_KEY, record_count=8_000) as sim:
        settings = configuration(sim, page_size="200")
        reference = connector_workspace("mso")
        assert reference.sync(settings).succeeded

        sim.faults.delay_seconds = 0.05  # ~40 pages take > 2 s: the kill lands mid-sync
        resumed = connector_workspace("mso")
        resumed.write_configuration(settings)
        assert kill_after_seconds(resumed, 2.5)
        saved = resumed.read_state()
        # Whatever was committed matches the state: nothing past the saved cursor was kept.
        written = resumed.count("mso_records") if resumed.tables() else 0
        assert written == (sim.cursor_offset(saved["cursor"]) if saved else 0)
        sim.faults.delay_seconds = 0
        assert resumed.sync().succeeded
    assert_same_tables(resumed, reference, {"mso_records": "record_id"})


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        # The first page's repeat is only the (new) token of offset 0; the second is the loop.
        ("repeat_cursor_next", "pagination loop"),
        ("has_more_without_cursor_next", "gives no next_cursor"),
    ],
)
def test_broken_pagination_fails_without_moving_the_state(
    connector_workspace, simulator, fault, message
):
    workspace = connector_workspace("mso")
    getattr(simulator.faults, fault)(3)
    result = workspace.sync(configuration(simulator))
    assert not result.succeeded
    assert message in result.output
    assert workspace.read_state() == {}
    assert workspace.tables() == [] or workspace.count("mso_records") == 0


def test_outage_mid_sync_fails_loudly_and_keeps_the_last_good_state(
    connector_workspace, simulator
):
    workspace = connector_workspace("mso")
    assert workspace.sync(configuration(simulator)).succeeded
    before = workspace.read_state()
    simulator.append_records(400)
    simulator.faults.fail_after(2, status=500)  # two pages, then the API is down for good
    result = workspace.sync()
    assert not result.succeeded
    assert "SYNC FAILED" in result.output and "retries" in result.output.lower()
    assert workspace.read_state() == before  # no checkpoint: nothing was committed
    assert workspace.count("mso_records") == 600
    assert_no_secrets([API_KEY], workspace, [result])


def test_malformed_json_that_persists_fails_with_status_and_excerpt(
    connector_workspace, simulator
):
    simulator.faults.malformed_body_next(20)
    workspace = connector_workspace("mso")
    result = workspace.sync(configuration(simulator))
    assert not result.succeeded
    assert "200" in result.output and "malformed" in result.output.lower()
    assert workspace.read_state() == {}


def test_wrong_api_key_fails_at_once_without_retries(connector_workspace, simulator):
    workspace = connector_workspace("mso")
    wrong_key = "wrong-key-but-still-secret"
    result = workspace.sync({**configuration(simulator), "api_key": wrong_key})
    assert not result.succeeded
    assert "API key rejected" in result.output
    assert len(simulator.requests) == 1
    assert_no_secrets([wrong_key], workspace, [result])


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"api_key": None}, "api_key"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_sise": "50"}, "page_sise"),
        ({"api_key": "<YOUR_API_KEY>"}, "api_key"),
        ({"api_key": "abc"}, "api_key looks too short to be a real key"),
        ({"api_key": "mso\u2011key\u2011with\u2011dashes"}, "api_key contains a character"),
        ({"base_url": "http://127.0.0.1:9/api?x=1"}, "base_url must be the root of the API"),
    ],
)
def test_bad_configuration_fails_naming_the_key(connector_workspace, simulator, change, key):
    settings = {k: v for k, v in {**configuration(simulator), **change}.items() if v is not None}
    workspace = connector_workspace("mso")
    result = workspace.sync(settings)
    assert not result.succeeded
    failure = result.output[max(0, result.output.index("SYNC FAILED") - 2000) :]
    assert key in failure
    assert simulator.requests == []  # nothing was fetched with a bad configuration


@pytest.mark.parametrize("padding", [" ", "\n"])
def test_a_padded_key_stays_out_of_the_crash_report_of_a_failing_sync(
    connector_workspace, simulator, padding
):
    # The SDK's crash report hides the configured value exactly as written; the connector uses
    # it stripped, and that form must not reach the disk either (issue 12, defect 2).
    simulator.faults.push(status=200, body={"unexpected": "shape"})
    workspace = connector_workspace("mso")
    result = workspace.sync(configuration(simulator, api_key=API_KEY + padding))
    assert not result.succeeded
    assert "has no mso_records list" in result.output
    assert workspace.crash_reports(), "the failing sync wrote no crash report to scan"
    assert_no_secrets([API_KEY], workspace, [result])


def test_badly_typed_values_are_written_as_null_with_originals_kept(
    connector_workspace, simulator
):
    # Issue 12, defect 4 (and 7: record_id 0, an object in a STRING column, NUL characters).
    bad = {
        1: {"material_cost": "n/a"},
        2: {"material_selection_date": "31/12/2024"},
        3: {"designer_experience": "ten"},
        4: {"designer_experience": 2**40},
        5: {"material_name": "Alu\ud800minium"},
        150: {"material_cost": "n/a"},
    }
    for index, fields in bad.items():
        simulator.update_record(index, **fields)
    simulator.update_record(6, record_id=0)
    simulator.update_record(7, product_description={"text": "nested", "lang": "en"})
    simulator.update_record(8, cad_file_name="File\x00 9.dwg")
    ids = {index: simulator.record(index)["record_id"] for index in bad}

    workspace = connector_workspace("mso")
    result = workspace.sync(configuration(simulator))
    assert result.succeeded, result.output[-3000:]
    rows = {row["record_id"]: row for row in workspace.rows("mso_records")}
    assert len(rows) == 600
    for index, fields in bad.items():
        [(name, value)] = fields.items()
        row = rows[ids[index]]
        assert row[name] is None
        kept = json.loads(row["_invalid_values"])
        assert kept == {
            name: value.encode("utf-8", "backslashreplace").decode()
            if isinstance(value, str)
            else value
        }
        assert f"of {name} did not fit" in result.output and ids[index] in result.output
    assert "6 values did not fit their column types" in result.output
    assert rows["0"]["material_id"] == "MTRL_0006"
    assert json.loads(rows[simulator.record(7)["record_id"]]["product_description"]) == {
        "text": "nested",
        "lang": "en",
    }
    # Fivetran Core removes NUL characters from text: the original is kept and the loss noted.
    with_nul = rows[simulator.record(8)["record_id"]]
    assert with_nul["cad_file_name"] == "File 9.dwg"
    assert json.loads(with_nul["_invalid_values"]) == {"cad_file_name": "File\x00 9.dwg"}
    assert "value(s) of cad_file_name hold NUL characters" in result.output
    good = rows[simulator.record(9)["record_id"]]
    assert good["_invalid_values"] is None and good["material_cost"] is not None
