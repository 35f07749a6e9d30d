#!/usr/bin/env bats
# The filesystem's tree (SPEC §5): top-level files, container directories,
# modes, the content of each file, fresh reads, the log.

bats_require_minimum_version 1.5.0
load fs_helpers

setup() {
	fs_setup
}

teardown() {
	fs_teardown
}

# mode_of PATH: octal permission bits
mode_of() {
	fsx stat -c %a "$1"
}

@test "tree: the top level holds ctl, error, events, features" {
	run -0 fsx ls -A "$MNT"
	[ "$output" = "$(printf '%s\n' ctl error events features)" ]
	fsx test -d "$MNT"
	for f in ctl error events features; do
		fsx test -f "$MNT/$f"
	done
}

@test "tree: top-level modes: ctl 0200, the rest 0444" {
	[ "$(mode_of "$MNT/ctl")" = 200 ]
	[ "$(mode_of "$MNT/error")" = 444 ]
	[ "$(mode_of "$MNT/events")" = 444 ]
	[ "$(mode_of "$MNT/features")" = 444 ]
	[ "$(fsx stat -c %u "$MNT/ctl")" = 0 ]
}

@test "tree: features is the engine's features document (as ocirun features)" {
	run -0 fsx cat "$MNT/features"
	[ "$(jq -S . <<<"$output")" = "$(rt features | jq -S .)" ]
}

@test "tree: error is empty before any failure" {
	run -0 fsx cat "$MNT/error"
	[ -z "$output" ]
}

@test "tree: a container directory holds its ten files" {
	ctl_create "$CID"
	fsx test -d "$MNT/$CID"
	run -0 fsx ls -A "$MNT/$CID"
	[ "$output" = "$(printf '%s\n' config.json ctl error events log pid processes state stats status)" ]
	run -0 fsx ls -A "$MNT"
	[ "$(sort <<<"$output")" = "$(printf '%s\n' "$CID" ctl error events features | sort)" ]
}

@test "tree: container modes: ctl 0200, the rest 0444" {
	ctl_create "$CID"
	[ "$(mode_of "$MNT/$CID/ctl")" = 200 ]
	for f in config.json error events log pid processes state stats status; do
		echo "$f: $(mode_of "$MNT/$CID/$f")"
		[ "$(mode_of "$MNT/$CID/$f")" = 444 ]
	done
}

@test "tree: state is the OCI state JSON, status one word, pid the init" {
	ctl_create "$CID"
	run -0 fs_read "$CID" state
	state="$output"
	jq -e . <<<"$state" >/dev/null
	[ "$(jq -r .ociVersion <<<"$state")" = 1.3.0 ]
	[ "$(jq -r .id <<<"$state")" = "$CID" ]
	[ "$(jq -r .status <<<"$state")" = created ]
	[ "$(jq -r .bundle <<<"$state")" = "$BUNDLE" ]
	[ "$(jq -r '.annotations | type' <<<"$state")" = object ]
	pid="$(jq -r .pid <<<"$state")"
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	# the same as the state store says
	[ "$(rt state "$CID" | jq -r .pid)" = "$pid" ]
	[ "$(rt state "$CID" | jq -r .status)" = created ]
	# status: one word and a newline
	[ "$(fsx cat "$MNT/$CID/status" | od -An -c | tr -s ' ')" = " c r e a t e d \n" ]
	# pid: the number and a newline
	[ "$(fsx cat "$MNT/$CID/pid")" = "$pid" ]
	[ "$(fsx cat "$MNT/$CID/pid" | wc -l)" -eq 1 ]
}

@test "tree: status and pid follow ocirun state through start and kill" {
	ctl_create "$CID"
	ctl "$CID" start
	[ "$(fs_status "$CID")" = running ]
	[ "$(rt state "$CID" | jq -r .status)" = running ]
	[ "$(fs_read "$CID" pid)" = "$(rt state "$CID" | jq -r .pid)" ]
	rt kill "$CID" KILL
	fs_wait_status "$CID" stopped 40
	[ "$(rt state "$CID" | jq -r .status)" = stopped ]
	# no pid once there is no process
	[ -z "$(fs_read "$CID" pid)" ]
	[ "$(fs_read "$CID" state | jq -r .exitStatus)" = 137 ]
}

@test "tree: synthetic files report size 0 but read in full" {
	ctl_create "$CID"
	for f in state status pid stats processes; do
		[ "$(fsx stat -c %s "$MNT/$CID/$f")" = 0 ]
	done
	[ "$(fs_read "$CID" state | jq -r .id)" = "$CID" ]
}

