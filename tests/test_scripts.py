"""deploy.sh: what it refuses, what a dry run shows, and that the API key never appears."""

import json
import shutil
import subprocess

import pytest

from tools.sdk_env import REPO_ROOT, offline_env

API_KEY = "ZnRfYXBpX2tleV9kby1ub3QtcHJpbnQ="


@pytest.fixture
def mso_copy(tmp_path, sdk_home):
    """A copy of mso/ beside links to the repository's tools/, shared/ and .venv."""
    for name in ("tools", "shared", ".venv"):
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    ignore = shutil.ignore_patterns("files", "crash-reports", "__pycache__")
    shutil.copytree(REPO_ROOT / "mso", tmp_path / "mso", symlinks=True, ignore=ignore)
    configuration = tmp_path / "good.json"
    configuration.write_text(json.dumps({"api_key": "real-looking-key", "page_size": "50"}))
    return tmp_path / "mso", configuration, offline_env(sdk_home)


def deploy(folder, env, *args, **extra_env):
    return subprocess.run(
        [str(folder / "deploy.sh"), *args],
        env={**env, **extra_env},
        stdin=subprocess.DEVNULL,  # no terminal: nothing may be prompted
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dry_run_packages_with_shared_code_and_hides_the_api_key(mso_copy):
    folder, configuration, env = mso_copy
    result = deploy(
        folder,
        env,
        "--dry-run",
        "--configuration",
        str(configuration),
        FIVETRAN_API_KEY=API_KEY,
        FIVETRAN_DESTINATION_NAME="warehouse",
        FIVETRAN_CONNECTION_NAME="mso_records",
    )
    assert result.returncode == 0, result.stderr
    assert "Dry run: nothing deployed." in result.stdout
    assert "connection:    mso_records" in result.stdout
    assert "set (hidden)" in result.stdout
    assert API_KEY not in result.stdout + result.stderr
    assert (folder / "files" / "mso.zip").exists()
    assert (folder / "requirements.txt").exists()  # kept although the SDK deletes it


@pytest.mark.parametrize(
    ("connection", "configuration", "message"),
    [
        ("Bad-Name", None, "must match ^[_a-z][_a-z0-9]*$"),
        ("ok_name", {"api_key": "<YOUR_API_KEY>"}, "api_key is still the placeholder"),
        ("ok_name", {"api_key": "k-123456", "page_size": "500"}, "page_size must be an integer"),
        ("ok_name", {"api_key": "k-123456", "pagesize": "5"}, "did you mean page_size?"),
    ],
)
def test_refuses_what_would_fail_on_fivetran(
    mso_copy, tmp_path, connection, configuration, message
):
    folder, good, env = mso_copy
    path = good
    if configuration is not None:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(configuration))
    result = deploy(
        folder,
        env,
        "--dry-run",
        "--configuration",
        str(path),
        FIVETRAN_DESTINATION_NAME="warehouse",
        FIVETRAN_CONNECTION_NAME=connection,
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert not (folder / "files" / "mso.zip").exists()


def test_without_a_terminal_a_missing_setting_is_an_error_not_a_prompt(mso_copy):
    folder, configuration, env = mso_copy
    env = {k: v for k, v in env.items() if not k.startswith("FIVETRAN_")}
    result = deploy(folder, env, "--dry-run", "--configuration", str(configuration))
    assert result.returncode == 1
    assert "FIVETRAN_DESTINATION_NAME is not set and no terminal is attached" in result.stderr


@pytest.mark.parametrize("script", ["debug.sh", "deploy.sh"])
def test_configuration_option_without_a_value_prints_usage(mso_copy, script):
    # Issue 12, defect 7: debug.sh said `$2: unbound variable`.
    folder, _, env = mso_copy
    result = subprocess.run(
        [str(folder / script), "--configuration"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{script}: --configuration needs a FILE" in result.stderr
    assert "usage:" in result.stderr
    assert "unbound variable" not in result.stderr


# --- nothing secret ships (issue 12, defect 3) ---


def dry_run(folder, env, configuration):
    return deploy(
        folder,
        env,
        "--dry-run",
        "--configuration",
        str(configuration),
        FIVETRAN_DESTINATION_NAME="warehouse",
        FIVETRAN_CONNECTION_NAME="mso_records",
    )


def test_deploy_refuses_a_filled_in_configuration_inside_the_folder(mso_copy):
    # As the README used to say: `cp configuration.json my-configuration.json` in the folder.
    folder, configuration, env = mso_copy
    inside = folder / "my-configuration.json"
    shutil.copy(configuration, inside)
    result = dry_run(folder, env, inside)
    assert result.returncode == 1
    assert "package (mso): my-configuration.json would be shipped to Fivetran" in result.stderr
    assert "outside the connector folder" in result.stderr
    assert not (folder / "files" / "mso.zip").exists()


def test_deploy_refuses_any_file_holding_the_configurations_secret(mso_copy):
    folder, configuration, env = mso_copy
    key = json.loads(configuration.read_text())["api_key"]
    (folder / "notes.txt").write_text(f"prod key: {key}\n")
    result = dry_run(folder, env, configuration)
    assert result.returncode == 1
    assert "package (mso): notes.txt holds a secret of the configuration" in result.stderr
    assert key not in result.stdout + result.stderr
    assert not (folder / "files" / "mso.zip").exists()


def test_package_refuses_a_stray_configuration_copy(mso_copy):
    # `make package` runs tools/package_connector.sh for every connector.
    folder, configuration, env = mso_copy
    shutil.copy(configuration, folder / "configuration.prod.json")
    result = subprocess.run(
        [str(folder.parent / "tools" / "package_connector.sh"), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "configuration.prod.json would be shipped to Fivetran" in result.stderr
    assert not (folder / "files" / "mso.zip").exists()
