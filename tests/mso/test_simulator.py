"""Tests for the Manufacturing MSO API simulator, over a real socket with ``requests``."""

from __future__ import annotations

import re
import signal
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.mso.simulator import RECORD_FIELDS, MsoSimulator, generate_record

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY = "secret-key"
HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def sim():
    with MsoSimulator(api_key=KEY, record_count=600, seed=7) as sim:
        yield sim


@pytest.fixture
def session():
    with requests.Session() as s:
        s.headers["api_key"] = KEY
        yield s


def get(sim, session, page_size=None, cursor=None, timeout=5):
    params = {}
    if page_size is not None:
        params["page_size"] = page_size
    if cursor is not None:
        params["cursor"] = cursor
    return session.get(f"{sim.base_url}/mso_data", params=params, timeout=timeout)


def fetch_all(sim, session, page_size=100, cursor=None):
    """Follow cursors to the end; returns (records, cursors used per page, last page's cursor)."""
    records, cursors = [], []
    while True:
        cursors.append(cursor)
        r = get(sim, session, page_size, cursor)
        assert r.status_code == 200, r.text
        body = r.json()
        records += body["mso_records"]
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return records, cursors
        cursor = body["next_cursor"]


# -- paging -----------------------------------------------------------------------------------


def test_pages_through_all_records_in_stable_order_without_duplicates(sim, session):
    records, cursors = fetch_all(sim, session, page_size=100)
    ids = [r["record_id"] for r in records]
    assert len(ids) == len(set(ids)) == 600
    assert records == sim.records()
    assert [r["material_id"] for r in records[:3]] == ["MTRL_0000", "MTRL_0001", "MTRL_0002"]
    assert records[599]["material_id"] == "MTRL_0599"
    # the request log shows exactly which pages were fetched
    log = sim.requests
    assert len(log) == 6
    assert [r.query.get("cursor") for r in log] == cursors
    assert cursors[0] is None and all(HEX32.match(c) for c in cursors[1:])
    assert all(r.query["page_size"] == "100" for r in log)
    # a second pass sees the same order and the same cursors
    assert fetch_all(sim, session, page_size=100) == (records, cursors)


def test_page_sizes(sim, session):
    body = get(sim, session).json()  # default page size
    assert len(body["mso_records"]) == 100 and body["has_more"] is True
    records, cursors = fetch_all(sim, session, page_size=200)
    assert len(records) == 600 and len(cursors) == 3
    records, cursors = fetch_all(sim, session, page_size=7)
    assert records == sim.records() and len(cursors) == 86


def test_empty_dataset():
    with MsoSimulator(api_key=KEY, record_count=0) as sim:
        r = requests.get(f"{sim.base_url}/mso_data", headers={"api_key": KEY}, timeout=5)
        assert r.json() == {"mso_records": [], "next_cursor": None, "has_more": False}


def test_cursors_are_opaque_stable_and_server_side(sim, session):
    first = get(sim, session, 100).json()["next_cursor"]
    assert HEX32.match(first)
    offset_forms = {"100", "64", "0x64", f"{100:032x}", f"{100:x}".zfill(32)}
    assert first not in offset_forms
    assert sim.cursor_offset(first) == 100
    # the same offset gets the same token, even with a different page size
    assert get(sim, session, 100).json()["next_cursor"] == first
    assert (
        get(sim, session, 50, get(sim, session, 50).json()["next_cursor"]).json()["next_cursor"]
        == first
    )
    # tokens are keyed by the seed: another seed rejects them (and a forged one is refused) ...
    with MsoSimulator(api_key=KEY, record_count=600, seed=sim.seed + 1) as other:
        other_first = get(other, session, 100).json()["next_cursor"]
        assert other_first != first
        r = get(other, session, 100, first)
        assert r.status_code == 400 and "error" in r.json()
        forged = first[:-1] + ("0" if first[-1] != "0" else "1")
        assert get(other, session, 100, forged).status_code == 400
    # ... while a new process with the same seed accepts them (a demo's second run resumes)
    with MsoSimulator(api_key=KEY, record_count=600, seed=sim.seed) as restarted:
        r = get(restarted, session, 100, first)
        assert r.status_code == 200
        assert r.json()["mso_records"][0] == sim.record(100)


