"""The environment in which `fivetran` commands run offline and without network retries.

Offline, `fivetran debug` would spend ~20 s per run on pipreqs and on two SDK version checks
(the CLI's and the core's, each remembered for six hours under ~/.fivetran). This module:
- puts `tools/` (a no-op `pipreqs`) and the repo's `.venv/bin` first on PATH,
- sets DO_NOT_TRACK=1 (no telemetry),
- stamps both version checks as just done in the given HOME.

Used by the test harness (with a throwaway HOME), the demo, the benchmarks and, through
`python tools/sdk_env.py`, by the Makefile and each connector's debug.sh.
"""

import json
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS_DIR = REPO_ROOT / "tools"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
FIVETRAN = VENV_BIN / "fivetran"


def stamp_version_checks(home: Path) -> None:
    """Record both SDK version checks as done now, so neither calls PyPI for six hours."""
    now = int(time.time())
    cli_dir = home / ".fivetran" / "connector_sdk"
    cli_dir.mkdir(parents=True, exist_ok=True)
    (cli_dir / "_last_version_check").write_text(str(now))

    core_dir = home / ".fivetran" / "connector_sdk_core"
    core_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    core_config = core_dir / "_config.json"
    try:
        settings = json.loads(core_config.read_text())
    except (OSError, ValueError):
        settings = {}
    settings.update(lastVersionCheck=now, licenseNoticeShown=True)
    core_config.write_text(json.dumps(settings))


def offline_env(home: Path | None = None, base: dict | None = None) -> dict:
    """A copy of `base` (default: os.environ) fit for running `fivetran` offline."""
    env = dict(os.environ if base is None else base)
    if home is not None:
        env["HOME"] = str(home)
    stamp_version_checks(Path(env.get("HOME") or Path.home()))
    env["PATH"] = os.pathsep.join([str(TOOLS_DIR), str(VENV_BIN), env.get("PATH", "")])
    env["DO_NOT_TRACK"] = "1"
    env.pop("VIRTUAL_ENV", None)
    return env


if __name__ == "__main__":
    # `python tools/sdk_env.py` stamps the current HOME; shell scripts then set PATH themselves.
    stamp_version_checks(Path.home())
    sys.exit(0)
