"""MotionBlend workspace connector: motion files, blend jobs, artifacts and UI events.

Source: a MotionBlend workspace (`workspace_path`: a folder, or `gs://bucket/prefix` in Google
Cloud Storage) with, all optional, `project/seed_motions/` (the primary library),
`seed_motions/`, `build/build_motions/`, `build/blend_snn/` (blend outputs and their
`<name>.json` manifests), `build/demo_artifacts/` (generated files and logs) and
`build/ui_analytics/*.jsonl` (UI event logs). See README.md.

Tables (declared in workspace/tables.py, where every row meets its declared types before it is
written): `motion_sequences` (one row per BVH/FBX/GLB/glTF/NPY/TRC file, with what its header
says), `blend_jobs` (one per blend in build/blend_snn), `processing_artifacts` (one per file of
build/demo_artifacts and build/blend_snn), `ui_interactions` (one per logged UI event) and
`blend_quality_metrics` (one per blend job: metrics computed from the joint positions of its
output and both sources, see blend_quality/).

Incremental strategy: every sync lists the workspace once through the storage seam
(workspace.storage: one stat per file, or one paged listing of the bucket). The state keeps,
per row, a fingerprint of its file's size and version (the mtime, or the GCS generation)
(workspace.state, ~25 bytes per file); only files whose fingerprint changed are read and
written again. A file gone from the workspace has its rows soft-deleted (and `is_active =
false` in motion_sequences), only after a listing that saw everything. UI logs are read from
the byte offset already consumed. The state is checkpointed every 500-5,000 files written
(about 50 checkpoints per sync), always describing only rows already handed to the SDK, so a
killed sync resumes where it stopped. `sync_mode = full` reads every file and every log again.
A blend's metrics are computed again only when its files, a source's files, or the metrics
configuration or version changed (its state entry keeps one fingerprint of all of them).
"""

import copy
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from fivetran_connector_sdk import Connector, Test
from fivetran_connector_sdk import Operations as op

from blend_quality.assess import BlendInputs, assess_blend, internal_error_row
from blend_quality.config import MetricsConfig, metrics_settings
from shared.checkpoint import Checkpointer
from shared.config import ConfigSpec
from shared.masking import log
from shared.prefetch import prefetched
from shared.timewindows import format_utc, utc_now
from workspace.artifacts import RETENTION_KEYS, artifact_row, job_of_artifact, retention_of
from workspace.blends import (
    BlendGroup,
    SequenceIndex,
    blend_groups,
    blend_job_row,
    metrics_fingerprint,
    read_manifest,
)
from workspace.motions import (
    STATUS_ERROR,
    MotionResult,
    extract_motion,
    is_motion_file,
    motion_fingerprint,
    motion_row,
)
from workspace.roots import ARTIFACT_ROOTS, BLEND, MOTION_ROOTS, UI, UI_LOG_SUFFIX
from workspace.scan import WorkspaceScan, scan_workspace
from workspace.state import (
    KIND_ARTIFACT,
    KIND_MOTION,
    UNREAD,
    SyncState,
    artifact_id,
    fingerprint,
    hex_id,
    sequence_id,
)
from workspace.storage import WorkspaceError, open_storage
from workspace.tables import TABLES, noted, typed
from workspace.ui_events import (
    complete_lines,
    download_path,
    event_time,
    interaction_row,
    line_digest,
    parse_event,
    start_offset,
)

__SPEC = ConfigSpec.load(Path(__file__).resolve().parent / "spec.json")
# Each checkpoint writes the whole state (~25 bytes per file), so a fixed cadence would make a
# first sync of N files cost O(N^2) in state writes: aim for about 50 checkpoints per sync,
# every 500 to 5,000 files written (5,000 files buffer ~7,500 rows in the SDK).
__CHECKPOINTS_PER_SYNC = 50
__CHECKPOINT_MIN_FILES = 500
__CHECKPOINT_MAX_FILES = 5000
__BYTES_PER_MB = 1 << 20
__READ_AHEAD = 8  # files read (downloaded, on GCS) ahead of the writes, in one worker thread


