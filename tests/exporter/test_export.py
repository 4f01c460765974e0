"""The exporter end to end against osmem-server (OpenSearch) and the ES proxy (Elasticsearch)."""

from __future__ import annotations

import json
from datetime import timedelta

import requests

from exporter.schema import FIELDS, fivetran_name
from tests.exporter.conftest import documents, state_of
from tests.exporter.warehouse import BASE_TIME, Warehouse


def expected_source(row: dict) -> dict:
    source = {f: row[f] for f in FIELDS}
    source["computed_at"] = row["computed_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return source


def test_first_export_then_idempotent_rerun(osmem_url, warehouse, export, tmp_path):
    rows = warehouse.add(0, 120, BASE_TIME)
    first = export(osmem_url, "--batch-size", "50", "--verify")
    assert first.code == 0, first.err
    assert (first.figure("read"), first.figure("indexed"), first.figure("skipped")) == (
        120,
        120,
        0,
    )
    assert "verify: ok" in first.out
    docs = documents(osmem_url)
    assert len(docs) == 120
    assert docs["blend-0000007"]["_source"] == expected_source(rows[7])
    assert docs["blend-0000007"]["_version"] == int(rows[7]["_fivetran_synced"].timestamp() * 1e6)
    assert state_of(tmp_path)["watermark"] == "2026-11-01T00:00:00.000119Z"
    aliases = requests.get(f"{osmem_url}/_alias/mb_blends", timeout=10).json()
    assert list(aliases) == ["mb_blends_v1"]
    mapping = requests.get(f"{osmem_url}/mb_blends_v1/_mapping", timeout=10).json()
    properties = mapping["mb_blends_v1"]["mappings"]["properties"]
    assert mapping["mb_blends_v1"]["mappings"]["dynamic"] == "strict"
    assert properties["l2_velocity_mean"] == {"type": "float"}
    assert properties["transition_start_frame"] == {"type": "integer"}

    again = export(osmem_url, "--batch-size", "50")
    assert again.code == 0, again.err
    # Everything is inside the 15-minute overlap, so all of it is re-sent and refused as old.
    assert (again.figure("read"), again.figure("indexed"), again.figure("skipped")) == (
        120,
        0,
        120,
    )
    assert {i: d["_version"] for i, d in documents(osmem_url).items()} == {
        i: d["_version"] for i, d in docs.items()
    }


def test_incremental_reads_only_new_rows_and_overlap_is_skipped(osmem_url, warehouse, export):
    warehouse.add(0, 40, BASE_TIME, spacing=timedelta(minutes=1))
    assert export(osmem_url).code == 0
    # A day later: only the last 15 minutes of old rows (the overlap) are read again, and
    # refused by the cluster as already there.
    warehouse.add(40, 10, BASE_TIME + timedelta(days=1))
    later = export(osmem_url)
    assert (later.figure("read"), later.figure("indexed"), later.figure("skipped")) == (26, 10, 16)
    # Five minutes after that, a load "still committing" with an earlier stamp than the
    # watermark: found thanks to the overlap; the rows re-read with it are skipped.
    late = BASE_TIME + timedelta(days=1) - timedelta(minutes=5)
    warehouse.add(50, 5, late)
    overlap = export(osmem_url, "--overlap-minutes", "15")
    assert (overlap.figure("indexed"), overlap.figure("skipped")) == (5, 10)
    assert len(documents(osmem_url)) == 55


def test_updates_replace_and_deletes_remove(osmem_url, warehouse, export):
    rows = warehouse.add(0, 30, BASE_TIME)
    assert export(osmem_url).code == 0
    later = BASE_TIME + timedelta(hours=2)
    changed = dict(rows[3], quality_score=0.99, _fivetran_synced=later)
    failed = dict(rows[4], metrics_status="error", _fivetran_synced=later)  # no longer ok
    warehouse.upsert([changed, failed])
    warehouse.soft_delete(["blend-0000005", "blend-0000006"], later)
    run = export(osmem_url, "--verify")
    assert run.code == 0, run.err
    assert (run.figure("indexed"), run.figure("deleted")) == (1, 3)
    docs = documents(osmem_url)
    assert len(docs) == 27 and "blend-0000005" not in docs and "blend-0000004" not in docs
    assert docs["blend-0000003"]["_source"]["quality_score"] == 0.99
    # An older replay of the first export cannot bring the deleted rows back.
    warehouse.upsert([dict(r, _fivetran_deleted=False) for r in rows[5:7]])
    replay = export(osmem_url, "--overlap-minutes", "100000")
    assert replay.figure("indexed") == 0 and "blend-0000005" not in documents(osmem_url)


def test_schema_names_are_accepted_too(osmem_url, tmp_path, export):
    plain = Warehouse(tmp_path / "warehouse.db", fivetran_names=False)
    assert (
        "l2_velocity_mean" in plain.names and fivetran_name("l2_velocity_mean") not in plain.names
    )
    rows = plain.add(0, 5, BASE_TIME)
    assert export(osmem_url).code == 0
    assert documents(osmem_url)["blend-0000002"]["_source"] == expected_source(rows[2])


def test_nan_and_infinities_become_null(osmem_url, warehouse, export):
    rows = warehouse.add(0, 3, BASE_TIME)
    nan = dict(rows[1], fid=float("nan"), coverage=float("inf"), l2_velocity_max=float("-inf"))
    warehouse.upsert([nan])
    assert export(osmem_url).code == 0
    source = documents(osmem_url)["blend-0000001"]["_source"]
    assert (source["fid"], source["coverage"], source["l2_velocity_max"]) == (None, None, None)
    assert source["quality_score"] == rows[1]["quality_score"]


def test_bad_documents_are_dead_lettered_with_exit_code_2(osmem_url, warehouse, export, tmp_path):
    rows = warehouse.add(0, 20, BASE_TIME)
    # Out of the index's integer range: the cluster answers 400 for that document only.
    warehouse.upsert([dict(rows[15], transition_start_frame=2**40)])
    run = export(osmem_url, "--batch-size", "10")
    assert run.code == 2
    assert (run.figure("indexed"), run.figure("dead-lettered")) == (19, 1)
    (letter,) = [
        json.loads(line)
        for line in (tmp_path / "state" / "dead-letters.ndjson").read_text().splitlines()
    ]
    assert letter["status"] == 400 and "mapper_parsing_exception" in letter["reason"]
    assert letter["action"]["_id"] == "blend-0000015"
    # The watermark stays below the refused row's batch: the next run retries it.
    assert state_of(tmp_path)["watermark"] == "2026-11-01T00:00:00.000009Z"


def test_full_rebuild_swaps_the_alias_atomically(es_proxy, warehouse, export, tmp_path):
    import threading

    warehouse.add(0, 30, BASE_TIME)
    assert export(es_proxy.url).code == 0
    warehouse.add(30, 10, BASE_TIME + timedelta(hours=1))
    es_proxy.hold_bulk_after(es_proxy.bulk_requests)  # the rebuild's first bulk waits
    result = {}
    rebuild = threading.Thread(
        target=lambda: result.update(run=export(es_proxy.url, "--mode", "full", "--prune"))
    )
    rebuild.start()
    upstream = es_proxy.upstream.geturl()
    for _ in range(200):
        if requests.head(f"{upstream}/mb_blends_v2", timeout=5).status_code == 200:
            break
        threading.Event().wait(0.05)
    settings = requests.get(f"{upstream}/mb_blends_v2/_settings", timeout=5).json()
    assert settings["mb_blends_v2"]["settings"]["index"]["refresh_interval"] == "-1"
    assert len(documents(upstream)) == 30  # readers still see v1
    es_proxy.release()
    rebuild.join(timeout=60)
    run = result["run"]
    assert run.code == 0, run.err
    assert run.figure("indexed") == 40 and "pruned: mb_blends_v1" in run.out
    assert list(requests.get(f"{upstream}/_alias/mb_blends", timeout=5).json()) == ["mb_blends_v2"]
    settings = requests.get(f"{upstream}/mb_blends_v2/_settings", timeout=5).json()
    assert settings["mb_blends_v2"]["settings"]["index"]["refresh_interval"] == "1s"
    assert len(documents(upstream)) == 40
    assert state_of(tmp_path)["index"] == "mb_blends_v2"
    assert export(es_proxy.url).figure("indexed") == 0  # incremental continues on v2


def test_elasticsearch_client_path(es_proxy, warehouse, export):
    warehouse.add(0, 25, BASE_TIME)
    run = export(es_proxy.url, "--batch-size", "10")
    assert run.code == 0, run.err
    assert es_proxy.compat_versions == {"9"} and es_proxy.plain_json_requests == 0
    assert len(documents(es_proxy.upstream.geturl())) == 25


def test_per_document_429_is_retried(es_proxy, warehouse, export):
    warehouse.add(0, 20, BASE_TIME)
    es_proxy.throttle(["blend-0000003", "blend-0000011"], times=2)
    run = export(es_proxy.url, "--max-retries", "3")
    assert run.code == 0, run.err
    assert (run.figure("indexed"), run.figure("failed")) == (20, 0)
    assert es_proxy.bulk_requests == 3  # the batch, then the two throttled documents twice


def test_503_and_resets_are_retried(es_proxy, warehouse, export):
    warehouse.add(0, 20, BASE_TIME)
    es_proxy.fail_next(503, 2)
    es_proxy.reset_next(1)  # the first batch is applied upstream, then the connection dies
    run = export(es_proxy.url, "--batch-size", "10")
    assert run.code == 0, run.err
    # The resent first batch is refused as already there: nothing counted twice, nothing lost.
    assert (run.figure("indexed"), run.figure("skipped")) == (10, 10)
    assert es_proxy.bulk_requests == 5
    assert len(documents(es_proxy.upstream.geturl())) == 20


def test_unavailable_cluster_fails_naming_the_url_not_the_key(es_proxy, warehouse, export):
    warehouse.add(0, 5, BASE_TIME)
    assert export(es_proxy.url).code == 0
    warehouse.add(5, 5, BASE_TIME + timedelta(days=1))
    es_proxy.fail_next(503, 50)
    run = export(es_proxy.url, "--max-retries", "2", "--es-api-key", "sekret-key-123456")
    assert run.code == 1
    assert es_proxy.url in run.err and "unavailable" in run.err
    assert "sekret-key-123456" not in run.out + run.err


def test_several_workers_with_one_failing_batch(es_proxy, warehouse, export, tmp_path):
    warehouse.add(0, 60, BASE_TIME)
    es_proxy.throttle(["blend-0000025"], times=100)  # batch 2 of 6 never gets through
    run = export(es_proxy.url, "--batch-size", "10", "--workers", "3", "--max-retries", "1")
    assert run.code == 1
    assert (run.figure("indexed"), run.figure("failed")) == (59, 1)
    # Batches 3-5 finished, but the watermark waits below batch 2.
    assert state_of(tmp_path)["watermark"] == "2026-11-01T00:00:00.000019Z"
    es_proxy.throttle(["blend-0000025"], times=0)
    rerun = export(es_proxy.url, "--batch-size", "10", "--workers", "3")
    assert rerun.code == 0 and rerun.figure("indexed") == 1
    assert state_of(tmp_path)["watermark"] == "2026-11-01T00:00:00.000059Z"


def test_ndjson_output_replays_byte_for_byte(osmem_url, warehouse, export, tmp_path):
    rows = warehouse.add(0, 15, BASE_TIME)
    output = tmp_path / "bulk.ndjson"
    run = export(None, "--output", str(output))
    assert run.code == 0 and "curl -H 'Content-Type: application/x-ndjson'" in run.out
    payload = output.read_bytes()
    assert payload.count(b"\n") == 30 and payload.endswith(b"\n")
    replay = requests.post(
        f"{osmem_url}/_bulk",
        data=payload,
        headers={"Content-Type": "application/x-ndjson"},
        timeout=30,
    ).json()
    assert not replay["errors"] and len(replay["items"]) == 15
    docs = documents(osmem_url, "mb_blends_v1")
    assert docs["blend-0000009"]["_source"] == expected_source(rows[9])
    again = requests.post(
        f"{osmem_url}/_bulk", data=payload, headers={"Content-Type": "application/x-ndjson"}
    ).json()
    assert {i["index"]["status"] for i in again["items"]} == {409}


def test_dry_run_sends_nothing(osmem_url, warehouse, export):
    warehouse.add(0, 7, BASE_TIME)
    run = export(osmem_url, "--dry-run")
    assert run.code == 0 and "dry run" in run.out and run.figure("indexed") == 7
    assert requests.get(f"{osmem_url}/_alias/mb_blends", timeout=5).status_code == 404


def test_missing_table_is_a_clear_error(tmp_path, export, osmem_url):
    import duckdb

    duckdb.connect(str(tmp_path / "empty.db")).close()
    run = export(osmem_url, "--duckdb-path", str(tmp_path / "empty.db"))
    assert run.code == 1 and "table does not exist" in run.err


def test_a_value_of_the_wrong_type_is_dead_lettered_before_sending(osmem_url, warehouse, export):
    import duckdb

    rows = warehouse.add(0, 3, BASE_TIME)
    with duckdb.connect(str(warehouse.path)) as db:  # a column that drifted to VARCHAR
        db.execute("ALTER TABLE tester.blend_quality_metrics ALTER fid TYPE VARCHAR")
        db.execute(
            "UPDATE tester.blend_quality_metrics SET fid = ? WHERE blend_id = ?",
            ["not a number", rows[1]["blend_id"]],
        )
    run = export(osmem_url)
    assert run.code == 2 and run.figure("dead-lettered") == 3  # every fid is now a string


def test_a_delete_of_a_document_never_sent_is_skipped(osmem_url, warehouse, export):
    # In one batch with index actions: the cluster answers the delete 404 without an error.
    rows = warehouse.add(0, 6, BASE_TIME)
    warehouse.soft_delete([rows[2]["blend_id"]], BASE_TIME + timedelta(seconds=1))
    run = export(osmem_url)
    assert run.code == 0, run.err
    assert (run.figure("indexed"), run.figure("deleted"), run.figure("skipped")) == (5, 0, 1)
    assert rows[2]["blend_id"] not in documents(osmem_url)
