#!/bin/bash
# fs-status-table.sh — a table of every container under an ocifs mount:
# id, status, pid (empty when it has none) and bundle.
#
#   examples/fs-status-table.sh [MOUNT]       (default /oci)
#
# The whole script is one line of jq over MOUNT/*/state: every container
# directory holds its OCI state JSON, so no ocirun call is needed.  The same
# by hand:
#   jq -r '[.id, .status, (.pid // 0), .bundle] | @tsv' /oci/*/state | column -t
# Needs: bash, jq, column (bsdextrautils).
set -euo pipefail
mnt="${1:-/oci}"
shopt -s nullglob
states=("$mnt"/*/state)
{
	echo -e "ID\tSTATUS\tPID\tBUNDLE"
	[ ${#states[@]} -eq 0 ] ||
		jq -r '[.id, .status, (if (.pid // 0) > 0 then .pid else "-" end), .bundle] | @tsv' "${states[@]}"
} | column -t -s $'\t'
