"""Run a connector under `fivetran debug` in a subprocess, then read what it wrote.

Every end-to-end test works on a private copy of a connector folder (`ConnectorWorkspace`), so
tests never share a warehouse.db or a state file. The copy follows the `shared` symlink, so the
copy holds the shared code as real files, as a Fivetran package does.

Also here: the crash helper (SIGKILL a sync after its k-th checkpoint or at a moment, then
resume) and the secret scanner (no secret in output, state, crash reports or any table).
"""

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tools.sdk_env import FIVETRAN, REPO_ROOT, offline_env

SCHEMA = "tester"  # where `fivetran debug` writes its tables
CHECKPOINT_LINE = "checkpoint recorded"
SUCCESS_LINE = "SYNC SUCCEEDED"
# A row of the operation summary printed at the end of a sync: "Upserts         | 600"
_OPERATION_ROW = re.compile(r"^\s*([A-Z][a-z]+(?: [a-z]+)?)\s*\|\s*(\d+)\s*$", re.MULTILINE)
SYNC_TIMEOUT_SECONDS = 600
_COPY_IGNORE = shutil.ignore_patterns("files", "crash-reports", "__pycache__", "*.pyc")
# Columns the SDK adds; the sync time differs between any two runs.
SYSTEM_COLUMNS = ("_fivetran_synced",)


@dataclass
class SyncResult:
    """What one `fivetran debug` run left behind."""

    returncode: int
    output: str
    state: dict | None

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and SUCCESS_LINE in self.output

    @property
    def checkpoints(self) -> int:
        return self.output.count(CHECKPOINT_LINE)

    @property
    def operations(self) -> dict[str, int]:
        """The SDK's end-of-sync counts: {"upserts": 600, "checkpoints": 7, ...}."""
        return {
            name.lower().replace(" ", "_"): int(count)
            for name, count in _OPERATION_ROW.findall(self.output)
        }


class ConnectorWorkspace:
    """A private copy of one connector folder with its own configuration, state and warehouse."""

    def __init__(self, connector: str, root: Path, home: Path, env: dict | None = None):
        """`connector` is a folder relative to the repository root, e.g. "mso"."""
        self.root = root
        self.folder = root / Path(connector).name
        shutil.copytree(REPO_ROOT / connector, self.folder, ignore=_COPY_IGNORE)
        self.configuration_path = root / "configuration.json"
        self.state_path = root / "state.json"
        self.env = offline_env(home=home)
        self.env["PYTHONUNBUFFERED"] = (
            "1"  # the crash helper reads checkpoint lines as they happen
        )
        self.env.update(env or {})
        self.write_state({})

    # -- inputs ------------------------------------------------------------------------------
    def write_configuration(self, configuration: dict) -> None:
        self.configuration_path.write_text(json.dumps(configuration))

    def write_state(self, state: dict) -> None:
        self.state_path.write_text(json.dumps(state))

    def read_state(self) -> dict | None:
        try:
            return json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return None

    # -- running -----------------------------------------------------------------------------
    def command(self) -> list[str]:
        return [
            str(FIVETRAN),
            "debug",
            str(self.folder),
            "--configuration",
            str(self.configuration_path),
            "--state",
            str(self.state_path),
        ]

    def start(self, configuration: dict | None = None) -> subprocess.Popen:
        """Start a sync without waiting; stdout and stderr come merged, line by line."""
        if configuration is not None:
            self.write_configuration(configuration)
        return subprocess.Popen(
            self.command(),
            env=self.env,
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )

    def sync(
        self,
        configuration: dict | None = None,
        state: dict | None = None,
        timeout: float = SYNC_TIMEOUT_SECONDS,
    ) -> SyncResult:
        """Run one sync to its end. `state=None` continues from the state the last sync left."""
        if state is not None:
            self.write_state(state)
        proc = self.start(configuration)
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            raise AssertionError(
                f"sync did not finish in {timeout} s:\n{output[-4000:]}"
            ) from None
        return SyncResult(proc.returncode, output, self.read_state())

    # -- reading the warehouse ---------------------------------------------------------------
    @property
    def warehouse(self) -> Path:
        return self.folder / "files" / "warehouse.db"

    def _connect(self):
        return duckdb.connect(str(self.warehouse), read_only=True)

    def tables(self) -> list[str]:
        if not self.warehouse.exists():
            return []
        with self._connect() as con:
            rows = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [SCHEMA],
            ).fetchall()
        return sorted(name for (name,) in rows)

    def column_types(self, table: str) -> dict[str, str]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [SCHEMA, table],
            ).fetchall()
        return dict(rows)

    def rows(self, table: str, include_deleted: bool = True) -> list[dict]:
        """All rows of a table as dicts; timestamps come back as text (no pytz needed)."""
        types = self.column_types(table)
        if not types:
            raise AssertionError(f"table {SCHEMA}.{table} does not exist; tables: {self.tables()}")
        select = ", ".join(
            f'CAST("{name}" AS VARCHAR) AS "{name}"' if "TIME" in kind else f'"{name}"'
            for name, kind in types.items()
        )
        where = "" if include_deleted else " WHERE NOT COALESCE(_fivetran_deleted, false)"
        with self._connect() as con:
            cursor = con.execute(f'SELECT {select} FROM {SCHEMA}."{table}"{where}')
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def count(self, table: str, include_deleted: bool = False) -> int:
        return len(self.rows(table, include_deleted=include_deleted))

    def crash_reports(self) -> list[Path]:
        folder = self.folder / "crash-reports"
        return sorted(folder.rglob("*")) if folder.exists() else []