def validate_configuration(configuration: dict) -> dict:
    """Typed settings; ValueError names each bad key (and a missing or unreadable workspace)."""
    settings = __SPEC.validate(configuration)
    unknown = sorted(set(settings["retention_days"]) - set(RETENTION_KEYS))
    if unknown:
        raise ValueError(
            f"retention_days has unknown type(s) {', '.join(unknown)} "
            f"(known: {', '.join(RETENTION_KEYS)})"
        )
    settings["metrics_config"] = MetricsConfig.from_settings(settings)  # ValueError names it
    try:
        settings["storage"] = open_storage(
            settings["workspace_path"],
            settings["gcs_service_account_json"],
            settings["gcs_endpoint"],
        )
    except WorkspaceError as error:
        raise ValueError(str(error)) from error
    return settings


def schema(configuration: dict):
    """Five tables keyed by stable ids; JSON for nested values, DOUBLE for rates, weights and
    metrics. blend_quality_metrics declares the search index's names (`l2_velocity_mean`): the
    destination writes them in snake case split at digits (`l_2_velocity_mean`)."""
    return copy.deepcopy(TABLES)


@dataclass
class SyncRun:
    """Everything one sync works with."""

    settings: dict
    scan: WorkspaceScan
    state: SyncState
    checkpointer: Checkpointer
    index: SequenceIndex
    discovered_at: str
    max_bytes: int
    outputs: dict[str, MotionResult] = field(default_factory=dict)  # blend outputs read now
    known: dict[str, tuple] = field(default_factory=dict)  # manifests read now: (metadata, sha)
    written: dict[str, int] = field(default_factory=dict)

    @property
    def full(self) -> bool:
        return self.settings["sync_mode"] == "full"

    def wrote(self, table: str, count: int = 1) -> None:
        """Count rows handed to the SDK; checkpoint the state describing them when due."""
        self.written[table] = self.written.get(table, 0) + count
        self.checkpointer.rows_written(count, self.state.as_dict())


def update(configuration: dict, state: dict):
    """List the workspace, write what changed since the saved state, then remove what vanished."""
    settings = validate_configuration(configuration)
    try:
        sync_workspace(settings, state)
    finally:
        settings["storage"].close()  # on GCS: the local copies kept during the sync


def sync_workspace(settings: dict, state: dict) -> None:
    """One sync of the workspace in `settings["storage"]`, from the saved `state`."""
    saved_state = copy.deepcopy(state)  # to tell, at the end, whether anything changed
    scan = scan_workspace(settings["storage"])
    for warning in scan.warnings:
        log.warning(f"motionblend: {warning}")
    sync_state, discarded = SyncState.load(state)
    if discarded:
        log.warning(f"motionblend: {discarded}; starting from scratch")
    run = SyncRun(
        settings,
        scan,
        sync_state,
        Checkpointer(every_rows=checkpoint_cadence(len(scan.files))),
        SequenceIndex(scan.files, scan.root),
        format_utc(utc_now()),
        settings["max_file_size_mb"] * __BYTES_PER_MB,
    )
    log.info(f"motionblend: {len(scan.files)} files in {scan.root} ({settings['sync_mode']})")
    if run.full and settings["sync_ui_analytics"]:
        sync_state.reset_ui()  # the logs are read again, so downloads are counted afresh
    sync_motion_sequences(run)
    job_ids = sync_blend_jobs(run)
    if settings["sync_blend_quality_metrics"]:
        sync_blend_quality_metrics(run)
    if settings["include_artifacts"]:
        sync_processing_artifacts(run, job_ids)
    if settings["sync_ui_analytics"]:
        sync_ui_interactions(run)
    remove_vanished_files(run)
    # A sync that found nothing new commits nothing: checkpointing an identical state would only
    # cost the SDK a transaction and a state print (a third of an unchanged sync's time).
    final_state = sync_state.as_dict()
    if run.written or final_state != saved_state:
        run.checkpointer.checkpoint(final_state)
    log.info(f"motionblend: rows written per table: {run.written or 'none'}")


def checkpoint_cadence(file_count: int) -> int:
    """Files written between checkpoints for a workspace of `file_count` files."""
    wanted = file_count // __CHECKPOINTS_PER_SYNC
    return min(__CHECKPOINT_MAX_FILES, max(__CHECKPOINT_MIN_FILES, wanted))


