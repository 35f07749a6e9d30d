#!/bin/bash
# fs-wait-running.sh — start a bundle through an ocifs mount and wait until
# its container is running.
#
#   examples/fs-wait-running.sh MOUNT ID BUNDLE [TIMEOUT_SECONDS]
#
#   e.g. examples/fs-wait-running.sh /oci web /srv/bundles/web
#
# Creates the container (unless MOUNT/ID exists already), starts it, and
# waits for MOUNT/ID/status to read "running" by watching the file with
# inotifywait (the daemon changes its mtime at every status change), not by
# polling.  Exit status 0 once it runs; 1 when it stopped instead, a ctl
# command failed or TIMEOUT_SECONDS (default 10) ran out.
# Needs: bash, inotifywait (apt-get install inotify-tools).
set -euo pipefail

if [ $# -lt 3 ]; then
	echo "usage: $0 MOUNT ID BUNDLE [TIMEOUT_SECONDS]" >&2
	exit 2
fi
mnt="$1" id="$2" bundle="$3" limit="${4:-10}"
dir="$mnt/$id"

# A failed ctl write fails `echo` (the shell prints the errno, e.g. "File
# exists"), and set -e ends the script; the reason is in the error file.
if [ ! -d "$dir" ]; then
	echo "create $id $bundle" >"$mnt/ctl" || { cat "$mnt/error" >&2; exit 1; }
fi
if [ "$(cat "$dir/status")" = created ]; then
	echo start >"$dir/ctl" || { cat "$dir/error" >&2; exit 1; }
fi

deadline=$((SECONDS + limit))
while :; do
	case "$(cat "$dir/status")" in
	running)
		echo "$id is running, pid $(cat "$dir/pid")"
		exit 0
		;;
	stopped)
		echo "$id stopped (exit status $(jq -r '.exitStatus // "?"' "$dir/state" 2>/dev/null || echo '?'))" >&2
		exit 1
		;;
	esac
	if [ "$SECONDS" -ge "$deadline" ]; then
		echo "$id: still $(cat "$dir/status") after ${limit}s" >&2
		exit 1
	fi
	# Sleep until the next status change.  The -t 1 bounds the wait, in case
	# the change came between the `cat` above and the watch being set up.
	inotifywait -qq -t 1 -e modify "$dir/status" || true
done