def test_rerequesting_last_cursor_after_append_returns_new_records(sim, session):
    records, cursors = fetch_all(sim, session, page_size=100)
    last_cursor = cursors[-1]
    new = sim.append_records(30)
    assert list(new) == list(range(600, 630)) and sim.record_count == 630

    body = get(sim, session, 100, last_cursor).json()
    assert body["mso_records"] == records[500:]  # the full last page, unchanged
    assert body["has_more"] is True
    tail = get(sim, session, 100, body["next_cursor"]).json()
    assert [r["material_id"] for r in tail["mso_records"]] == [
        f"MTRL_{i:04d}" for i in range(600, 630)
    ]
    assert tail["has_more"] is False and tail["next_cursor"] is None
    ids = {r["record_id"] for r in records + tail["mso_records"]}
    assert len(ids) == 630


def test_partial_last_page_grows_in_place_after_append(session):
    with MsoSimulator(api_key=KEY, record_count=550) as sim:
        records, cursors = fetch_all(sim, session, page_size=100)
        assert len(records) == 550
        sim.append_records(10)
        body = get(sim, session, 100, cursors[-1]).json()
        assert body["mso_records"] == sim.records(500, 560)
        assert body["has_more"] is False and body["next_cursor"] is None


def test_empty_cursor_param_means_first_page(sim, session):
    assert get(sim, session, 5, "").json()["mso_records"] == sim.records(0, 5)


# -- errors -----------------------------------------------------------------------------------


def test_auth(sim):
    url = f"{sim.base_url}/mso_data"
    r = requests.get(url, timeout=5)
    assert r.status_code == 401 and "error" in r.json()
    r = requests.get(url, headers={"api_key": "wrong"}, timeout=5)
    assert r.status_code == 401 and "error" in r.json()
    assert requests.get(url, headers={"x-api-key": KEY}, timeout=5).status_code == 200
    # auth is checked before parameters
    r = requests.get(url, params={"page_size": 0}, headers={"api_key": "wrong"}, timeout=5)
    assert r.status_code == 401


@pytest.mark.parametrize("page_size", ["0", "201", "-5", "abc", "1.5", ""])
def test_bad_page_size(sim, session, page_size):
    r = get(sim, session, page_size)
    assert r.status_code == 400
    assert "page_size" in r.json()["error"]


def test_page_size_bounds_accepted(sim, session):
    assert len(get(sim, session, 1).json()["mso_records"]) == 1
    assert len(get(sim, session, 200).json()["mso_records"]) == 200


def test_unknown_cursor(sim, session):
    for cursor in ["0" * 32, "deadbeef" * 4, "100", "not-a-cursor"]:
        r = get(sim, session, 100, cursor)
        assert r.status_code == 400 and r.json() == {"error": "Invalid cursor"}


def test_unknown_path_is_404(sim, session):
    assert session.get(f"{sim.base_url}/mso", timeout=5).status_code == 404


# -- record content ---------------------------------------------------------------------------


def test_record_fields_types_and_nulls(sim):
    records = sim.records()
    assert len(RECORD_FIELDS) == 30
    nulls = 0
    for rec in records:
        assert tuple(rec) == RECORD_FIELDS
        assert str(uuid.UUID(rec["record_id"])) == rec["record_id"]
        for name in ("material_selection_date", "material_optimization_date"):
            assert rec[name] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", rec[name])
        assert rec["designer_experience"] is None or type(rec["designer_experience"]) is int
        nulls += sum(value is None for value in rec.values())
    optional_values = len(records) * (len(RECORD_FIELDS) - 1)
    assert 0.01 < nulls / optional_values < 0.035
    # floats carry more precision than a 32-bit float can hold
    weights = [r["material_weight"] for r in records if r["material_weight"] is not None]
    assert all(type(w) is float for w in weights)
    as_float32 = [struct.unpack("f", struct.pack("f", w))[0] for w in weights]
    assert sum(a != b for a, b in zip(weights, as_float32, strict=True)) > 0.99 * len(weights)
    assert len(set(r["record_id"] for r in records)) == 600


def test_records_are_deterministic_per_seed():
    assert generate_record(123, seed=1) == generate_record(123, seed=1)
    assert generate_record(123, seed=1) != generate_record(123, seed=2)
    assert generate_record(123, seed=1) != generate_record(124, seed=1)
    assert MsoSimulator(seed=3).records(0, 10) == MsoSimulator(seed=3).records(0, 10)


def test_extra_fields_are_served(sim, session):
    sim.extra_fields = {"supplier_region": "EMEA", "certifications": ["ISO 9001"]}
    rec = get(sim, session, 1).json()["mso_records"][0]
    assert rec["supplier_region"] == "EMEA" and rec["certifications"] == ["ISO 9001"]
    assert set(RECORD_FIELDS) < set(rec)
    with MsoSimulator(api_key=KEY, extra_fields={"plant": "P1"}) as other:
        assert get(other, session, 1).json()["mso_records"][0]["plant"] == "P1"


