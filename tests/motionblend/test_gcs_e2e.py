"""motionblend on a gs:// workspace: `fivetran debug` against fake-gcs-server (tests/motionblend/
fake_gcs.py), reached through a loopback proxy that counts requests and injects faults.

One emulator serves the whole module; each test uses its own bucket. The connector reaches it
only through `gcs_endpoint` (STORAGE_EMULATOR_HOST is never set).
"""

import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.harness import ConnectorWorkspace, assert_no_secrets, kill_after_checkpoints
from tests.motionblend.conftest import MOCAP_SAMPLES
from tests.motionblend.fake_gcs import FakeGcs, GcsProxy, upload_folder, upload_objects
from tests.motionblend.sample_workspace import generate_workspace
from tests.motionblend.test_connector_e2e import TABLES, UI_LOG, by_key, event_line, sid

pytestmark = pytest.mark.e2e

PREFIX = "studio/ws"
MOTION_SUFFIXES = (".bvh", ".fbx", ".glb", ".gltf", ".npy", ".trc")
# What differs between a folder and a bucket by nature: file-system times and when it was seen.
INHERENT = ("created_at", "last_modified", "discovered_at", "_fivetran_synced")


@pytest.fixture(scope="module")
def gcs():
    with FakeGcs() as emulator, GcsProxy(emulator.url) as proxy:
        yield SimpleNamespace(emulator=emulator, proxy=proxy)


@pytest.fixture
def proxy(gcs):
    gcs.proxy.faults.reset()
    gcs.proxy.denied.clear()
    gcs.proxy.clear_requests()
    return gcs.proxy


def bucket_configuration(gcs, bucket: str, **overrides) -> dict:
    return {
        "workspace_path": f"gs://{bucket}/{PREFIX}",
        "gcs_endpoint": gcs.proxy.base_url,
        **overrides,
    }


def without(rows: dict, columns=INHERENT) -> dict:
    return {key: {k: v for k, v in row.items() if k not in columns} for key, row in rows.items()}


def add_real_samples(root) -> list[str]:
    """Copy the real samples (when present) into the workspace's library; their paths."""
    copied = []
    for sample in sorted(MOCAP_SAMPLES.rglob("*")) if MOCAP_SAMPLES.is_dir() else []:
        if sample.is_file() and sample.suffix.lower() in MOTION_SUFFIXES:
            rel = f"project/seed_motions/samples/{sample.parent.name}/{sample.name}"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(sample, root / rel)
            copied.append(rel)
    return copied


@pytest.fixture(scope="module")
def mirrored(gcs, tmp_path_factory, sdk_home):
    """The generated workspace (plus the real samples) synced from a folder and from a bucket
    holding the same files and a few object names GCS allows but a workspace cannot use."""
    base = tmp_path_factory.mktemp("motionblend-gcs")
    manifest = generate_workspace(base / "workspace")
    samples = add_real_samples(manifest.root)
    bucket = gcs.emulator.bucket("mirror")
    uploaded = upload_folder(bucket, manifest.root, PREFIX)
    for odd in ("seed_motions/", "seed_motions/a//b.bvh", "seed_motions/../up.bvh"):
        bucket.blob(f"{PREFIX}/{odd}").upload_from_string(b"x")
    folder = ConnectorWorkspace("motionblend", base / "folder", sdk_home)
    assert folder.sync({"workspace_path": str(manifest.root)}).succeeded
    gcs.proxy.clear_requests()
    gcs.proxy.burst(3)  # the first requests meet a 503 burst: retried, invisible in the result
    cloud = ConnectorWorkspace("motionblend", base / "bucket", sdk_home)
    result = cloud.sync(bucket_configuration(gcs, "mirror"))
    assert result.succeeded, result.output[-3000:]
    return SimpleNamespace(
        manifest=manifest,
        samples=samples,
        uploaded=uploaded,
        folder=folder,
        cloud=cloud,
        result=result,
        requests=gcs.proxy.requests,
        bucket=bucket,
    )


def test_a_bucket_gives_the_same_tables_as_the_folder(mirrored):
    for table in TABLES:
        got, want = without(by_key(mirrored.cloud, table)), without(by_key(mirrored.folder, table))
        assert got.keys() == want.keys(), table
        differing = {
            key: {c: (got[key][c], want[key][c]) for c in want[key] if got[key][c] != want[key][c]}
            for key in want
            if got[key] != want[key]
        }
        assert not differing, (table, differing)
    motions = by_key(mirrored.cloud, "motion_sequences")
    assert len(motions) == 35 + len(mirrored.samples)
    for rel in mirrored.samples:
        assert motions[sid("sequence", rel)]["extraction_status"] == "ok", rel


