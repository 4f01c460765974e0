#!/usr/bin/env bash
# Run one connector under `fivetran debug` with the repository's .venv, then print what it wrote.
# Called by each connector's debug.sh as: tools/debug_connector.sh <connector folder> [options]
set -euo pipefail

usage() {
  cat <<USAGE
usage: ./debug.sh [--reset] [--configuration FILE]
  --reset                start fresh: 'fivetran reset --yes' deletes files/ (warehouse and state)
  --configuration FILE   configuration to use (default: configuration.json in the connector folder)
USAGE
}

folder=$(cd "$1" && pwd)
shift
repo=$(cd "$folder/.." && pwd)
reset=0
configuration="$folder/configuration.json"
while [ $# -gt 0 ]; do
  case "$1" in
    --reset) reset=1 ;;
    --configuration)
      [ $# -ge 2 ] || { echo "debug.sh: --configuration needs a FILE" >&2; usage >&2; exit 2; }
      configuration=$(realpath "$2"); shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "debug.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

[ -x "$repo/.venv/bin/fivetran" ] || make -C "$repo" install
export DO_NOT_TRACK=1 PATH="$repo/tools:$repo/.venv/bin:$PATH"
python "$repo/tools/sdk_env.py"

if [ "$reset" = 1 ]; then
  fivetran reset "$folder" --yes
fi
status=0
"$repo/tools/keeping_requirements.sh" "$folder" \
  fivetran debug "$folder" --configuration "$configuration" || status=$?
python "$repo/tools/warehouse_summary.py" "$folder/files/warehouse.db"
exit "$status"
