"""The benchmark code itself works (tiny sizes; figures checked for shape, never for speed).

tests/benchmarks/ is not collected by pytest; `make bench` runs it at full size.
"""

import json
import math

import pytest
import requests

from tests.benchmarks import BENCHMARKS, writer_ceiling
from tests.benchmarks import blend_quality as blend_quality_bench
from tests.benchmarks import exporter as exporter_bench
from tests.benchmarks import motionblend as motionblend_bench
from tests.benchmarks import mso as mso_bench
from tests.benchmarks import tmdb_movies as tmdb_movies_bench
from tests.benchmarks.__main__ import write_results
from tests.benchmarks.common import checked, render_report, sync_seconds
from tests.mso.simulator import MsoSimulator

RUN_FIELDS = ("rows", "checkpoints", "sync_seconds", "wall_seconds", "cpu_seconds", "peak_rss_mb")


def assert_positive(result: dict, fields) -> None:
    for name in fields:
        value = result[name]
        assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (
            f"{name} = {value!r}"
        )


def test_registry_lists_importable_benchmarks():
    import importlib

    for name in BENCHMARKS:
        module = importlib.import_module(f"tests.benchmarks.{name}")
        assert name == module.NAME and module.TITLE and callable(module.run)


def test_sync_seconds_reads_the_sdk_timestamps():
    output = (
        "23:59:59.500 INFO  sdk  calling update()\n"
        "00:00:01.250 INFO  sdk  SYNC SUCCEEDED — total elapsed 00:00:02.000\n"
    )
    assert sync_seconds(output) == pytest.approx(1.75)  # across midnight
    assert sync_seconds("no timestamps here") is None


def test_results_file_is_merged_and_valid_json(tmp_path):
    path = tmp_path / "bench-results.json"
    write_results(path, {"a": {"x": 1.0}}, quick=True)
    write_results(path, {"b": {"x": float("nan")}}, quick=False)
    document = json.loads(path.read_text())
    assert document["benchmarks"]["a"] == {"x": 1.0, "quick": True}
    assert document["benchmarks"]["b"] == {"x": None, "quick": False}


def test_checked_figures():
    assert checked("f", 2.0, "x", ">=", 1.0).passed is True
    assert checked("f", 2.0, "x", "<=", 1.0).passed is False


def test_simulator_page_cache_serves_the_same_bytes_and_follows_changes():
    plain = MsoSimulator(api_key="k", record_count=450)
    cached = MsoSimulator(api_key="k", record_count=450, cache_pages=True)
    with plain, cached, requests.Session() as session:

        def page(sim, cursor=None, size=200):
            params = {"page_size": size, **({"cursor": cursor} if cursor else {})}
            response = session.get(
                sim.base_url + "/mso_data", params=params, headers={"api_key": "k"}
            )
            assert response.status_code == 200
            return response.content

        def same(cursor=None, size=200):
            body = page(cached, cursor, size)
            assert body == page(plain, cursor, size)
            return json.loads(body)

        first = same()
        assert same() == first  # served from the cache
        assert len(cached._page_cache) == 1
        same(size=7)
        last_cursor = same(first["next_cursor"])["next_cursor"]
        last = same(last_cursor)
        assert not last["has_more"] and len(last["mso_records"]) == 50
        for sim in (plain, cached):  # every change is seen at once
            sim.append_records(10)
            sim.update_record(0, material_name="Unobtainium")
            sim.extra_fields["plant"] = "P1"
        assert same()["mso_records"][0]["material_name"] == "Unobtainium"
        assert same()["mso_records"][0]["plant"] == "P1"
        assert len(same(last_cursor)["mso_records"]) == 60
        cached.faults.repeat_cursor_next()
        looped = json.loads(page(cached))
        assert looped["has_more"] and cached.cursor_offset(looped["next_cursor"]) == 0
        assert json.loads(page(cached))["next_cursor"] != looped["next_cursor"]  # not cached