def test_odd_object_names_are_skipped_with_a_warning(mirrored):
    output = mirrored.result.output
    assert "seed_motions/ is an object named like a folder: skipped" in output
    assert "seed_motions/a//b.bvh has an empty, '.' or '..' segment: skipped" in output
    assert "seed_motions/../up.bvh has an empty, '.' or '..' segment: skipped" in output


def test_first_sync_lists_once_and_downloads_each_object_at_most_once(mirrored):
    statuses = [r.status for r in mirrored.requests]
    assert statuses[:3] == [503, 503, 503]  # then retried with backoff
    listed = [r for r in mirrored.requests if r.path.endswith("/o") and r.status == 200]
    assert len(listed) == 1 and listed[0].query["prefix"] == PREFIX + "/"
    assert "generation" in listed[0].query["fields"]
    downloads = [r for r in mirrored.requests if r.query.get("alt") == "media"]
    assert all(r.query.get("generation") for r in downloads)  # the listed generation only
    per_object: dict[str, int] = {}
    for request in downloads:
        per_object[request.path] = per_object.get(request.path, 0) + 1
    twice = {path: n for path, n in per_object.items() if n > 1}
    assert not twice, twice
    assert len(downloads) <= mirrored.uploaded


@pytest.fixture
def cloud_copy(gcs, tmp_path, connector_workspace):
    """A fresh bucket holding the generated workspace, synced once."""
    manifest = generate_workspace(tmp_path / "workspace")
    name = f"b{abs(hash(str(tmp_path))) % 10**10}"
    bucket = gcs.emulator.bucket(name)
    upload_folder(bucket, manifest.root, PREFIX)
    workspace = connector_workspace("motionblend")
    workspace.write_configuration(bucket_configuration(gcs, name))
    assert workspace.sync().succeeded
    return SimpleNamespace(manifest=manifest, bucket=bucket, workspace=workspace, name=name)


def test_incremental_on_a_bucket_list_only_then_one_update_one_delete_then_appends(
    cloud_copy, proxy
):
    workspace, bucket = cloud_copy.workspace, cloud_copy.bucket
    unchanged = workspace.sync()
    assert unchanged.succeeded and unchanged.operations.get("upserts", 0) == 0
    assert len(proxy.list_pages()) == 1 and not proxy.downloads() and not proxy.others()

    motions = sorted(r for r in cloud_copy.manifest.motions if r.startswith("seed_motions/"))
    changed, removed = f"{PREFIX}/{motions[0]}", f"{PREFIX}/{motions[1]}"
    old = bucket.blob(changed).download_as_bytes()
    bucket.blob(changed).upload_from_string(old + b"\n")  # a new generation
    bucket.blob(removed).delete()
    log = bucket.blob(f"{PREFIX}/{UI_LOG}")
    before = log.download_as_bytes()
    padding = "".join(event_line(f"ui-pad-{n}") for n in range(300)).encode()  # past 64 KB
    appended = before + event_line("ui-gcs-1").encode() + padding
    log.upload_from_string(appended)
    proxy.clear_requests()
    result = workspace.sync()
    assert result.succeeded, result.output[-3000:]
    assert result.operations.get("updates", 0) >= 1 and result.operations.get("deletes") == 1
    rows = by_key(workspace, "motion_sequences", include_deleted=True)
    assert rows[sid("sequence", motions[1])]["_fivetran_deleted"] is True
    assert rows[sid("sequence", motions[0])]["file_size_bytes"] == len(old) + 1
    # The rotation check reads the head only (64 KB), then the tail from the saved offset.
    tail = [r.headers.get("range") or "" for r in proxy.downloads() if "ui_analytics" in r.path]
    assert len(tail) == 2 and tail[0] == "bytes=0-65535"
    assert tail[1].startswith(f"bytes={len(before)}-")
    assert "ui-gcs-1" in by_key(workspace, "ui_interactions")

    rotated_log = event_line("ui-gcs-2").encode() + appended  # replaced: a new first line
    log.upload_from_string(rotated_log)
    rotated = workspace.sync()
    assert rotated.succeeded and "first line changed: rotated" in rotated.output, rotated.output[
        -3000:
    ]
    assert "ui-gcs-2" in by_key(workspace, "ui_interactions")