@test "tree: reads are fresh: a status change shows on the very next read" {
	ctl_create "$CID"
	# read it often enough to fill any cache
	for _ in 1 2 3; do [ "$(fs_status "$CID")" = created ]; done
	[ "$(fs_read "$CID" state | jq -r .status)" = created ]
	rt start "$CID"
	[ "$(fs_status "$CID")" = running ]
	[ "$(fs_read "$CID" state | jq -r .status)" = running ]
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	[ "$(fs_status "$CID")" = stopped ]
	[ "$(fs_read "$CID" state | jq -r .status)" = stopped ]
}

@test "tree: config.json is the bundle's config, byte for byte, frozen at create" {
	ctl_create "$CID"
	cp "$BUNDLE/config.json" "$BUNDLE/config.orig"
	fsx cat "$MNT/$CID/config.json" >"$BUNDLE/config.seen"
	cmp "$BUNDLE/config.orig" "$BUNDLE/config.seen"
	# editing the bundle afterwards changes nothing
	cfg '.hostname = "changed"'
	fsx cat "$MNT/$CID/config.json" >"$BUNDLE/config.seen"
	cmp "$BUNDLE/config.orig" "$BUNDLE/config.seen"
}

@test "tree: log captures the container's output, append-only with a real size" {
	cfg '.process.args = ["sh", "-c", "echo hello-out; echo hello-err >&2; sleep 0.6; echo later; sleep 100"]'
	ctl_create "$CID"
	[ "$(fsx stat -c %s "$MNT/$CID/log")" = 0 ]
	ctl "$CID" start
	for _ in $(seq 50); do
		grep -q hello-err <(fs_read "$CID" log) && break
		sleep 0.05
	done
	run -0 fs_read "$CID" log
	[[ "$output" == *hello-out* ]]
	[[ "$output" == *hello-err* ]]
	[[ "$output" != *later* ]]
	size1="$(fsx stat -c %s "$MNT/$CID/log")"
	[ "$size1" -eq "$(fs_read "$CID" log | wc -c)" ]
	sleep 0.8
	run -0 fs_read "$CID" log
	[[ "$output" == *later* ]]
	# it grew, and what was there is still there, in order
	size2="$(fsx stat -c %s "$MNT/$CID/log")"
	[ "$size2" -gt "$size1" ]
	[ "$size2" -eq "$(fs_read "$CID" log | wc -c)" ]
	[ "$(fs_read "$CID" log | head -c "$size1" | grep -c hello)" -eq 2 ]
}

@test "tree: tail -f on log follows the output as it grows" {
	cfg '.process.args = ["sh", "-c", "echo first; sleep 1; echo second; sleep 100"]'
	ctl_create "$CID"
	ctl "$CID" start
	timeout 4 tail -n +1 -f "$MNT/$CID/log" >"$FS_TMP/tail" 2>&1 3>&- &
	fs_bg_add $!
	for _ in $(seq 70); do
		grep -q second "$FS_TMP/tail" && break
		sleep 0.05
	done
	cat "$FS_TMP/tail"
	grep -q first "$FS_TMP/tail"
	grep -q second "$FS_TMP/tail"
}

@test "tree: stats is cgroup statistics JSON, processes lists the init" {
	ctl_create "$CID"
	ctl "$CID" start
	run -0 fs_read "$CID" stats
	jq -e 'type == "object"' <<<"$output"
	pid="$(fs_read "$CID" pid)"
	run -0 fs_read "$CID" processes
	grep -qx "$pid" <<<"$output"
	# one pid a line, nothing else
	run ! grep -qvE '^[0-9]+$' <<<"$output"
}

@test "tree: a missing container or file is ENOENT" {
	run fsx cat "$MNT/nosuch/state"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	ctl_create "$CID"
	run fsx cat "$MNT/$CID/nosuch"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
}

@test "tree: files cannot be made, removed or written besides ctl" {
	ctl_create "$CID"
	run fsx touch "$MNT/newfile"
	[ "$status" -ne 0 ]
	run fsx mkdir "$MNT/newdir"
	[ "$status" -ne 0 ]
	run fsx rm -f "$MNT/$CID/state"
	[ "$status" -ne 0 ]
	run fs_write "$MNT/$CID/state" '{}'
	[ "$status" -ne 0 ]
	[ "$(fs_read "$CID" state | jq -r .id)" = "$CID" ]
	[ ! -e "$ROOT/newdir" ]
}