def test_update_record_changes_earlier_record_in_place(sim, session):
    before = sim.record(5)
    after = sim.update_record(
        5, material_cost=123.456789012345, product_lifecycle_status="Retired"
    )
    assert after["record_id"] == before["record_id"]
    records, _ = fetch_all(sim, session)
    assert records[5] == after != before
    assert records[5]["material_cost"] == 123.456789012345
    with pytest.raises(IndexError):
        sim.update_record(600, material_cost=1.0)


def test_large_dataset_is_lazy_and_pages_are_fast(session):
    start = time.perf_counter()
    sim = MsoSimulator(api_key=KEY, record_count=100_000)
    assert time.perf_counter() - start < 0.1
    with sim:
        get(sim, session, 200)  # warm up the connection
        cursor = None
        start = time.perf_counter()
        for _ in range(5):
            body = get(sim, session, 200, cursor).json()
            cursor = body["next_cursor"]
        per_page = (time.perf_counter() - start) / 5
        assert len(body["mso_records"]) == 200 and body["has_more"] is True
        assert per_page < 0.25, f"{per_page * 1000:.1f} ms per 200-record page"
        assert sim.record(99_999)["material_id"] == "MTRL_99999"


# -- fault knobs ------------------------------------------------------------------------------


def test_429_with_retry_after(sim, session):
    sim.faults.push(status=429, headers={"Retry-After": "1"})
    r = get(sim, session, 100)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert get(sim, session, 100).status_code == 200


def test_503_burst_then_ok(sim, session):
    sim.faults.push(status=503, times=3)
    assert [get(sim, session, 100).status_code for _ in range(4)] == [503, 503, 503, 200]


def test_malformed_body(sim, session):
    sim.faults.malformed_body_next()
    r = get(sim, session, 100)
    assert r.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        r.json()
    assert len(get(sim, session, 100).json()["mso_records"]) == 100


def test_reset_mid_body(sim, session):
    sim.faults.reset_mid_body_next()
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        get(sim, session, 200)
    assert get(sim, session, 200).status_code == 200


def test_delay(sim, session):
    sim.faults.delay_seconds = 0.5
    with pytest.raises(requests.Timeout):
        get(sim, session, 100, timeout=0.1)


def test_fail_every_n(sim, session):
    sim.faults.fail_every_n(2, status=502)
    assert [get(sim, session, 10).status_code for _ in range(4)] == [200, 502, 200, 502]


def test_repeat_cursor(sim, session):
    first = get(sim, session, 100).json()
    sim.faults.repeat_cursor_next()
    second = get(sim, session, 100, first["next_cursor"]).json()
    assert second["next_cursor"] == first["next_cursor"] and second["has_more"] is True
    again = get(sim, session, 100, second["next_cursor"]).json()
    assert again["mso_records"] == second["mso_records"]  # a naive client loops here
    assert again["next_cursor"] != first["next_cursor"]  # the knob fired once

    # on the first page (fetched without a cursor) the repeated cursor points back to page one
    sim.faults.repeat_cursor_next()
    body = get(sim, session, 100).json()
    assert sim.cursor_offset(body["next_cursor"]) == 0
    assert get(sim, session, 100, body["next_cursor"]).json()["mso_records"] == sim.records(0, 100)


def test_has_more_without_cursor(sim, session):
    sim.faults.has_more_without_cursor_next()
    body = get(sim, session, 100).json()
    assert body["has_more"] is True and body["next_cursor"] is None
    assert len(body["mso_records"]) == 100
    assert get(sim, session, 100).json()["next_cursor"] is not None


def test_pagination_knobs_only_apply_to_successful_pages(sim, session):
    sim.faults.has_more_without_cursor_next()
    assert requests.get(f"{sim.base_url}/mso_data", timeout=5).status_code == 401
    assert get(sim, session, 100).json()["next_cursor"] is None


# -- CLI --------------------------------------------------------------------------------------


def test_cli_entry_point():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.mso.simulator", "--records", "5", "--api-key", "k"],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready, base_url = proc.stdout.readline().split()
        assert ready == "READY" and base_url.startswith("http://127.0.0.1:")
        r = requests.get(f"{base_url}/mso_data", headers={"api_key": "k"}, timeout=5)
        body = r.json()
        assert len(body["mso_records"]) == 5 and body["has_more"] is False
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