@pytest.mark.slow
@pytest.mark.e2e
def test_writer_ceiling_benchmark_runs(tmp_path, sdk_home):
    result = writer_ceiling.ceiling(row_count=300, every_rows=100, workdir=tmp_path, home=sdk_home)
    assert_positive(result, (*RUN_FIELDS, "rows_per_second"))
    assert result["rows"] == 300 and result["checkpoints"] >= 3

    cadences = (writer_ceiling.CADENCES[1], writer_ceiling.AT_END)
    report = writer_ceiling.run(tmp_path, sdk_home, rows=300, cadences=cadences, rounds=1)
    summary = report.details["cadences"]
    assert set(summary) == {c.label for c in cadences}
    for entry in summary.values():
        assert_positive(entry, ("rows_per_second", "relative_to_at_end", "peak_rss_mb"))
    assert "once at the end" in render_report(report)


@pytest.mark.slow
@pytest.mark.e2e
def test_mso_benchmark_runs(tmp_path, sdk_home):
    report = mso_bench.run(tmp_path, sdk_home, records=2000, small_records=400, passes=1, rounds=1)
    for fig in report.figures:
        assert math.isfinite(fig.value), fig
        if "cost per page" not in fig.label:  # a difference of two timings may be ~0
            assert fig.value > 0, fig
    targets = [fig for fig in report.figures if fig.target]
    assert len(targets) == 3 and all(isinstance(fig.passed, bool) for fig in targets)
    details = report.details
    assert details["connector_side"]["upserts"] == 2000
    assert details["connector_side"]["checkpoints"] >= 1
    assert_positive(details["simulator_only"], ("pages", "ms_per_page", "records_per_second_cap"))
    pair = details["end_to_end"][0]
    assert_positive(pair["ceiling"], RUN_FIELDS)
    assert_positive(pair["connector"], (*RUN_FIELDS, "pages_per_second"))
    assert pair["ceiling"]["rows"] == pair["connector"]["rows"] == 2000
    assert details["end_to_end_small"]["rows"] == details["ceiling_small"]["rows"] == 400
    assert "PASS" in render_report(report) or "MISS" in render_report(report)


@pytest.mark.slow
@pytest.mark.e2e
def test_motionblend_benchmark_runs(tmp_path, sdk_home):
    report = motionblend_bench.run(
        tmp_path,
        sdk_home,
        files=100,
        first_rounds=1,
        unchanged_rounds=1,
        bvh_runs=5,
        state_files=1000,
    )
    details = report.details
    syncs = details["syncs"]
    first, unchanged, touched = syncs["first"], syncs["unchanged"][0], syncs["touched"]
    assert_positive(first, (*RUN_FIELDS, "files_per_second", "upserts"))
    assert_positive(unchanged, ("sync_seconds", "wall_seconds", "peak_rss_mb", "sync_ratio"))
    assert_positive(first["state"], ("bytes_on_disk", "bytes_json_dumps", "file_entries"))
    assert all(first["table_rows"][table] > 0 for table in motionblend_bench.TABLES)
    assert unchanged["upserts"] == unchanged["updates"] == 0
    assert touched["upserts"] + touched["updates"] == 1
    assert touched["rows_written"] == touched["expected_rows"]
    side = syncs["connector_side_unchanged"]
    assert_positive(side, ("seconds", "ratio"))
    assert side["writes_per_pass"] == 0
    assert side["checkpoints_per_pass"] == 0  # nothing new: nothing committed
    state = details["state"]
    assert state["workspace_files"] == 1000 and state["ui_logs"] == 10
    assert_positive(state, ("bytes", "bytes_per_file", "bytes_per_file_entry", "jobs"))
    if details["bvh"] is not None:  # the real samples may be absent
        for part in ("read_metadata", "file_sha256", "missing_frames", "extract_motion"):
            assert_positive(details["bvh"][part], ("median_ms", "first_ms"))
    for fig in report.figures:
        assert math.isfinite(fig.value), fig
    targets = [fig for fig in report.figures if fig.target]
    assert len(targets) >= 4 and all(isinstance(fig.passed, bool) for fig in targets)
    assert "update()" in render_report(report)


