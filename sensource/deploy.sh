#!/usr/bin/env bash
# Package this connector with shared/ and deploy it; see ../tools/deploy_connector.sh.
exec "$(dirname "$0")/../tools/deploy_connector.sh" "$(dirname "$0")" "$@"
