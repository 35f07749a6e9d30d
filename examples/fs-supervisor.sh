#!/bin/bash
# fs-supervisor.sh — keep a container running: restart it whenever its state
# says "stopped", watching the state file with inotifywait.
#
#   examples/fs-supervisor.sh MOUNT ID BUNDLE [MAX_RESTARTS]
#
#   e.g. examples/fs-supervisor.sh /oci web /srv/bundles/web &
#
# Starts the container if needed, then sleeps in inotifywait until
# MOUNT/ID/state changes (the daemon makes every status change an inotify
# IN_MODIFY event: a ctl command, an `ocirun` call on the same state root, or
# the process exiting on its own).  When the status is "stopped" it logs the
# exit status, deletes the container and creates and starts it again, at
# most MAX_RESTARTS times (default: forever), one second apart at least.
# Ctrl-C (or SIGTERM) ends the supervisor; the container keeps running.
# Needs: bash, jq, inotifywait (apt-get install inotify-tools jq).
set -uo pipefail

if [ $# -lt 3 ]; then
	echo "usage: $0 MOUNT ID BUNDLE [MAX_RESTARTS]" >&2
	exit 2
fi
mnt="$1" id="$2" bundle="$3" max="${4:--1}"
dir="$mnt/$id"
restarts=0

log() { echo "$(date +%T) fs-supervisor $id: $*"; }

# (re)create and start; returns non-zero when a ctl command failed
launch() {
	if [ ! -d "$dir" ]; then
		echo "create $id $bundle" >"$mnt/ctl" || { log "create failed: $(cat "$mnt/error")"; return 1; }
	fi
	if [ "$(cat "$dir/status")" = created ]; then
		echo start >"$dir/ctl" || { log "start failed: $(cat "$dir/error")"; return 1; }
	fi
	log "running, pid $(cat "$dir/pid")"
}

launch || exit 1
while :; do
	# Wait for a change of the state file; -t 5 also re-checks now and then
	# (a change between the last read and the watch is not missed for long).
	# When the directory vanishes (someone ran `stop` or rmdir),
	# inotifywait returns at once and the container is launched again.
	inotifywait -qq -t 5 -e modify "$dir/state" 2>/dev/null
	status="$(cat "$dir/status" 2>/dev/null || echo missing)"
	case "$status" in
	stopped | missing)
		code="$(jq -r '.exitStatus // "?"' "$dir/state" 2>/dev/null || echo '?')"
		log "$status (exit status $code)"
		if [ "$max" -ge 0 ] && [ "$restarts" -ge "$max" ]; then
			log "gave up after $restarts restarts"
			exit 1
		fi
		restarts=$((restarts + 1))
		sleep 1 # a crash loop must not spin
		# a stopped container is deleted with rmdir (EBUSY if it is not stopped)
		[ "$status" = missing ] || rmdir "$dir" || { log "rmdir failed"; continue; }
		launch || log "restart $restarts failed, trying again"
		;;
	esac
done
