#!/usr/bin/env bats
# Change notification for file-watching tools (SPEC §5): inotify IN_MODIFY on
# state/status/pid at every status change, whoever made it; IN_CREATE and
# IN_DELETE on the mount's root when containers appear and vanish.

bats_require_minimum_version 1.5.0
load fs_helpers

setup() {
	fs_require
	command -v inotifywait >/dev/null || skip "inotifywait is missing (apt-get install inotify-tools)"
	setup_bundle
	cfg '.process.args = ["sh", "-c", "trap \"exit 0\" TERM; sleep 100 & wait"]'
	fs_mount
}

teardown() {
	fs_teardown
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# let a notification of an earlier change pass before watching for the next
settle() {
	sleep 0.3
}

@test "notify: echo start > ctl modifies state" {
	ctl_create "$CID"
	settle
	watch_start W -t 3 -e modify "$MNT/$CID/state"
	ctl "$CID" start
	watch_wait "$W"
	cat "$W_OUT"
	grep -q MODIFY "$W_OUT"
	[ "$(fs_status "$CID")" = running ]
}

@test "notify: state, status and pid all get IN_MODIFY, and a new mtime" {
	ctl_create "$CID"
	settle
	m0="$(fsx stat -c %Y.%y "$MNT/$CID/status")"
	watch_start W1 -t 3 -e modify "$MNT/$CID/state"
	watch_start W2 -t 3 -e modify "$MNT/$CID/status"
	watch_start W3 -t 3 -e modify "$MNT/$CID/pid"
	sleep 0.05 # a later mtime
	ctl "$CID" start
	watch_wait "$W1"
	watch_wait "$W2"
	watch_wait "$W3"
	m1="$(fsx stat -c %Y.%y "$MNT/$CID/status")"
	echo "mtime $m0 -> $m1"
	[ "$m0" != "$m1" ]
	# synthetic files stay size 0 and read in full
	[ "$(fsx stat -c %s "$MNT/$CID/state")" = 0 ]
	[ "$(fs_status "$CID")" = running ]
}

@test "notify: ocirun kill on the same root modifies state within 500 ms" {
	ctl_create "$CID"
	ctl "$CID" start
	settle
	watch_start W -t 3 -e modify "$MNT/$CID/state"
	t0="$(now_ms)"
	rt kill "$CID" KILL
	watch_wait "$W"
	t1="$(now_ms)"
	echo "event $((t1 - t0)) ms after the kill began"
	[ $((t1 - t0)) -lt 500 ]
	[ "$(fs_status "$CID")" = stopped ]
}

@test "notify: ocirun start on the same root modifies state" {
	ctl_create "$CID"
	settle
	watch_start W -t 3 -e modify "$MNT/$CID/state"
	rt start "$CID"
	watch_wait "$W"
	[ "$(fs_status "$CID")" = running ]
}

@test "notify: a container exiting on its own modifies state" {
	cfg '.process.args = ["sh", "-c", "sleep 1.2; exit 5"]'
	ctl_create "$CID"
	ctl "$CID" start
	settle
	[ "$(fs_status "$CID")" = running ]
	watch_start W -t 4 -e modify "$MNT/$CID/state"
	watch_wait "$W"
	[ "$(fs_status "$CID")" = stopped ]
	[ "$(fs_read "$CID" state | jq -r .exitStatus)" = 5 ]
}

@test "notify: no IN_MODIFY while nothing changes" {
	ctl_create "$CID"
	ctl "$CID" start
	settle
	watch_start W -t 1 -e modify "$MNT/$CID/state"
	# reads are not changes
	fs_read "$CID" state >/dev/null
	fs_status "$CID" >/dev/null
	rc=0
	watch_wait "$W" || rc=$?
	cat "$W_OUT"
	[ "$rc" -eq 2 ]
}

@test "notify: pause and resume modify status" {
	ctl_create "$CID"
	ctl "$CID" start
	settle
	watch_start W -t 3 -e modify "$MNT/$CID/status"
	ctl "$CID" pause
	watch_wait "$W"
	[ "$(fs_status "$CID")" = paused ]
	settle
	watch_start W -t 3 -e modify "$MNT/$CID/status"
	ctl "$CID" resume
	watch_wait "$W"
	[ "$(fs_status "$CID")" = running ]
}

@test "notify: a container made with ocirun appears (IN_CREATE) and vanishes (IN_DELETE)" {
	watch_start W -t 3 -e create --format '%e %f' "$MNT"
	rt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	watch_wait "$W"
	cat "$W_OUT"
	grep -qx "CREATE,ISDIR $CID" "$W_OUT"
	fsx test -d "$MNT/$CID"
	settle
	watch_start W -t 3 -e delete --format '%e %f' "$MNT"
	rt delete --force "$CID"
	watch_wait "$W"
	cat "$W_OUT"
	grep -qx "DELETE,ISDIR $CID" "$W_OUT"
	run ! fsx test -e "$MNT/$CID"
}

@test "notify: ctl create and stop are seen by watchers of the root" {
	watch_start W -m -t 3 -e create -e delete --format '%e %f' "$MNT"
	ctl_create "$CID"
	ctl "$CID" start
	ctl "$CID" "stop 1"
	fs_wait_gone "$CID" 40
	for _ in $(seq 40); do
		grep -q DELETE "$W_OUT" && break
		sleep 0.05
	done
	cat "$W_OUT"
	grep -qx "CREATE,ISDIR $CID" "$W_OUT"
	grep -qx "DELETE,ISDIR $CID" "$W_OUT"
}

@test "notify: a watcher of the root sees nothing from reads and listings" {
	ctl_create "$CID"
	settle
	watch_start W -t 1 -e create -e delete -e modify "$MNT"
	fsx ls "$MNT" >/dev/null
	fsx cat "$MNT/features" >/dev/null
	fs_read "$CID" state >/dev/null
	rc=0
	watch_wait "$W" || rc=$?
	cat "$W_OUT"
	[ "$rc" -eq 2 ]
}

@test "notify: entr re-runs its command when status changes" {
	command -v entr >/dev/null || skip "entr is missing"
	ctl_create "$CID"
	settle
	echo "$MNT/$CID/status" | timeout 4 entr -np sh -c "cat $MNT/$CID/status >>$FS_TMP/seen" \
		>/dev/null 2>&1 3>&- &
	fs_bg_add $!
	sleep 0.3
	ctl "$CID" start
	for _ in $(seq 40); do
		grep -q running "$FS_TMP/seen" 2>/dev/null && break
		sleep 0.05
	done
	grep -q running "$FS_TMP/seen"
}

@test "examples: fs-wait-running, fs-supervisor and fs-status-table work" {
	ex="$REPO_DIR/examples"
	cfg '.process.args = ["sleep", "100"]'
	run -0 timeout 8 "$ex/fs-wait-running.sh" "$MNT" "$CID" "$BUNDLE" 5
	[[ "$output" == *"$CID is running, pid $(fs_read "$CID" pid)"* ]]
	# the supervisor restarts a container that exits, up to 1 time here
	cfg '.process.args = ["sh", "-c", "sleep 0.3; exit 4"]'
	run -1 timeout 8 "$ex/fs-supervisor.sh" "$MNT" "${CID}s" "$BUNDLE" 1
	echo "$output"
	[ "$(grep -c "running, pid" <<<"$output")" -eq 2 ]
	[ "$(grep -c "stopped (exit status 4)" <<<"$output")" -eq 2 ]
	[[ "$output" == *"gave up after 1 restarts"* ]]
	# waiting for a container that stopped fails
	run -1 timeout 8 "$ex/fs-wait-running.sh" "$MNT" "${CID}s" "$BUNDLE" 5
	run -0 timeout 5 "$ex/fs-status-table.sh" "$MNT"
	echo "$output"
	grep -qE "^$CID +running +[0-9]+ +$BUNDLE\$" <<<"$output"
	grep -qE "^${CID}s +stopped +- +$BUNDLE\$" <<<"$output"
}
