#!/usr/bin/env bash
# Run this connector locally under `fivetran debug`; see ../tools/debug_connector.sh.
exec "$(dirname "$0")/../tools/debug_connector.sh" "$(dirname "$0")" "$@"
