#!/usr/bin/env bats
# ctl files (SPEC §5): every command, its effect, its errors (the errno the
# shell prints and the directory's `error` file), rmdir, multi-line writes
# and who may write.

bats_require_minimum_version 1.5.0
load fs_helpers

setup() {
	fs_setup
}

teardown() {
	fs_teardown
}

# process_json FILE ARGS-JSON: a process.json for exec, from the bundle's
# process with other args
process_json() {
	jq --argjson a "$2" '.process | .args = $a | .terminal = false' \
		"$BUNDLE/config.json" >"$1"
}

# expect_fail ERRNO-NAME CMD...: CMD fails and the shell printed strerror
expect_fail() {
	local want
	want="$(errno_text "$1")"
	shift
	run "$@"
	echo "status $status, output: $output (want: $want)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$want"* ]]
}

# top_listing: the top-level entries other than the four files
ctr_dirs() {
	fsx ls -A "$MNT" | grep -vxE 'ctl|error|events|features' || true
}

@test "ctl: create ID BUNDLE makes MNT/ID, status created" {
	ctl_create "$CID"
	fsx test -d "$MNT/$CID"
	[ "$(fs_read "$CID" state | jq -r .status)" = created ]
	[ "$(fs_status "$CID")" = created ]
	[ "$(rt state "$CID" | jq -r .status)" = created ]
}

@test "ctl: start makes it running" {
	ctl_create "$CID"
	pid="$(fs_read "$CID" pid)"
	ctl "$CID" start
	[ "$(fs_read "$CID" state | jq -r .status)" = running ]
	[ "$(fs_status "$CID")" = running ]
	[ "$(fs_read "$CID" pid)" = "$pid" ]
	[ "$(rt state "$CID" | jq -r .status)" = running ]
	[ "$(rt state "$CID" | jq -r .pid)" = "$pid" ]
}

@test "ctl: run ID BUNDLE creates and starts" {
	fs_write "$MNT/ctl" "run $CID $BUNDLE"
	[ "$(fs_status "$CID")" = running ]
	[ "$(rt state "$CID" | jq -r .status)" = running ]
}

@test "ctl: kill SIGNAL signals the init; exitStatus in state" {
	ctl_create "$CID"
	ctl "$CID" start
	ctl "$CID" "kill KILL"
	fs_wait_status "$CID" stopped 40
	[ "$(fs_read "$CID" state | jq -r .exitStatus)" = 137 ]
	# kill with no signal is TERM (this init exits 0 on it)
	rt delete "$CID"
	fs_wait_gone "$CID"
	ctl_create "$CID"
	ctl "$CID" start
	ctl "$CID" kill
	fs_wait_status "$CID" stopped 40
	[ "$(fs_read "$CID" state | jq -r .exitStatus)" = 0 ]
}

@test "ctl: stop removes the directory and frees the id" {
	ctl_create "$CID"
	ctl "$CID" start
	pid="$(fs_read "$CID" pid)"
	ctl "$CID" "stop 1"
	fs_wait_gone "$CID" 20
	[ -z "$(rt list -q)" ]
	pid_gone "$pid" 20
	# the id may be reused
	ctl_create "$CID"
	[ "$(fs_status "$CID")" = created ]
}

@test "ctl: stop SECONDS kills a process that ignores TERM after the grace period" {
	cfg '.process.args = ["sh", "-c", "trap \"\" TERM; sleep 100 & wait; sleep 100"]'
	ctl_create "$CID"
	ctl "$CID" start
	start=$(date +%s%N)
	ctl "$CID" "stop 1"
	end=$(date +%s%N)
	fs_wait_gone "$CID" 20
	ms=$(((end - start) / 1000000))
	echo "stop took $ms ms"
	[ "$ms" -ge 900 ]
	[ "$ms" -lt 4000 ]
}

