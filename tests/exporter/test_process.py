"""The exporter as a process: killed mid-run then rerun; its secrets kept out of every output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from tests.exporter.conftest import documents
from tests.exporter.warehouse import BASE_TIME
from tools.sdk_env import REPO_ROOT


def command(warehouse, tmp_path, url, *extra) -> list[str]:
    return [
        sys.executable, str(REPO_ROOT / "exporter" / "bigquery_to_elastic.py"),
        "--duckdb-path", str(warehouse.path), "--es-url", url, "--no-progress",
        "--state-file", str(tmp_path / "state.json"),
        "--dead-letter", str(tmp_path / "dead.ndjson"), "--backoff", "0.01", *extra,
    ]  # fmt: skip


def watermark(tmp_path) -> str | None:
    try:
        (entry,) = json.loads((tmp_path / "state.json").read_text()).values()
    except (FileNotFoundError, ValueError):
        return None
    return entry["watermark"]


def test_killed_after_batch_k_then_rerun_loses_and_duplicates_nothing(
    es_proxy, warehouse, tmp_path
):
    rows = warehouse.add(0, 100, BASE_TIME)
    es_proxy.hold_bulk_after(4)  # batches 0-3 go through; 4 and 5 (two workers) hang
    args = command(warehouse, tmp_path, es_proxy.url, "--batch-size", "10", "--workers", "2")
    process = subprocess.Popen(args, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while watermark(tmp_path) != "2026-11-01T00:00:00.000039Z":
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    while es_proxy.bulk_requests < 6:  # both workers are stuck inside a request
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    upstream = es_proxy.upstream.geturl()
    assert len(documents(upstream)) == 40
    # The two requests in flight still reach the cluster after the client died, as they may.
    es_proxy.release()
    while len(documents(upstream)) < 60:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    rerun = subprocess.run(
        [*args, "--overlap-minutes", "0"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    # Resent: the row at the saved watermark (always re-read) and the two batches in flight.
    assert "read 61, indexed 40, skipped 21" in rerun.stdout
    docs = documents(upstream)
    assert len(docs) == 100
    assert all(
        docs[r["blend_id"]]["_version"] == int(r["_fivetran_synced"].timestamp() * 1e6)
        for r in rows
    )


def test_secrets_never_reach_output_state_or_dead_letters(es_proxy, warehouse, tmp_path):
    key, password = "k3y-VERY-secret-0123456789", "pa55word-secret-42"
    rows = warehouse.add(0, 10, BASE_TIME)
    warehouse.upsert([dict(rows[2], transition_start_frame=2**40)])  # one dead letter
    env = {**os.environ, "ELASTICSEARCH_API_KEY": key, "ELASTICSEARCH_USERNAME": "exporter",
           "ELASTICSEARCH_PASSWORD": password}  # fmt: skip
    first = subprocess.run(
        command(warehouse, tmp_path, es_proxy.url), cwd=REPO_ROOT, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert first.returncode == 2, first.stderr
    warehouse.add(10, 5, BASE_TIME + timedelta(days=1))
    es_proxy.fail_next(503, 100)
    secret_url = es_proxy.url.replace("http://", f"http://exporter:{password}@")
    second = subprocess.run(
        command(warehouse, tmp_path, secret_url, "--max-retries", "1"), cwd=REPO_ROOT,
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert second.returncode == 1 and "unavailable" in second.stderr
    assert es_proxy.authorization and all(a == f"ApiKey {key}" for a in es_proxy.authorization)
    everything = first.stdout + first.stderr + second.stdout + second.stderr
    written = [p for p in tmp_path.iterdir() if p.suffix in (".json", ".ndjson")]
    assert tmp_path / "dead.ndjson" in written
    everything += "".join(p.read_text() for p in written)
    for secret in (key, password):
        assert secret not in everything
