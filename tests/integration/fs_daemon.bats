#!/usr/bin/env bats
# The daemon and the state store (SPEC §3, §5): one store for both front
# ends, containers outliving the daemon (SIGKILL, SIGTERM, unmount, restart),
# concurrent writers, options and the configuration file.

bats_require_minimum_version 1.5.0
load fs_helpers

# SPEC section 6: "16 concurrent writers hammering ctl files"
WRITERS=16

setup() {
	fs_require
	setup_bundle
	cfg '.process.args = ["sh", "-c", "trap \"exit 0\" TERM; sleep 100 & wait"]'
	fs_mount
}

teardown() {
	fs_teardown
}

@test "daemon: containers made with ocirun appear in the tree with their status" {
	rt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	fs_wait_status "$CID" created 20
	[ "$(fs_read "$CID" pid)" = "$(rt state "$CID" | jq -r .pid)" ]
	rt start "$CID"
	[ "$(fs_status "$CID")" = running ]
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	[ "$(fs_status "$CID")" = stopped ]
	rt delete "$CID"
	fs_wait_gone "$CID" 20
}

@test "daemon: containers made through ctl are in ocirun list, and ocirun drives them" {
	ctl_create "$CID"
	run -0 rt list -q
	[ "$output" = "$CID" ]
	[ "$(rt state "$CID" | jq -r .status)" = created ]
	[ "$(rt state "$CID" | jq -r .bundle)" = "$BUNDLE" ]
	rt start "$CID"
	[ "$(fs_status "$CID")" = running ]
	rt stop --time 1 "$CID"
	fs_wait_gone "$CID" 20
}

@test "daemon: SIGKILL and restart: containers live on and show their true status" {
	ctl_create "$CID"
	ctl "$CID" start
	cfg '.process.args = ["sh", "-c", "sleep 1; exit 3"]'
	ctl_create "${CID}b"
	ctl "${CID}b" start
	cfg '.process.args = ["sleep", "100"]'
	ctl_create "${CID}c"
	pid="$(fs_read "$CID" pid)"
	pidb="$(fs_read "${CID}b" pid)"
	pidc="$(fs_read "${CID}c" pid)"

	fs_kill_daemon KILL
	run ! _fs_mounted "$MNT"
	# nothing stopped with the daemon
	[ -d "/proc/$pid" ]
	[ "$(rt state "$CID" | jq -r .status)" = running ]
	[ "$(rt state "${CID}c" | jq -r .status)" = created ]
	# b exits while the daemon is down; its exit status must not be lost
	pid_gone "$pidb" 60

	fs_start
	[ "$(fs_status "$CID")" = running ]
	[ "$(fs_read "$CID" pid)" = "$pid" ]
	[ "$(fs_status "${CID}b")" = stopped ]
	[ "$(fs_read "${CID}b" state | jq -r .exitStatus)" = 3 ]
	[ "$(fs_status "${CID}c")" = created ]
	[ "$(fs_read "${CID}c" pid)" = "$pidc" ]
	# and they can be driven through the new daemon
	ctl "${CID}c" start
	[ "$(fs_status "${CID}c")" = running ]
	ctl "$CID" "stop 1"
	fs_wait_gone "$CID" 40
	ctl "${CID}b" delete
	fs_wait_gone "${CID}b"
}

@test "daemon: SIGTERM unmounts cleanly; containers keep running" {
	ctl_create "$CID"
	ctl "$CID" start
	pid="$(fs_read "$CID" pid)"
	kill -TERM "$OCIFS_PID"
	_fs_wait_pid "$OCIFS_PID" 60
	wait "$OCIFS_PID" || true
	OCIFS_PID=
	run ! _fs_mounted "$MNT"
	[ -d "/proc/$pid" ]
	[ "$(rt state "$CID" | jq -r .status)" = running ]
	fs_start
	[ "$(fs_status "$CID")" = running ]
}

@test "daemon: fusermount3 -u ends the daemon; containers keep running" {
	ctl_create "$CID"
	ctl "$CID" start
	pid="$(fs_read "$CID" pid)"
	fsx fusermount3 -u "$MNT"
	_fs_wait_pid "$OCIFS_PID" 60
	wait "$OCIFS_PID"
	OCIFS_PID=
	[ -d "/proc/$pid" ]
	[ "$(rt state "$CID" | jq -r .status)" = running ]
}