def sync_motion_sequences(run: SyncRun) -> None:
    """One row per motion file; a first sighting is upserted, a changed file updated in place
    (so `discovered_at` keeps the first sighting). Files are read a few ahead of the writes,
    in a worker thread (on GCS the downloads then overlap the writes)."""
    changed = []
    for file in run.scan.files:
        if file.root not in MOTION_ROOTS or not is_motion_file(file.rel):
            continue
        known = run.state.file_entry(sequence_id(file.rel))
        fp = motion_fingerprint(file, run.scan, run.max_bytes, run.settings["default_fps"])
        if known != KIND_MOTION + fp or run.full:
            changed.append((file, fp, known is None))
    for (file, fp, first_sighting), result in prefetched(
        changed, lambda item: extract(run, item[0]), depth=__READ_AHEAD
    ):
        row, problems = typed("motion_sequences", motion_row(file, result))
        if problems:
            # A header value beyond its column (a 3e9 frame count) makes the file's row an
            # error naming it; the SDK would otherwise reject the whole sync.
            result.status = STATUS_ERROR
            result.error = "values do not fit their columns: " + "; ".join(problems)
            row |= {"extraction_status": result.status, "extraction_error": result.error}
            log.warning(f"motionblend: {file.rel}: {result.error}")
        if file.root == BLEND:
            run.outputs[file.rel] = result
        if first_sighting:
            upsert("motion_sequences", {**row, "discovered_at": run.discovered_at})
        else:
            update_row("motion_sequences", row)
        # A file that could not be read is read again next sync (chmod leaves mtime alone).
        run.state.set_file(sequence_id(file.rel), KIND_MOTION, UNREAD if result.unreadable else fp)
        run.wrote("motion_sequences")


def extract(run: SyncRun, file) -> MotionResult:
    """A motion file's extraction with this sync's size cap and default fps."""
    return extract_motion(file, max_bytes=run.max_bytes, default_fps=run.settings["default_fps"])


def sync_blend_jobs(run: SyncRun) -> dict[str, str]:
    """One row per blend group whose files changed; returns {blend name: job_id} of all."""
    job_ids: dict[str, str] = {}
    for group in blend_groups(run.scan.files):
        fp = fingerprint(*[(f.rel, f.size, f.version) for f in group.members()], run.max_bytes)
        saved = run.state.job_entry(group.stem_rel)
        if saved is not None and saved[0] == fp and not run.full:
            if saved[1] is not None:
                job_ids.setdefault(group.name, saved[1])
            continue
        manifest, output = manifest_of(group), output_of(run, group)
        if manifest and manifest.content:
            run.known[group.manifest.rel] = manifest.content
        row = blend_job_row(group, manifest, output, run.index)
        old_id = saved[1] if saved else None
        if old_id is not None and (row is None or row["job_id"] != old_id):
            op.delete("blend_jobs", {"job_id": old_id})
            if run.state.metrics_entry(group.stem_rel) is not None:
                op.delete("blend_quality_metrics", {"blend_id": old_id})
        if row is not None:
            upsert("blend_jobs", row)
            job_ids.setdefault(group.name, row["job_id"])
        unreadable = (manifest and manifest.unreadable) or (output and output.unreadable)
        run.state.set_job(group.stem_rel, UNREAD if unreadable else fp, row and row["job_id"])
        run.wrote("blend_jobs")
    return job_ids


def manifest_of(group: BlendGroup):
    """The group's manifest as read (workspace.blends.read_manifest), or None without one."""
    return read_manifest(group.manifest) if group.manifest else None


def output_of(run: SyncRun, group: BlendGroup) -> MotionResult | None:
    """The blend output's extraction: from this sync's motion pass, else read now."""
    if group.output is None:
        return None
    if group.output.rel not in run.outputs:
        run.outputs[group.output.rel] = extract(run, group.output)
    return run.outputs[group.output.rel]