@test "ctl: exec runs a process in the container; its output goes to log" {
	cfg '.process.args = ["sh", "-c", "echo init-out; trap \"exit 0\" TERM; sleep 100 & wait"]'
	ctl_create "$CID"
	ctl "$CID" start
	process_json "$BUNDLE/p.json" '["sh", "-c", "echo exec-out $(hostname); echo exec-err >&2"]'
	ctl "$CID" "exec $BUNDLE/p.json"
	for _ in $(seq 60); do
		grep -q exec-err <(fs_read "$CID" log) && break
		sleep 0.05
	done
	run -0 fs_read "$CID" log
	[[ "$output" == *init-out* ]]
	[[ "$output" == *"exec-out ocifs"* ]]
	[[ "$output" == *exec-err* ]]
	# the container goes on
	[ "$(fs_status "$CID")" = running ]
}

@test "ctl: each exec is a new process; its exit does not affect the container" {
	ctl_create "$CID"
	ctl "$CID" start
	process_json "$BUNDLE/p.json" '["sh", "-c", "echo pid-$$; exit 3"]'
	ctl "$CID" "exec $BUNDLE/p.json"
	ctl "$CID" "exec $BUNDLE/p.json"
	for _ in $(seq 60); do
		[ "$(fs_read "$CID" log | grep -c '^pid-')" -ge 2 ] && break
		sleep 0.05
	done
	[ "$(fs_read "$CID" log | grep -c '^pid-')" -eq 2 ]
	sleep 0.2
	[ "$(fs_status "$CID")" = running ]
}

@test "ctl: pause and resume" {
	ctl_create "$CID"
	ctl "$CID" start
	ctl "$CID" pause
	[ "$(fs_status "$CID")" = paused ]
	[ "$(rt state "$CID" | jq -r .status)" = paused ]
	ctl "$CID" resume
	[ "$(fs_status "$CID")" = running ]
}

@test "ctl: stop works on a paused container" {
	ctl_create "$CID"
	ctl "$CID" start
	ctl "$CID" pause
	ctl "$CID" "stop 1"
	fs_wait_gone "$CID" 20
	[ -z "$(rt list -q)" ]
}

@test "ctl: delete removes a stopped container; delete force a running one" {
	cfg '.process.args = ["true"]'
	ctl_create "$CID"
	ctl "$CID" start
	fs_wait_status "$CID" stopped
	ctl "$CID" delete
	fs_wait_gone "$CID"
	cfg '.process.args = ["sleep", "100"]'
	ctl_create "$CID"
	ctl "$CID" start
	expect_fail EBUSY ctl "$CID" delete
	[ "$(fs_status "$CID")" = running ]
	ctl "$CID" "delete force"
	fs_wait_gone "$CID"
	[ -z "$(rt list -q)" ]
}

@test "rmdir: removes a stopped container" {
	cfg '.process.args = ["true"]'
	ctl_create "$CID"
	ctl "$CID" start
	fs_wait_status "$CID" stopped
	fsx rmdir "$MNT/$CID"
	run ! fsx test -e "$MNT/$CID"
	[ -z "$(rt list -q)" ]
}

@test "rmdir: a running container is EBUSY and keeps running" {
	ctl_create "$CID"
	ctl "$CID" start
	expect_fail EBUSY fsx rmdir "$MNT/$CID"
	fsx test -d "$MNT/$CID"
	[ "$(fs_status "$CID")" = running ]
	# a created one is not stopped either
	ctl_create "${CID}b"
	expect_fail EBUSY fsx rmdir "$MNT/${CID}b"
	[ "$(fs_status "${CID}b")" = created ]
}

@test "error: a bad top-level command is EINVAL, in MNT/error, nothing made" {
	expect_fail EINVAL fs_write "$MNT/ctl" "frobnicate $CID $BUNDLE"
	run -0 fsx cat "$MNT/error"
	[ -n "$output" ]
	[[ "$output" == *frobnicate* ]]
	[ -z "$(ctr_dirs)" ]
	[ -z "$(rt list -q)" ]
	# a container command on the top-level ctl is no better
	expect_fail EINVAL fs_write "$MNT/ctl" "start"
	expect_fail EINVAL fs_write "$MNT/ctl" "create $CID"
	expect_fail EINVAL fs_write "$MNT/ctl" "create $CID relative/bundle"
	[ -z "$(ctr_dirs)" ]
}

