"""What Fivetran receives: `fivetran package` of each connector ships shared/, and the unzipped
package syncs in a fresh virtualenv holding only the SDK and that folder's requirements.txt."""

import contextlib
import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tools.sdk_env import REPO_ROOT, TOOLS_DIR, offline_env

CONNECTORS = sorted(p.parent.name for p in REPO_ROOT.glob("*/connector.py"))
SHARED_MODULES = sorted(p.name for p in (REPO_ROOT / "shared").glob("*.py"))
SDK_REQUIREMENT = "fivetran-connector-sdk==3.0.0"


def package(connector: str, tmp_path: Path, home: Path) -> Path:
    """Run `fivetran package` on a copy of the folder whose `shared -> ../shared` symlink is kept
    (and resolves, as in the repository): packaging must follow it."""
    folder = tmp_path / connector
    ignore = shutil.ignore_patterns("files", "crash-reports", "__pycache__")
    shutil.copytree(REPO_ROOT / connector, folder, symlinks=True, ignore=ignore)
    assert (folder / "shared").is_symlink()
    (tmp_path / "shared").symlink_to(REPO_ROOT / "shared")
    subprocess.run(
        [str(REPO_ROOT / ".venv/bin/fivetran"), "package", str(folder), "--non-interactive"],
        env=offline_env(home),
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    return folder / "files" / f"{connector}.zip"


def listed_requirements(connector: str) -> list[str]:
    lines = (REPO_ROOT / connector / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_requirements_are_pinned_and_omit_what_fivetran_preinstalls():
    for connector in CONNECTORS:
        for requirement in listed_requirements(connector):
            assert "==" in requirement, f"{connector}: {requirement} is not pinned"
            name = requirement.split("==")[0].lower().replace("-", "_")
            assert name not in ("fivetran_connector_sdk", "requests"), f"{connector}: {name}"


@pytest.mark.parametrize("connector", CONNECTORS)
def test_package_ships_every_shared_module_and_no_configuration(connector, tmp_path, sdk_home):
    names = zipfile.ZipFile(package(connector, tmp_path, sdk_home)).namelist()
    assert "connector.py" in names
    # The SDK drops a requirements.txt that lists no package (nothing to install).
    assert ("requirements.txt" in names) == bool(listed_requirements(connector))
    for module in SHARED_MODULES:
        assert f"shared/{module}" in names, f"{connector} package lacks shared/{module}"
    assert "configuration.json" not in names  # may hold credentials


@contextlib.contextmanager
def mso_source(tmp_path):
    from tests.mso.simulator import MsoSimulator

    with MsoSimulator(api_key="package-test-key", record_count=250) as sim:
        yield {"api_key": "package-test-key", "base_url": sim.base_url}, ("mso_records", 250)


@contextlib.contextmanager
def motionblend_source(tmp_path):
    from tests.motionblend.sample_workspace import generate_workspace

    manifest = generate_workspace(tmp_path / "workspace")
    yield (
        {"workspace_path": str(tmp_path / "workspace")},
        # Every motion file has a row: the readable ones and the corrupt ones (as errors).
        ("motion_sequences", len(manifest.motions) + len(manifest.corrupt)),
    )


@contextlib.contextmanager
def sensource_source(tmp_path):
    import datetime

    from tests.sensource.simulator import SenSourceSimulator

    with SenSourceSimulator(client_id="package-client", client_secret="package-secret") as sim:
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        configuration = {
            "client_id": "package-client",
            "client_secret": "package-secret",
            "auth_url": sim.token_url,
            "base_url": sim.api_url,
            "start_date": today,
        }
        yield configuration, ("zone", 3)


@contextlib.contextmanager
def tmdb_movies_source(tmp_path):
    from tests.tmdb_movies.simulator import TmdbSimulator

    with TmdbSimulator(api_key="package-test-key", directors={525: 3}) as sim:
        # The tmdb/ package must ship and import from the unzipped folder.
        yield {"api_key": "package-test-key", "base_url": sim.api_url}, ("movies", 3)


SOURCES = {
    "mso": mso_source,
    "motionblend": motionblend_source,
    "sensource": sensource_source,
    "tmdb_movies": tmdb_movies_source,
}


@pytest.mark.slow
@pytest.mark.parametrize("connector", [c for c in CONNECTORS if c in SOURCES])
def test_unzipped_package_syncs_in_a_fresh_virtualenv(connector, tmp_path, sdk_home):
    unzipped = tmp_path / "unzipped" / connector
    zipfile.ZipFile(package(connector, tmp_path, sdk_home)).extractall(unzipped)
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    pip = [str(environment / "bin/python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, SDK_REQUIREMENT, *listed_requirements(connector)], check=True)

    env = offline_env(sdk_home)
    env["PATH"] = f"{TOOLS_DIR}:{environment / 'bin'}:/usr/bin:/bin"
    with SOURCES[connector](tmp_path) as (configuration, (table, expected_rows)):
        config_path = tmp_path / "configuration.json"
        config_path.write_text(json.dumps(configuration))
        result = subprocess.run(
            [
                str(environment / "bin/fivetran"),
                "debug",
                str(unzipped),
                "--configuration",
                str(config_path),
            ],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
    assert result.returncode == 0 and "SYNC SUCCEEDED" in result.stdout, result.stdout[-3000:]
    import duckdb

    with duckdb.connect(str(unzipped / "files/warehouse.db"), read_only=True) as con:
        assert con.execute(f"SELECT count(*) FROM tester.{table}").fetchone()[0] == expected_rows
    assert sys.prefix not in result.stdout  # ran on the fresh venv, not the repo's
