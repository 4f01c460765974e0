"""motionblend_gcs: a gs:// workspace on fake-gcs-server, and what each sync asks of GCS.

(1) First sync of `generate_workspace(root, files=2000)` uploaded to a bucket, through the
    counting proxy of tests/motionblend/fake_gcs.py: objects/s over update() and GET (download)
    requests per object (target: <= 1), list pages; and the first sync of the same workspace
    from its folder, run right after, for the ratio.
(2) Unchanged second sync: its requests. Target: list pages only (no download, no other call).
(3) Peak RSS of a sync of the base workspace with a 500 MB artifact added to the bucket (and
    `max_file_size_mb` above it, so it is downloaded and hashed), next to the same sync without
    it: the difference should be small (memory flat; the object goes to a temporary file).
    This run talks to the emulator directly (the proxy holds bodies in memory).

Figures come from an emulator on loopback: request counts carry over to GCS, timings do not.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from tests.benchmarks.common import (
    BenchmarkError,
    MeasuredWorkspace,
    Report,
    checked,
    figure,
    measured_sync,
    progress,
)
from tests.motionblend.fake_gcs import FakeGcs, GcsProxy, upload_folder
from tests.motionblend.sample_workspace import BENCHMARK_FILES, generate_workspace

NAME = "motionblend_gcs"
TITLE = "motionblend on GCS (fake-gcs-server): first and unchanged syncs, requests, big object"
CONNECTOR = "motionblend"
PREFIX = "bench/ws"
FILES, QUICK_FILES = BENCHMARK_FILES, 300
BIG_MB, QUICK_BIG_MB = 500, 20
BIG_OBJECT = "build/demo_artifacts/exports/big_capture.bin"
UPLOAD_CHUNK = 32 << 20
TARGET_GETS_PER_OBJECT = 1.0
TARGET_RSS_GROWTH_MB = 64.0


def request_counts(proxy: GcsProxy) -> dict:
    return {
        "list_pages": len(proxy.list_pages()),
        "downloads": len(proxy.downloads()),
        "other": len(proxy.others()),
        "total": len(proxy.requests),
    }


def syncs(gcs: FakeGcs, workdir: Path, home: Path, files: int) -> dict:
    progress(f"{NAME}: generating and uploading a workspace of {files:,} files")
    manifest = generate_workspace(workdir / "workspace", files=files)
    uploaded = upload_folder(gcs.bucket("bench"), manifest.root, PREFIX)
    with GcsProxy(gcs.url) as proxy:
        configuration = {"workspace_path": f"gs://bench/{PREFIX}", "gcs_endpoint": proxy.base_url}
        workspace = MeasuredWorkspace(CONNECTOR, workdir / "run", home)
        progress(f"{NAME}: first sync of {uploaded:,} objects")
        run, result = measured_sync(workspace, "first sync", configuration)
        first = {**run.as_dict(), **request_counts(proxy), "objects": uploaded}
        first["objects_per_second"] = uploaded / run.sync_seconds
        first["gets_per_object"] = first["downloads"] / uploaded
        proxy.clear_requests()
        progress(f"{NAME}: unchanged sync")
        run, result = measured_sync(workspace, "unchanged sync")
        unchanged = {**run.as_dict(), **request_counts(proxy)}
        unchanged["writes"] = sum(result.operations.get(k, 0) for k in ("upserts", "updates"))
    progress(f"{NAME}: first sync of the same workspace from its folder (side by side)")
    folder = MeasuredWorkspace(CONNECTOR, workdir / "folder", home)
    run, _ = measured_sync(folder, "folder sync", {"workspace_path": str(manifest.root)})
    first["folder_files_per_second"] = uploaded / run.sync_seconds
    first["ratio_to_folder"] = first["objects_per_second"] / first["folder_files_per_second"]
    return {"first": first, "unchanged": unchanged}


def big_object(gcs: FakeGcs, workdir: Path, home: Path, megabytes: int) -> dict:
    """Peak RSS of a base-workspace sync with and without a `megabytes` object."""
    manifest = generate_workspace(workdir / "base")
    bucket = gcs.bucket("big")
    upload_folder(bucket, manifest.root, PREFIX)
    configuration = {
        "workspace_path": f"gs://big/{PREFIX}",
        "gcs_endpoint": gcs.url,
        "max_file_size_mb": str(megabytes + 100),
    }
    progress(f"{NAME}: base workspace sync (reference RSS)")
    without, _ = measured_sync(
        MeasuredWorkspace(CONNECTOR, workdir / "rss0", home), "base", configuration
    )
    progress(f"{NAME}: uploading a {megabytes} MB object")
    source = workdir / "big.bin"
    with open(source, "wb") as handle:
        block = bytes(range(256)) * 4096  # 1 MB, not all zeros
        for _ in range(megabytes):
            handle.write(block)
    blob = bucket.blob(f"{PREFIX}/{BIG_OBJECT}", chunk_size=UPLOAD_CHUNK)
    blob.upload_from_filename(str(source))
    source.unlink()
    progress(f"{NAME}: sync with the {megabytes} MB object")
    started = time.perf_counter()
    workspace = MeasuredWorkspace(CONNECTOR, workdir / "rss1", home)
    with_big, _ = measured_sync(workspace, "with big object", configuration)
    rows = {row["file_path"]: row for row in workspace.rows("processing_artifacts")}
    if not rows.get(BIG_OBJECT, {}).get("checksum_sha_256"):
        raise BenchmarkError(f"{BIG_OBJECT} was not read and hashed")
    return {
        "megabytes": megabytes,
        "without": without.as_dict(),
        "with": with_big.as_dict(),
        "seconds": time.perf_counter() - started,
        "rss_growth_mb": with_big.peak_rss_mb - without.peak_rss_mb,
    }


def run(
    workdir: Path,
    home: Path,
    quick: bool = False,
    files: int | None = None,
    big_mb: int | None = None,
) -> Report:
    files = files or (QUICK_FILES if quick else FILES)
    big_mb = big_mb or (QUICK_BIG_MB if quick else BIG_MB)
    with FakeGcs() as gcs:
        try:
            measured = syncs(gcs, workdir / "syncs", home, files)
            big = big_object(gcs, workdir / "big", home, big_mb)
        finally:
            shutil.rmtree(workdir / "syncs", ignore_errors=True)
            shutil.rmtree(workdir / "big", ignore_errors=True)
    first, unchanged = measured["first"], measured["unchanged"]
    figures = [
        figure("(1) 1st sync: objects/s over update()", first["objects_per_second"], "obj/s"),
        figure("(1) same workspace from a folder", first["folder_files_per_second"], "files/s"),
        figure("(1) bucket / folder, side by side", first["ratio_to_folder"], "x"),
        checked(
            "(1) 1st sync: GET (download) requests per object",
            first["gets_per_object"],
            "",
            "<=",
            TARGET_GETS_PER_OBJECT,
        ),
        figure("(1) 1st sync: list pages", first["list_pages"], ""),
        figure("(1) 1st sync: other requests", first["other"], ""),
        checked("(2) unchanged: download requests", unchanged["downloads"], "", "<=", 0),
        checked("(2) unchanged: other requests", unchanged["other"], "", "<=", 0),
        figure("(2) unchanged: list pages", unchanged["list_pages"], ""),
        figure("(2) unchanged: update() seconds", unchanged["sync_seconds"], "s"),
        figure("(3) peak RSS, base workspace", big["without"]["peak_rss_mb"], "MB"),
        figure(f"(3) peak RSS, with a {big_mb} MB object", big["with"]["peak_rss_mb"], "MB"),
        checked("(3) RSS growth", big["rss_growth_mb"], "MB", "<=", TARGET_RSS_GROWTH_MB),
    ]
    notes = [
        "Against fake-gcs-server on loopback: request counts hold for GCS, timings do not.",
        f"{first['objects']} objects listed in {first['list_pages']} page(s) of 1,000.",
    ]
    return Report(NAME, TITLE, figures=figures, notes=notes, details={**measured, "big": big})