@test "error: a bad container command is EINVAL, in ID/error, nothing changes" {
	ctl_create "$CID"
	run -0 fs_read "$CID" error
	[ -z "$output" ]
	expect_fail EINVAL ctl "$CID" frobnicate
	run -0 fs_read "$CID" error
	[[ "$output" == *frobnicate* ]]
	expect_fail EINVAL ctl "$CID" "kill NOSUCHSIG"
	[[ "$(fs_read "$CID" error)" == *NOSUCHSIG* ]]
	expect_fail EINVAL ctl "$CID" "stop soon"
	expect_fail EINVAL ctl "$CID" "exec relative.json"
	expect_fail EINVAL ctl "$CID" "create x $BUNDLE"
	[ "$(fs_status "$CID")" = created ]
	# the top-level error file is about top-level commands only
	[ -z "$(fsx cat "$MNT/error")" ]
}

@test "error: create with a missing bundle is ENOENT" {
	expect_fail ENOENT ctl_create "$CID" /nonexistent/bundle
	run -0 fsx cat "$MNT/error"
	[[ "$output" == *"/nonexistent/bundle"* ]] || [[ "$output" == *"$CID"* ]]
	run ! fsx test -e "$MNT/$CID"
	[ -z "$(rt list -q)" ]
}

@test "error: create with a taken id is EEXIST and changes nothing" {
	ctl_create "$CID"
	pid="$(fs_read "$CID" pid)"
	expect_fail EEXIST ctl_create "$CID"
	[[ "$(fsx cat "$MNT/error")" == *"$CID"* ]]
	[ "$(fs_status "$CID")" = created ]
	[ "$(fs_read "$CID" pid)" = "$pid" ]
	# taken by a container made with ocirun: the same
	rt create --bundle "$BUNDLE" "${CID}o" </dev/null >/dev/null 2>&1
	expect_fail EEXIST ctl_create "${CID}o"
}

@test "error: start twice is EBUSY, in ID/error, nothing changes" {
	ctl_create "$CID"
	ctl "$CID" start
	pid="$(fs_read "$CID" pid)"
	expect_fail EBUSY ctl "$CID" start
	run -0 fs_read "$CID" error
	[ -n "$output" ]
	[[ "$output" == *start* ]] || [[ "$output" == *running* ]]
	[ "$(fs_status "$CID")" = running ]
	[ "$(fs_read "$CID" pid)" = "$pid" ]
}

@test "error: stop on a stopped container is EBUSY; the directory stays" {
	cfg '.process.args = ["true"]'
	ctl_create "$CID"
	ctl "$CID" start
	fs_wait_status "$CID" stopped
	expect_fail EBUSY ctl "$CID" "stop 1"
	[ -n "$(fs_read "$CID" error)" ]
	fsx test -d "$MNT/$CID"
	[ "$(fs_status "$CID")" = stopped ]
}

@test "error: stop on a created container is EBUSY" {
	ctl_create "$CID"
	expect_fail EBUSY ctl "$CID" "stop 1"
	[ "$(fs_status "$CID")" = created ]
}

@test "error: exec on a stopped container is EBUSY; on a missing file ENOENT" {
	cfg '.process.args = ["true"]'
	ctl_create "$CID"
	ctl "$CID" start
	fs_wait_status "$CID" stopped
	process_json "$BUNDLE/p.json" '["echo", "never"]'
	expect_fail EBUSY ctl "$CID" "exec $BUNDLE/p.json"
	[ -n "$(fs_read "$CID" error)" ]
	run ! grep -q never <(fs_read "$CID" log)
	cfg '.process.args = ["sleep", "100"]'
	ctl_create "${CID}b"
	ctl "${CID}b" start
	expect_fail ENOENT ctl "${CID}b" "exec $BUNDLE/nosuch.json"
	[[ "$(fs_read "${CID}b" error)" == *nosuch.json* ]]
	# a malformed process file
	echo '{"args": 5}' >"$BUNDLE/bad.json"
	expect_fail EINVAL ctl "${CID}b" "exec $BUNDLE/bad.json"
	[ "$(fs_status "${CID}b")" = running ]
}