def sync_blend_quality_metrics(run: SyncRun) -> None:
    """One metrics row per blend job whose files, sources' files or metrics settings changed.

    An unchanged blend is recognised from its state entry alone (its sources' ids are kept
    there), without reading its manifest; otherwise the job is resolved again, its output and
    sources are read through the storage and measured (blend_quality.assess).
    """
    metrics_fp = partial(
        metrics_fingerprint,
        scan=run.scan,
        index=run.index,
        max_bytes=run.max_bytes,
        settings=metrics_settings(run.settings["metrics_config"], run.settings["default_fps"]),
    )
    for group in blend_groups(run.scan.files):
        saved_job = run.state.job_entry(group.stem_rel)
        if saved_job is None or saved_job[1] is None:
            continue  # not a blend (a stray JSON file): no metrics either
        saved = run.state.metrics_entry(group.stem_rel)
        if saved is not None and not run.full and metrics_fp(group, saved[1:]) == saved[0]:
            continue
        job = blend_job_row(group, manifest_of(group), None, run.index)
        left, right = job["sequence_a_id"], job["sequence_b_id"]
        upsert("blend_quality_metrics", measure_blend(run, job))
        run.state.set_metrics(group.stem_rel, metrics_fp(group, (left, right)), left, right)
        run.wrote("blend_quality_metrics")


def measure_blend(run: SyncRun, job: dict) -> dict:
    """The metrics row of a blend job, its files read through the storage; a failure of the
    metric code itself (a bug) is logged as an error and becomes the row's error instead of
    failing the whole sync."""
    inputs = BlendInputs.of_job(job, run.settings["default_fps"])
    read = partial(run.scan.read, max_bytes=run.max_bytes)
    config = run.settings["metrics_config"]
    try:
        return assess_blend(inputs, read, config, run.discovered_at)
    except Exception as error:  # a bug: loud in the log, but the other blends still sync
        log.error(f"motionblend: metrics of blend {job['job_id']} failed: {error!r}")
        return internal_error_row(inputs, config, run.discovered_at, error)


def sync_processing_artifacts(run: SyncRun, job_ids: dict[str, str]) -> None:
    """One row per file of build/demo_artifacts and build/blend_snn that changed (read a few
    ahead of the writes, like motion files)."""
    known_job_ids = set(job_ids.values())
    retention = run.settings["retention_days"]
    changed = []
    for file in run.scan.files:
        if file.root not in ARTIFACT_ROOTS:
            continue
        job_id = job_of_artifact(file.name, job_ids, known_job_ids)
        keep = retention_of(file.rel, retention)
        fp = fingerprint(file.size, file.version, file.size > run.max_bytes, job_id, keep)
        if run.state.file_entry(artifact_id(file.rel)) == KIND_ARTIFACT + fp and not run.full:
            continue
        output = run.outputs.get(file.rel)
        row_of = partial(
            artifact_row,
            file,
            job_id=job_id,
            retention=retention,
            max_bytes=run.max_bytes,
            downloads=run.state.downloads_of(file.rel),
            known=({}, output.sha256) if output and output.sha256 else run.known.get(file.rel),
        )
        changed.append((file, fp, row_of))
    for (file, fp, _), row in prefetched(changed, lambda item: item[2](), depth=__READ_AHEAD):
        upsert("processing_artifacts", row)
        unreadable = "read_error" in row["metadata"]
        run.state.set_file(artifact_id(file.rel), KIND_ARTIFACT, UNREAD if unreadable else fp)
        run.wrote("processing_artifacts")


def sync_ui_interactions(run: SyncRun) -> None:
    """Events appended to each UI log since the saved offset; downloads counted per artifact."""
    for file in run.scan.files:
        if file.root != UI or not file.rel.lower().endswith(UI_LOG_SUFFIX):
            continue
        try:
            offset, restart = start_offset(file, run.state.ui.get(file.rel))
            if offset is None:
                continue
            if restart:
                log.info(f"motionblend: {file.rel} {restart}")
            read_ui_log(run, file, offset)
        except OSError as error:
            log.warning(f"motionblend: {file.rel} cannot be read ({error}); skipped this sync")