# -- crash helper ----------------------------------------------------------------------------
def kill_after_checkpoints(
    workspace: ConnectorWorkspace, checkpoints: int, timeout: float = SYNC_TIMEOUT_SECONDS
) -> bool:
    """Start a sync and SIGKILL it right after its `checkpoints`-th checkpoint.

    Returns False when the sync ended by itself before reaching that checkpoint.
    """
    proc = workspace.start()
    seen, deadline = 0, time.monotonic() + timeout
    try:
        for line in proc.stdout:
            if CHECKPOINT_LINE in line:
                seen += 1
                if seen >= checkpoints:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    return True
            if time.monotonic() > deadline:
                raise AssertionError("sync did not reach the kill point in time")
        proc.wait()
        return False
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()


def kill_after_seconds(workspace: ConnectorWorkspace, seconds: float) -> bool:
    """Start a sync and SIGKILL it after `seconds`; False when it finished before."""
    proc = workspace.start()
    try:
        proc.communicate(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return True


def table_snapshot(workspace: ConnectorWorkspace, table: str, key: str) -> dict:
    """A table keyed by primary key, without the columns that differ between runs.

    Fails on duplicate primary keys: a resumed sync must never write a row twice.
    """
    snapshot = {}
    for row in workspace.rows(table):
        row = {k: v for k, v in row.items() if k not in SYSTEM_COLUMNS}
        assert row[key] not in snapshot, f"duplicate {key} {row[key]!r} in {table}"
        snapshot[row[key]] = row
    return snapshot


def assert_same_tables(
    resumed: ConnectorWorkspace, reference: ConnectorWorkspace, keys: dict[str, str]
) -> None:
    """The resumed run's tables equal the uninterrupted run's: same keys, same values."""
    for table, key in keys.items():
        got, want = table_snapshot(resumed, table, key), table_snapshot(reference, table, key)
        missing, extra = want.keys() - got.keys(), got.keys() - want.keys()
        assert not missing and not extra, (
            f"{table}: {len(missing)} rows missing, {len(extra)} extra after resume"
        )
        differing = [k for k in want if got[k] != want[k]]
        assert not differing, f"{table}: {len(differing)} rows differ, e.g. {differing[0]!r}"


# -- secret scanner --------------------------------------------------------------------------
def find_secrets(
    secrets: list[str],
    workspace: ConnectorWorkspace,
    results: list[SyncResult] = (),
    texts: list[str] = (),
) -> list[str]:
    """Where any secret appears: sync output, state, crash reports, tables, other texts."""
    places: list[tuple[str, str]] = [
        (f"output of sync {i}", r.output) for i, r in enumerate(results)
    ]
    places += [(f"text {i}", text) for i, text in enumerate(texts)]
    for path in [workspace.state_path, workspace.folder / "files" / "state.json"]:
        if path.exists():
            places.append((str(path), path.read_text(errors="replace")))
    places += [
        (str(p), p.read_text(errors="replace")) for p in workspace.crash_reports() if p.is_file()
    ]
    for table in workspace.tables():
        places.append((f"table {table}", repr(workspace.rows(table))))
    return [
        f"{secret[:2]}… found in {where}"
        for secret in secrets
        for where, text in places
        if secret and secret in text
    ]


def assert_no_secrets(secrets, workspace, results=(), texts=()) -> None:
    leaks = find_secrets(list(secrets), workspace, list(results), list(texts))
    assert not leaks, "secret leaked: " + "; ".join(leaks)


# -- unit-test access to connector modules ---------------------------------------------------
def load_connector_module(connector: str):
    """Import `<connector>/connector.py` under a unique module name, its folder on sys.path."""
    folder = REPO_ROOT / connector
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    name = f"{connector}_connector"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, folder / "connector.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
