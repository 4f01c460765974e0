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