def read_ui_log(run: SyncRun, file, offset: int) -> None:
    """Upsert each complete new line of one log, advancing its saved offset line by line."""
    head = None if offset == 0 else run.state.ui[file.rel][1]
    first = offset == 0  # the head digest comes from the same read as the events
    malformed, first_bad, events = 0, None, 0
    for line, end in complete_lines(file, offset):
        if first:
            head, first = line_digest(line), False
        event = parse_event(line) if line is not None else None
        if event is not None:
            upsert("ui_interactions", interaction_row(event, line, file.rel, run.index.resolve))
            count_download(run, event)
            events += 1
        elif line is None or line.strip():
            malformed += 1
            first_bad = first_bad if first_bad is not None else end - len(line or b"")
        run.state.ui[file.rel] = [end, head, file.version]
        run.wrote("ui_interactions", 1 if event is not None else 0)
    if offset and run.state.ui[file.rel][2:] != [file.version]:  # same log, nothing new
        run.state.ui[file.rel] = [*run.state.ui[file.rel][:2], file.version]
    if malformed:
        log.warning(
            f"motionblend: {file.rel}: skipped {malformed} malformed line(s) "
            f"(the first at byte {first_bad}); {events} event(s) read"
        )


def count_download(run: SyncRun, event: dict) -> None:
    """Count a download event; the artifact's row, if already written, is updated with it."""
    rel = download_path(event, run.scan.root)
    if rel is None:
        return
    count, last = run.state.add_download(rel, event_time(event.get("timestamp")))
    if run.state.tracks(artifact_id(rel)):
        row = {"artifact_id": artifact_id(rel), "download_count": count, "last_accessed": last}
        op.update("processing_artifacts", row)


def remove_vanished_files(run: SyncRun) -> None:
    """Soft-delete the rows of files that are gone (only after a scan that listed everything)."""
    if not run.scan.complete:
        log.warning(
            "motionblend: some folders could not be listed; deletions are not applied this sync"
        )
        return
    present = {sequence_id(f.rel) for f in run.scan.files if f.root in MOTION_ROOTS}
    present |= {artifact_id(f.rel) for f in run.scan.files if f.root in ARTIFACT_ROOTS}
    for key, value in list(run.state.files.items()):
        row_id, kind = hex_id(key), value[0]
        if row_id in present or (kind == KIND_ARTIFACT and not run.settings["include_artifacts"]):
            continue
        if kind == KIND_MOTION:
            op.update("motion_sequences", {"sequence_id": row_id, "is_active": False})
            op.delete("motion_sequences", {"sequence_id": row_id})
        else:
            op.delete("processing_artifacts", {"artifact_id": row_id})
        del run.state.files[key]
        run.wrote("deleted")
    stems = {group.stem_rel for group in blend_groups(run.scan.files)}
    for stem_rel in [stem for stem in run.state.job_stems() if stem not in stems]:
        job_id = run.state.job_entry(stem_rel)[1]
        if job_id is not None:
            op.delete("blend_jobs", {"job_id": job_id})
            if run.state.metrics_entry(stem_rel) is not None:
                op.delete("blend_quality_metrics", {"blend_id": job_id})
        run.state.forget_job(stem_rel)
        run.wrote("deleted")
    for rel in [rel for rel in run.state.ui if run.scan.get(rel) is None]:
        del run.state.ui[rel]  # a log that is gone: its events stay, its offset goes


def upsert(table: str, row: dict) -> None:
    """op.upsert of a row made safe for the destination (workspace.tables.noted)."""
    op.upsert(table, noted(table, row))


def update_row(table: str, row: dict) -> None:
    """op.update (only the columns given) of a row made safe for the destination."""
    op.update(table, noted(table, row))


def check_workspace(configuration: dict):
    """Setup test: the configuration is valid and the workspace can be listed."""
    try:
        settings = validate_configuration(configuration)
        scan = scan_workspace(settings["storage"])
    except (ValueError, WorkspaceError) as error:
        return Test.failure(str(error))
    if not scan.files:
        return Test.failure(f"motionblend: no files under the workspace roots of {scan.root}")
    return Test.success()


def configuration_form():
    """The setup form, built from spec.json, with the workspace test."""
    return __SPEC.configuration_form(tests=[("List the workspace", check_workspace)])


connector = Connector(update=update, schema=schema, configuration_form=configuration_form)

if __name__ == "__main__":
    connector.debug()