@test "daemon: a container that exits while mounted shows stopped with its exitStatus" {
	cfg '.process.args = ["sh", "-c", "exit 42"]'
	ctl_create "$CID"
	ctl "$CID" start
	fs_wait_status "$CID" stopped
	[ "$(fs_read "$CID" state | jq -r .exitStatus)" = 42 ]
	[ -z "$(fs_read "$CID" pid)" ]
	# the store agrees
	[ "$(rt state "$CID" | jq -r .status)" = stopped ]
}

# writer ID: one shell's whole life of a container through ctl
writer() {
	local id="$1" st
	ctl_create "$id" || { echo "$id: create failed"; return 1; }
	ctl "$id" start || { echo "$id: start failed"; return 1; }
	st="$(fs_read "$id" state)" || { echo "$id: state unreadable"; return 1; }
	[ "$(jq -r .status <<<"$st")" = running ] || { echo "$id: state $st"; return 1; }
	[ "$(jq -r .id <<<"$st")" = "$id" ] || { echo "$id: state $st"; return 1; }
	ctl "$id" "stop 1" || { echo "$id: stop failed"; return 1; }
	fs_wait_gone "$id" 60 || { echo "$id: still there"; return 1; }
	echo ok
}

@test "daemon: 16 concurrent writers each create, start and stop their own container" {
	for i in $(seq $WRITERS); do
		(writer "$CID-$i" >"$FS_TMP/w$i" 2>&1) 3>&- &
		pids+=($!)
	done
	fs_bg_add "${pids[@]}"
	# meanwhile the store and the tree stay readable and well-formed
	for _ in $(seq 10); do
		rt list --format json | jq -e 'type == "array"' >/dev/null
		fsx ls "$MNT" >/dev/null
		sleep 0.05
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || true
	done
	for i in $(seq $WRITERS); do
		echo "writer $i: $(cat "$FS_TMP/w$i")"
	done
	for i in $(seq $WRITERS); do
		[ "$(tail -n1 "$FS_TMP/w$i")" = ok ]
	done
	[ -z "$(rt list -q)" ]
	[ "$(fsx ls -A "$MNT" | tr '\n' ' ')" = "ctl error events features " ]
}

@test "daemon: 16 concurrent creators: sixteen running containers, each state intact" {
	for i in $(seq $WRITERS); do
		(ctl_create "$CID-$i" && ctl "$CID-$i" start) >"$FS_TMP/w$i" 2>&1 3>&- &
		pids+=($!)
	done
	fs_bg_add "${pids[@]}"
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
	[ "$(rt list -q | wc -l)" -eq $WRITERS ]
	for i in $(seq $WRITERS); do
		st="$(fs_read "$CID-$i" state)"
		[ "$(jq -r .status <<<"$st")" = running ]
		[ "$(jq -r .id <<<"$st")" = "$CID-$i" ]
		jq -e . "$ROOT/$CID-$i/state.json" >/dev/null
		jq -r .pid <<<"$st"
	done >"$FS_TMP/pids"
	[ "$(sort -u "$FS_TMP/pids" | wc -l)" -eq $WRITERS ]
	# and all stopped at once
	for i in $(seq $WRITERS); do
		ctl "$CID-$i" "stop 1" 3>&- &
		spids+=($!)
	done
	fs_bg_add "${spids[@]}"
	for pid in "${spids[@]}"; do
		wait "$pid"
	done
	[ -z "$(rt list -q)" ]
}

@test "daemon: --debug prints the requests on stderr" {
	fs_umount
	fs_mount --debug
	: >"$FS_LOG"
	ctl_create "$CID"
	fs_read "$CID" state >/dev/null
	sleep 0.1
	cat "$FS_LOG"
	[ -s "$FS_LOG" ]
}

@test "daemon: an unknown configuration key is refused, naming it" {
	echo '{"CtlGroupp": "root"}' >"$BUNDLE/bad.json"
	run timeout 5 "$OCIFS" -f --root "$ROOT" --config "$BUNDLE/bad.json" "$MNT" 3>&-
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[[ "$output" == *CtlGroupp* ]]
	# the first daemon is untouched
	[ "$(fsx ls -A "$MNT" | head -n1)" = ctl ]
}

@test "daemon: a missing mount point or a bad option is a clear error" {
	run timeout 5 "$OCIFS" -f --root "$ROOT" "$FS_TMP/nosuch" 3>&-
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[ -n "$output" ]
	run timeout 5 "$OCIFS" --no-such-option "$MNT" 3>&-
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
}

@test "daemon: the daemon and its keeper run from a sealed copy of ocifs" {
	pids="$(_fs_daemon_pids)"
	[ "$(wc -w <<<"$pids")" -ge 2 ]
	for p in $pids; do
		[[ "$(readlink "/proc/$p/exe")" == /memfd:* ]]
	done
}
