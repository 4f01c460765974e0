#!/usr/bin/env bash
# Package one connector folder with `fivetran package` and check that shared/ is inside.
# usage: tools/package_connector.sh <connector folder> [configuration FILE]   (prints the zip's path)
# Refuses first while the folder holds a file that must not ship (a filled-in configuration, a
# file holding the configuration's secrets): see tools/check_package_folder.py.
# Expects the offline environment (PATH with tools/ and .venv/bin) set by its callers.
set -euo pipefail
folder=$(cd "$1" && pwd)
connector=$(basename "$folder")
package="$folder/files/$connector.zip"

python "$(dirname "$0")/check_package_folder.py" "$folder" "${@:2}" || exit 1

"$(dirname "$0")/keeping_requirements.sh" "$folder" \
  fivetran package "$folder" --non-interactive >/dev/null ||
  { echo "package ($connector): fivetran package failed" >&2; exit 1; }

python - "$package" <<'PY' || { echo "package ($connector): shared/ is missing from $package" >&2; exit 1; }
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
sys.exit(0 if "shared/__init__.py" in names else 1)
PY
echo "$package"
