#!/usr/bin/env bash
# Package one connector folder (shared/ included) and deploy it to Fivetran.
# Called by each connector's deploy.sh as: tools/deploy_connector.sh <connector folder> [options]
#
# Reads FIVETRAN_API_KEY, FIVETRAN_DESTINATION_NAME, FIVETRAN_CONNECTION_NAME and optionally
# FIVETRAN_CONFIGURATION (a configuration file path) from the environment; prompts for what is
# missing only when a terminal is attached. The API key is never echoed or put on a command line.
set -euo pipefail

usage() {
  cat <<USAGE
usage: ./deploy.sh [--dry-run] [--configuration FILE]
  --dry-run              package and print what would be deployed, then stop
  --configuration FILE   configuration to deploy (default: \$FIVETRAN_CONFIGURATION or configuration.json)
USAGE
}

folder=$(cd "$1" && pwd)
shift
repo=$(cd "$folder/.." && pwd)
connector=$(basename "$folder")
dry_run=0
configuration="${FIVETRAN_CONFIGURATION:-$folder/configuration.json}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --configuration)
      [ $# -ge 2 ] || { echo "deploy.sh: --configuration needs a FILE" >&2; usage >&2; exit 2; }
      configuration="$2"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "deploy.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

fail() { echo "deploy.sh ($connector): $*" >&2; exit 1; }

ask() {  # ask VAR "prompt" [secret]: fill VAR from the terminal when it is empty
  local var=$1 prompt=$2 secret=${3:-} value
  [ -n "${!var:-}" ] && return 0
  [ -t 0 ] || fail "$var is not set and no terminal is attached to ask for it"
  if [ -n "$secret" ]; then read -r -s -p "$prompt: " value; echo >&2; else read -r -p "$prompt: " value; fi
  printf -v "$var" '%s' "$value"
}

[ -x "$repo/.venv/bin/fivetran" ] || make -C "$repo" install
export DO_NOT_TRACK=1 PATH="$repo/tools:$repo/.venv/bin:$PATH"
python "$repo/tools/sdk_env.py"

[ -f "$configuration" ] || fail "configuration file $configuration not found"
python "$repo/tools/check_configuration.py" "$folder" "$configuration" || exit 1

ask FIVETRAN_DESTINATION_NAME "Fivetran destination name"
ask FIVETRAN_CONNECTION_NAME "Connection name (lower case, digits, _)"
[[ "$FIVETRAN_CONNECTION_NAME" =~ ^[_a-z][_a-z0-9]*$ ]] ||
  fail "connection name '$FIVETRAN_CONNECTION_NAME' must match ^[_a-z][_a-z0-9]*\$"

# `fivetran deploy` packages the folder again by itself: this check guards that package too.
package=$("$repo/tools/package_connector.sh" "$folder" "$configuration") || exit 1

if [ "$dry_run" = 1 ]; then
  echo "Dry run: nothing deployed."
  echo "  connector:     $connector ($folder)"
  echo "  package:       $package ($(python -c 'import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))' "$package") files)"
  echo "  destination:   $FIVETRAN_DESTINATION_NAME"
  echo "  connection:    $FIVETRAN_CONNECTION_NAME"
  echo "  configuration: $configuration (keys: $(python -c 'import json, sys; print(", ".join(json.load(open(sys.argv[1]))))' "$configuration"))"
  echo "  api key:       $([ -n "${FIVETRAN_API_KEY:-}" ] && echo 'set (hidden)' || echo 'not set')"
  exit 0
fi

ask FIVETRAN_API_KEY "Fivetran API key (base64, hidden)" secret
# The CLI reads FIVETRAN_API_KEY from the environment: the key never appears in `ps`.
export FIVETRAN_API_KEY FIVETRAN_DESTINATION_NAME FIVETRAN_CONNECTION_NAME
fivetran deploy "$folder" --destination "$FIVETRAN_DESTINATION_NAME" \
  --connection "$FIVETRAN_CONNECTION_NAME" --configuration "$(realpath "$configuration")" \
  --python-version 3.11 --non-interactive
