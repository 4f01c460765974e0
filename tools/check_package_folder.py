"""Refuse to package a connector folder that would ship a filled-in configuration or a secret.

usage: python tools/check_package_folder.py <connector folder> [configuration.json ...]

`fivetran package` (and `fivetran deploy`, which packages the folder again by itself) leaves out
only a file named exactly `configuration.json`: a copy such as `my-configuration.json`, with the
real key in it, goes into the zip uploaded to Fivetran. So, before packaging, this refuses while
the folder holds, among the files the SDK would ship:

- any `*.json` other than the connector's own (`spec.json`);
- any file holding a secret value of the given configurations or of the folder's own
  `configuration.json` (the secret fields are those spec.json marks `"secret": true`).

Exits 1 naming each file, never the secret; 0 when the folder is clean.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.config import ConfigSpec  # noqa: E402 (needs the repository root on sys.path)
from shared.masking import MIN_SECRET_LENGTH  # noqa: E402

# The JSON files a connector ships; anything else ending in .json is treated as a configuration.
SHIPPED_JSON = frozenset({"spec.json"})
# What `fivetran package` leaves out (SDK 3.0.0, connector_helper.get_default_ignore_patterns):
# dotfiles, these files, and folders with these names at any depth. (It also honours a
# .gitignore inside the connector folder; this check ignores that and is the stricter for it.)
_UNSHIPPED_FOLDERS = frozenset({"files", "lib", "include", "crash-reports", "__pycache__"})
_UNSHIPPED_FILES = frozenset({"configuration.json", "destination.json", "options.toml"})
_SCAN_LIMIT_BYTES = 64 * 1024 * 1024


def shipped_files(folder: Path) -> list[Path]:
    """The files `fivetran package` would put in the zip (symlinks followed, as it does)."""
    found = []
    for root, folders, files in os.walk(folder, followlinks=True):
        folders[:] = sorted(
            name for name in folders if not name.startswith(".") and name not in _UNSHIPPED_FOLDERS
        )
        found += [
            Path(root, name)
            for name in sorted(files)
            if not name.startswith(".") and name not in _UNSHIPPED_FILES
        ]
    return found


def secret_values(folder: Path, configurations: list[Path]) -> list[bytes]:
    """The secret values (as written and stripped) of each readable configuration."""
    secret_keys = ConfigSpec.load(folder / "spec.json").secret_keys
    values: set[bytes] = set()
    for path in [*configurations, folder / "configuration.json"]:
        try:
            configuration = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(configuration, dict):
            continue
        for key in secret_keys:
            value = configuration.get(key)
            if not isinstance(value, str):
                continue
            for form in {value, value.strip()}:
                if len(form) >= MIN_SECRET_LENGTH and not form.startswith("<"):
                    values.add(form.encode("utf-8"))
    return sorted(values)


def problems(folder: Path, configurations: list[Path]) -> list[str]:
    """One line per file that must not be shipped, naming it (relative to the folder)."""
    secrets = secret_values(folder, configurations)
    found = []
    for path in shipped_files(folder):
        name = path.relative_to(folder)
        if path.suffix == ".json" and str(name) not in SHIPPED_JSON:
            found.append(
                f"{name} would be shipped to Fivetran: keep filled-in configurations outside the "
                f"connector folder (e.g. ~/{folder.name}-configuration.json) and remove it here"
            )
            continue
        if secrets and path.stat().st_size <= _SCAN_LIMIT_BYTES:
            content = path.read_bytes()
            if any(secret in content for secret in secrets):
                found.append(
                    f"{name} holds a secret of the configuration and would be shipped to "
                    "Fivetran: remove it from the connector folder"
                )
    return found


def main(folder: Path, configurations: list[Path]) -> int:
    found = problems(folder, configurations)
    for line in found:
        print(f"package ({folder.name}): {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve(), [Path(arg) for arg in sys.argv[2:]]))
