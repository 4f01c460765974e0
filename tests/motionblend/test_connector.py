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


class _MemoryStorage:
    """A storage that is not a folder: what `open` returns is all the connector may read."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files

    def open(self, file):
        import io

        return io.BytesIO(self.files[file.rel])


def test_metrics_read_their_inputs_through_the_storage_seam(connector):
    from types import SimpleNamespace

    from workspace.storage import ScannedFile

    storage = _MemoryStorage({"seed_motions/a.bvh": b"HIERARCHY", "seed_motions/big.npy": b"x"})

    def entry(rel, size):
        return ScannedFile(rel, "gs://bucket/" + rel, "seed", size, 1, 1, 0.0, storage)

    files = {"seed_motions/a.bvh": entry("seed_motions/a.bvh", 9)}
    files["seed_motions/big.npy"] = entry("seed_motions/big.npy", 10_000)
    run = SimpleNamespace(scan=SimpleNamespace(get=files.get), max_bytes=1000)
    assert connector.read_file(run, "seed_motions/a.bvh") == b"HIERARCHY"
    with pytest.raises(OSError, match="over max_file_size_mb"):
        connector.read_file(run, "seed_motions/big.npy")
    with pytest.raises(FileNotFoundError, match="not in the workspace"):
        connector.read_file(run, "seed_motions/gone.trc")
