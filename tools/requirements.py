"""Print the dependencies pyproject.toml declares (runtime and dev), one per line.

The Makefile installs these into .venv instead of installing the project itself: an installed
project would put a package named `shared` on sys.path, shadowing the connectors' own folder.
"""

import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
dependencies = project["project"]["dependencies"]
for extra in project["project"].get("optional-dependencies", {}).values():
    dependencies += extra
print("\n".join(dependencies))
