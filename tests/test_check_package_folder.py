"""tools/check_package_folder.py: which files would ship that must not (issue 12, defect 3)."""

import json
import shutil

import pytest

from tools.check_package_folder import problems, shipped_files
from tools.sdk_env import REPO_ROOT

KEY = "mso-real-key-5e1f0c"


@pytest.fixture
def folder(tmp_path):
    """A copy of mso/ (shared/ as the symlink it is), without local run output."""
    ignore = shutil.ignore_patterns("files", "crash-reports", "__pycache__", "*.json")
    shutil.copytree(REPO_ROOT / "mso", tmp_path / "mso", symlinks=True, ignore=ignore)
    shutil.copy(REPO_ROOT / "mso" / "spec.json", tmp_path / "mso" / "spec.json")
    shutil.copy(REPO_ROOT / "mso" / "configuration.json", tmp_path / "mso" / "configuration.json")
    (tmp_path / "shared").symlink_to(REPO_ROOT / "shared")
    return tmp_path / "mso"


def filled_in(path, key=KEY):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_key": key, "page_size": "50"}))
    return path


@pytest.mark.parametrize("connector", ["mso", "motionblend"])
def test_the_connectors_as_committed_are_clean(tmp_path, connector):
    ignore = shutil.ignore_patterns("files", "crash-reports", "__pycache__")
    copy = tmp_path / connector
    shutil.copytree(REPO_ROOT / connector, copy, symlinks=True, ignore=ignore)
    (tmp_path / "shared").symlink_to(REPO_ROOT / "shared")
    assert problems(copy, []) == []
    assert "shared/http.py" in {str(p.relative_to(copy)) for p in shipped_files(copy)}


@pytest.mark.parametrize("name", ["my-configuration.json", "backup/prod.json", "Config.JSON.json"])
def test_any_json_but_the_connectors_own_is_named(folder, name):
    filled_in(folder / name)
    [problem] = problems(folder, [])
    assert problem.startswith(f"{name} would be shipped to Fivetran")
    assert "~/mso-configuration.json" in problem


def test_files_the_sdk_leaves_out_are_not_flagged(folder):
    for name in ("files/state.json", "crash-reports/x.log", ".env.json", "destination.json"):
        filled_in(folder / name)
    filled_in(folder / "configuration.json")  # never shipped: the SDK leaves it out by name
    assert problems(folder, []) == []


def test_a_file_holding_a_secret_of_the_given_configuration_is_named(folder, tmp_path):
    configuration = filled_in(tmp_path / "outside.json", key=f" {KEY}\n")
    (folder / "notes.md").write_text(f"remember {KEY}")
    [problem] = problems(folder, [configuration])
    assert problem.startswith("notes.md holds a secret of the configuration")
    assert KEY not in problem


def test_the_folders_own_filled_in_configuration_counts_too(folder):
    filled_in(folder / "configuration.json")
    (folder / "debug.log").write_text(f"api_key={KEY}")
    assert [p.split()[0] for p in problems(folder, [])] == ["debug.log"]


def test_placeholders_are_not_secrets(folder):
    # configuration.json as committed holds <YOUR_API_KEY>, and so does the README.
    (folder / "notes.md").write_text("set <YOUR_API_KEY> in configuration.json")
    assert problems(folder, []) == []