@test "error: bad ID names are EINVAL and make nothing" {
	for bad in "../x" "." ".." "a/b" ".hidden" "-dash" "$(printf 'a\tb')" \
		"$(head -c 129 /dev/zero | tr '\0' a)"; do
		echo "id: [$bad]"
		expect_fail EINVAL fs_write "$MNT/ctl" "create $bad $BUNDLE"
	done
	expect_fail EINVAL fs_write "$MNT/ctl" "create  $BUNDLE"
	[ -z "$(ctr_dirs)" ]
	[ -z "$(ls -A "$ROOT")" ]
	# the longest valid id works
	long="$(head -c 128 /dev/zero | tr '\0' b)"
	ctl_create "$long"
	[ "$(fs_status "$long")" = created ]
}

@test "ctl: one write of several lines runs them in order up to the first failure" {
	ctl_create "$CID"
	expect_fail EINVAL fs_write_once "$MNT/$CID/ctl" 'start\nbogus\nkill KILL\n'
	# start ran, kill did not
	[ "$(fs_status "$CID")" = running ]
	[[ "$(fs_read "$CID" error)" == *bogus* ]]
	fs_write_once "$MNT/$CID/ctl" 'pause\nresume\n'
	[ "$(fs_status "$CID")" = running ]
	# a write without a newline is one command too
	fs_write_once "$MNT/$CID/ctl" 'kill KILL'
	fs_wait_status "$CID" stopped
}

@test "permissions: a non-root user gets EACCES opening ctl, but can read" {
	command -v setpriv >/dev/null || skip "setpriv is missing"
	ctl_create "$CID"
	nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
	expect_fail EACCES "${nobody[@]}" timeout 5 bash -c 'echo start > "$1"' x "$MNT/$CID/ctl"
	expect_fail EACCES "${nobody[@]}" timeout 5 bash -c 'echo "create y $2" > "$1"' x "$MNT/ctl" "$BUNDLE"
	[ "$(fs_status "$CID")" = created ]
	[ -z "$(fs_read "$CID" error)" ]
	run -0 "${nobody[@]}" timeout 5 cat "$MNT/$CID/state"
	[ "$(jq -r .status <<<"$output")" = created ]
	run -0 "${nobody[@]}" timeout 5 cat "$MNT/$CID/status"
	[ "$output" = created ]
	run -0 "${nobody[@]}" timeout 5 ls "$MNT"
	[[ "$output" == *"$CID"* ]]
	run -0 "${nobody[@]}" timeout 5 cat "$MNT/features"
	# rmdir is not theirs either
	cfg '.process.args = ["true"]'
	ctl_create "${CID}b"
	ctl "${CID}b" start
	fs_wait_status "${CID}b" stopped
	run "${nobody[@]}" timeout 5 rmdir "$MNT/${CID}b"
	[ "$status" -ne 0 ]
	fsx test -d "$MNT/${CID}b"
}

@test "permissions: CtlGroup members may write ctl (0220), others may not" {
	command -v setpriv >/dev/null || skip "setpriv is missing"
	getent group nogroup >/dev/null || skip "no group nogroup"
	gid="$(getent group nogroup | cut -d: -f3)"
	# a daemon of its own, with the config
	fs_umount
	echo '{"CtlGroup": "nogroup"}' >"$BUNDLE/ocifs.json"
	fs_mount --config "$BUNDLE/ocifs.json"
	ctl_create "$CID"
	[ "$(fsx stat -c %a "$MNT/ctl")" = 220 ]
	[ "$(fsx stat -c %a "$MNT/$CID/ctl")" = 220 ]
	[ "$(fsx stat -c %g "$MNT/$CID/ctl")" = "$gid" ]
	# not in the group: EACCES
	expect_fail EACCES setpriv --reuid 65534 --regid 1 --clear-groups \
		timeout 5 bash -c 'echo start > "$1"' x "$MNT/$CID/ctl"
	[ "$(fs_status "$CID")" = created ]
	# in it as a supplementary group: allowed
	setpriv --reuid 65534 --regid 1 --groups "$gid" \
		timeout 5 bash -c 'echo start > "$1"' x "$MNT/$CID/ctl"
	[ "$(fs_status "$CID")" = running ]
}
