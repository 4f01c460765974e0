"""Check a configuration file against a connector's spec.json before deploying it.

usage: python tools/check_configuration.py <connector folder> <configuration.json>

Uses the same validation as the connector's `validate_configuration()` (shared/config/):
types, ranges, unknown keys and leftover placeholders such as <YOUR_API_KEY>. Exits 1 with one
line per problem, each naming its key; secret values are never printed.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.config import ConfigSpec  # noqa: E402 (needs the repository root on sys.path)


def main(folder: Path, configuration_path: Path) -> int:
    try:
        configuration = json.loads(configuration_path.read_text())
        ConfigSpec.load(folder / "spec.json").validate(configuration)
    except (OSError, ValueError) as error:
        for line in str(error).splitlines():
            print(f"configuration {configuration_path}: {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
