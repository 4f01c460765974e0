#!/usr/bin/env bash
# Run a `fivetran` command on a connector folder, keeping the folder's requirements.txt.
# usage: tools/keeping_requirements.sh <connector folder> <command> [args...]
#
# SDK 3.0.0 deletes a requirements.txt that lists no package (mso needs only the pre-installed
# requests) on `debug` and `package`; the repository keeps one in every connector folder.
# Exits with the command's status.
set -uo pipefail
requirements="$1/requirements.txt"
shift
kept=$(cat "$requirements" 2>/dev/null) && had=1 || had=0
"$@"
status=$?
if [ "$had" = 1 ] && [ ! -f "$requirements" ]; then printf '%s\n' "$kept" >"$requirements"; fi
exit "$status"