def test_blend_quality_benchmark_runs(tmp_path):
    report = blend_quality_bench.run(tmp_path, tmp_path, blends=3, bvh_runs=1)
    for threads in ("as_connector", "two_blas_threads"):
        run = report.details["metrics"][threads]
        assert run["blends"] == 3 and sum(run["categories"].values()) == 3
        assert_positive(run, ("blends_per_second", "ms_per_blend", "peak_rss_mb"))
    if report.details["bvh"] is not None:  # the real samples may be absent
        bvh = report.details["bvh"]
        assert (bvh["frames"], bvh["joints"]) == (2752, 31)
        assert_positive(bvh, ("median_ms", "parse_median_ms", "fk_median_ms"))
    targets = [fig for fig in report.figures if fig.target]
    assert targets and all(isinstance(fig.passed, bool) for fig in targets)
    assert all(math.isfinite(fig.value) for fig in report.figures)


@pytest.mark.slow
@pytest.mark.e2e
def test_motionblend_gcs_benchmark_runs(tmp_path, sdk_home):
    from tests.benchmarks import motionblend_gcs

    report = motionblend_gcs.run(tmp_path, sdk_home, files=100, big_mb=2)
    first, unchanged = report.details["first"], report.details["unchanged"]
    assert_positive(first, ("objects_per_second", "gets_per_object", "list_pages", "peak_rss_mb"))
    assert first["gets_per_object"] <= 1
    assert unchanged["list_pages"] == 1 and unchanged["downloads"] == unchanged["other"] == 0
    assert unchanged["writes"] == 0
    assert_positive(report.details["big"]["with"], ("peak_rss_mb", "sync_seconds"))


def test_sensource_benchmark_runs(tmp_path, sdk_home):
    from tests.benchmarks import sensource as sensource_bench

    report = sensource_bench.run(tmp_path, sdk_home, days=3, zones=2, spaces=2)
    first, later = report.details["first"], report.details["later"]
    assert first["hourly_rows"] >= 3 * 24 * 4 and first["token_requests"] == 1
    assert first["static_requests"] == later["static_requests"] == 5
    assert later["data_requests"] == {"traffic": 1, "occupancy": 1}
    assert later["requests"] == 8 and later["hourly_rows"] == 4 * 4
    assert all(isinstance(fig.passed, bool) for fig in report.figures if fig.target)
    assert first["rows_per_second"] > 0


@pytest.mark.e2e
def test_tmdb_movies_benchmark_runs(tmp_path, sdk_home):
    report = tmdb_movies_bench.run(tmp_path, sdk_home, directors={525: 4, 488: 3, 138: 3})
    details = report.details
    first, second = details["first_sync"], details["second_sync"]
    assert details["movies"] == 6  # 4 + (3 - 2 shared) + (3 - 2 shared)
    assert first["requests"] == 6 + details["extra_review_pages"] + 2 * 3
    assert_positive(first, (*RUN_FIELDS, "requests"))
    assert second["paths"][:3] == [f"/3/person/{p}/movie_credits" for p in (525, 488, 138)]
    assert second["rows"] == 0
    targets = [fig for fig in report.figures if fig.target]
    assert len(targets) == 3 and all(isinstance(fig.passed, bool) for fig in targets)
    for fig in report.figures:
        assert math.isfinite(fig.value), fig
    assert "requests per movie" in render_report(report)


def test_exporter_benchmark_runs(tmp_path):
    report = exporter_bench.run(tmp_path, tmp_path, rows=300, osmem_rows=20)
    details = report.to_json()["details"]
    for where in ("sink", "osmem"):
        runs = details[where]
        assert set(runs) == {"exporter, 1 worker", "exporter, 4 workers", "seed's approach"}
        for run in runs.values():
            assert_positive(run, ("docs_per_second", "peak_rss_mb", "export_seconds"))
    assert len(report.figures) == 8 and "(a) against" in render_report(report)