def test_a_download_cut_midway_resumes_and_hashes_right(gcs, proxy):
    """In process (no sync): the storage seam itself, through the proxy."""
    from workspace.scan import scan_workspace
    from workspace.storage import open_storage

    data = bytes(range(256)) * 20_000  # 5 MB
    gcs.emulator.bucket("cut").blob(f"{PREFIX}/seed_motions/take.bvh").upload_from_string(data)
    storage = open_storage(f"gs://cut/{PREFIX}", None, proxy.base_url)
    (file,) = scan_workspace(storage).files
    proxy.faults.reset_mid_body_next(1)
    with storage.local_copy(file) as (local, digest):
        assert Path(local.path).read_bytes() == data
    assert digest == hashlib.sha256(data).hexdigest()
    ranges = [r.headers.get("range") for r in proxy.downloads()]
    assert len(ranges) == 2 and ranges[0] is None and ranges[1].startswith("bytes=")


def test_wrong_bucket_fails_at_once_naming_workspace_path(gcs, connector_workspace):
    workspace = connector_workspace("motionblend")
    result = workspace.sync(bucket_configuration(gcs, "no-such-bucket"))
    assert not result.succeeded
    assert (
        f"workspace_path gs://no-such-bucket/{PREFIX}: bucket no-such-bucket does not exist"
        in (result.output)
    )
    assert workspace.read_state() == {}


def test_an_unreadable_object_is_an_error_row_and_the_sync_goes_on(cloud_copy, proxy):
    motions = sorted(r for r in cloud_copy.manifest.motions if r.startswith("seed_motions/"))
    blob = cloud_copy.bucket.blob(f"{PREFIX}/{motions[0]}")
    blob.upload_from_string(blob.download_as_bytes() + b"\n")
    proxy.deny(motions[0].rsplit("/", 1)[-1])
    proxy.burst(2)
    result = cloud_copy.workspace.sync()
    assert result.succeeded, result.output[-3000:]
    row = by_key(cloud_copy.workspace, "motion_sequences")[sid("sequence", motions[0])]
    assert row["extraction_status"] == "error" and "403" in row["extraction_error"]


def test_resume_after_kills_matches_and_a_half_listed_prefix_deletes_nothing(
    gcs, tmp_path, connector_workspace, proxy
):
    manifest = generate_workspace(tmp_path / "workspace", files=700)  # two checkpoints
    bucket = gcs.emulator.bucket("resume")
    uploaded = upload_folder(bucket, manifest.root, PREFIX)
    # Objects outside the roots are listed and ignored: they make a second list page.
    upload_objects(bucket, {f"{PREFIX}/notes/{n:04d}.txt": b"" for n in range(1001 - uploaded)})
    settings = bucket_configuration(gcs, "resume")
    reference = connector_workspace("motionblend")
    assert reference.sync(settings).succeeded

    resumed = connector_workspace("motionblend")
    resumed.write_configuration(settings)
    assert kill_after_checkpoints(resumed, 1)
    assert resumed.sync().succeeded
    for table in TABLES:
        got = without(by_key(resumed, table, True), ("discovered_at", "_fivetran_synced"))
        want = without(by_key(reference, table, True), ("discovered_at", "_fivetran_synced"))
        assert got == want, table
    assert resumed.read_state() == reference.read_state()

    proxy.fail_list_page(2, status=403)  # the second page is refused: half a listing
    failed = resumed.sync()
    assert not failed.succeeded and "cannot be listed" in failed.output
    assert resumed.read_state() == reference.read_state()
    assert not any(row["_fivetran_deleted"] for row in resumed.rows("motion_sequences"))


def test_the_service_account_key_is_used_and_never_shown(gcs, tmp_path, connector_workspace):
    from tests.motionblend.fake_gcs import TokenEndpoint, service_account_key

    with TokenEndpoint() as tokens:
        key = service_account_key(tokens.token_url)
        bucket = gcs.emulator.bucket("keyed")
        bucket.blob(f"{PREFIX}/seed_motions/a.bvh").upload_from_string(b"not a bvh")
        workspace = connector_workspace("motionblend")
        settings = bucket_configuration(gcs, "keyed", gcs_service_account_json=json.dumps(key))
        result = workspace.sync(settings)
        assert result.succeeded, result.output[-3000:]
        assert tokens.requests, "the key was not used to get a token"
        cut = json.dumps(key)[: len(json.dumps(key)) // 2]  # half a key: not JSON
        broken = workspace.sync({**settings, "gcs_service_account_json": cut})
        assert not broken.succeeded and "gcs_service_account_json is not JSON" in broken.output
    secrets = [key["private_key"], key["private_key_id"], json.dumps(key), cut]
    secrets += [line for line in key["private_key"].splitlines() if len(line) > 40]
    assert_no_secrets(secrets, workspace, [result, broken])
