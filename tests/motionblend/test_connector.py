"""motionblend/connector.py: configuration, schema, setup test and checkpoint cadence."""

import json
from pathlib import Path

import pytest

from tests.harness import load_connector_module
from tests.motionblend.files import BVH, RETENTION, write


@pytest.fixture(scope="module")
def connector():
    return load_connector_module("motionblend")


def test_configuration_is_typed_and_checked(connector, tmp_path):
    settings = connector.validate_configuration({"workspace_path": str(tmp_path)})
    assert settings["sync_mode"] == "incremental" and settings["include_artifacts"] is True
    assert settings["max_file_size_mb"] == 100 and settings["default_fps"] == 30
    assert settings["retention_days"] == RETENTION
    with pytest.raises(ValueError, match="retention_days has unknown type"):
        connector.validate_configuration(
            {"workspace_path": str(tmp_path), "retention_days": "logs:3"}
        )
    with pytest.raises(ValueError, match="does not exist"):
        connector.validate_configuration({"workspace_path": str(tmp_path / "nope")})


def test_shipped_configuration_matches_the_spec_but_for_the_placeholder(connector):
    shipped = json.loads((Path(connector.__file__).parent / "configuration.json").read_text())
    assert all(isinstance(value, str) for value in shipped.values())
    with pytest.raises(ValueError) as error:
        connector.validate_configuration(shipped)
    assert str(error.value).splitlines() == [
        "workspace_path is still the placeholder <PATH_TO_MOTIONBLEND_WORKSPACE>; "
        "set it in configuration.json"
    ]


def test_schema_declares_keys_and_types(connector):
    tables = {table["table"]: table for table in connector.schema({})}
    assert {name: t["primary_key"] for name, t in tables.items()} == {
        "motion_sequences": ["sequence_id"],
        "blend_jobs": ["job_id"],
        "processing_artifacts": ["artifact_id"],
        "ui_interactions": ["interaction_id"],
        "blend_quality_metrics": ["blend_id"],
    }
    assert tables["motion_sequences"]["columns"]["fps"] == "DOUBLE"
    assert tables["blend_jobs"]["columns"]["processing_config"] == "JSON"
    assert tables["processing_artifacts"]["columns"]["download_count"] == "INT"


def test_setup_test_lists_the_workspace(connector, tmp_path):
    assert (
        "does not exist"
        in connector.check_workspace({"workspace_path": str(tmp_path / "nope")}).failure
    )
    assert "no files" in connector.check_workspace({"workspace_path": str(tmp_path)}).failure
    write(tmp_path / "seed_motions/a.bvh", BVH)
    assert connector.check_workspace({"workspace_path": str(tmp_path)}).failure is None


def test_checkpoint_cadence_grows_with_the_workspace(connector):
    assert connector.checkpoint_cadence(57) == 500
    assert connector.checkpoint_cadence(2000) == 500
    assert connector.checkpoint_cadence(100_000) == 2000
    assert connector.checkpoint_cadence(10_000_000) == 5000


def test_blend_quality_metrics_declares_the_index_names_and_types(connector):
    columns = {t["table"]: t for t in connector.schema({})}["blend_quality_metrics"]["columns"]
    doubles = [name for name, kind in columns.items() if kind == "DOUBLE"]
    assert len(doubles) == 19  # blend_ratio, fid, coverage, 4 diversities, 8 l2, 2 ratios, ...
    assert "l2_velocity_mean" in doubles and "quality_score" in doubles
    assert columns["computed_at"] == "UTC_DATETIME" and columns["metrics_config"] == "JSON"
    assert [n for n, kind in columns.items() if kind == "BOOLEAN"] == [
        "has_velocity_spike",
        "has_rough_transition",
        "has_distribution_mismatch",
    ]
    assert columns["transition_start_frame"] == columns["transition_end_frame"] == "INT"


def test_metrics_constants_are_validated_from_strings(connector, tmp_path):
    base = {"workspace_path": str(tmp_path)}
    settings = connector.validate_configuration({**base, "coverage_tau": "0.25"})
    assert settings["metrics_config"].coverage_tau == 0.25
    with pytest.raises(ValueError, match="coverage_tau"):
        connector.validate_configuration({**base, "coverage_tau": "-1"})
    with pytest.raises(ValueError, match="quality_weights must sum to 1"):
        connector.validate_configuration(
            {**base, "quality_weights": "smoothness:1,fid:1,coverage:0"}
        )


# --- syncs run in-process, every operation recorded (issue 12) ---


@pytest.fixture
def sync_in_process(connector, monkeypatch):
    """`sync(root, state) -> (operations, state)`: update() with the SDK's operations recorded."""
    import fivetran_connector_sdk

    monkeypatch.setattr(fivetran_connector_sdk.Logging, "LOG_LEVEL", None)
    operations: list[tuple] = []
    saved: list[dict] = []
    for name in ("upsert", "update", "delete"):
        monkeypatch.setattr(
            connector.op,
            name,
            lambda table, data, _name=name: operations.append((_name, table, data)),
        )
    monkeypatch.setattr(
        connector.op, "checkpoint", lambda state: saved.append(json.loads(json.dumps(state)))
    )

    def sync(root: Path, state: dict | None = None):
        operations.clear()
        connector.update(configuration={"workspace_path": str(root)}, state=state or {})
        return list(operations), (saved[-1] if saved else state or {})

    return sync


def rows_of(operations, table: str, kind: str = "upsert") -> dict:
    key = {"motion_sequences": "sequence_id", "processing_artifacts": "artifact_id"}[table]
    return {data[key]: data for op, t, data in operations if t == table and op == kind}


def test_a_file_that_could_not_be_read_is_read_again_next_sync(
    connector, sync_in_process, tmp_path, monkeypatch
):
    # Issue 12, defect 6: a permission fix (chmod) leaves mtime alone, so the error row stayed.
    from workspace.state import sequence_id
    from workspace.storage import LocalStorage

    write(tmp_path / "seed_motions/a.bvh", BVH)
    write(tmp_path / "build/demo_artifacts/run.log", "INFO ok\n")
    real_open = LocalStorage.open

    def refuse(self, file, start=0, end=None):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(LocalStorage, "open", refuse)
    operations, state = sync_in_process(tmp_path)
    [motion] = rows_of(operations, "motion_sequences").values()
    assert motion["extraction_status"] == "error"
    assert "Permission denied" in motion["extraction_error"]
    [artifact] = rows_of(operations, "processing_artifacts").values()
    assert "read_error" in artifact["metadata"]

    monkeypatch.setattr(LocalStorage, "open", real_open)  # permission fixed, mtime unchanged
    operations, state = sync_in_process(tmp_path, state)
    [motion] = rows_of(operations, "motion_sequences", "update").values()
    assert motion["sequence_id"] == sequence_id("seed_motions/a.bvh")
    assert motion["extraction_status"] == "ok" and motion["frame_count"] == 4
    [artifact] = rows_of(operations, "processing_artifacts").values()
    assert artifact["metadata"]["line_count"] == 1

    operations, _ = sync_in_process(tmp_path, state)  # read fine: not read again
    assert operations == []


def test_a_folder_too_long_to_list_holds_up_no_deletion_elsewhere(sync_in_process, tmp_path):
    # Issue 12, defect 7: one too-long folder path suspended deletions for the whole workspace.
    import os

    from workspace.state import sequence_id

    write(tmp_path / "seed_motions/a.bvh", BVH)
    write(tmp_path / "seed_motions/b.bvh", BVH)
    _, state = sync_in_process(tmp_path)
    (tmp_path / "seed_motions/b.bvh").unlink()
    fd = os.open(tmp_path / "seed_motions", os.O_RDONLY)
    try:  # a chain of folders whose full path exceeds PATH_MAX (4096)
        for _ in range(20):
            os.mkdir("d" * 250, dir_fd=fd)
            fd, parent = os.open("d" * 250, os.O_RDONLY, dir_fd=fd), fd
            os.close(parent)
    finally:
        os.close(fd)
    operations, _ = sync_in_process(tmp_path, state)
    deleted = [data for op, table, data in operations if op == "delete"]
    assert deleted == [{"sequence_id": sequence_id("seed_motions/b.bvh")}]
