# Shared set-up for the filesystem tests (tests/integration/fs_*.bats):
# a real ocifs mount in a temporary directory, driven with the shell tools.
#
# Loads helpers.bash (setup_bundle, cfg, rt, teardown_bundle, ...) and adds:
#   OCIFS          the daemon under test (env; default $OCIFS_BUILD/fs/ocifs)
#   fs_require     skips (bats `skip`) when /dev/fuse, fusermount3 or the
#                  ocifs binary is missing; call it first thing in setup()
#                  (bats 1.8 cannot skip from setup_file), so every test of
#                  the file is skipped and teardown has nothing to undo
#   fs_mount [OCIFS-OPTIONS...]
#                  makes $MNT (and $ROOT unless setup_bundle made it already),
#                  starts "$OCIFS -f --root $ROOT OPTIONS $MNT" in the
#                  background (stdout+stderr in $FS_LOG), waits until the mount
#                  is up (5 s) and sets $OCIFS_PID; fails with the daemon's
#                  log when it dies or does not mount in time.  $FS_TMP is
#                  a scratch dir for the test (removed by fs_umount).
#   fs_start [OCIFS-OPTIONS...]
#                  the same on the existing $MNT and $ROOT (a restart)
#   fs_kill_daemon SIGNAL   signals the daemon, waits for it, and detaches a
#                  mount it left behind (fusermount3 -u, else umount -l)
#   fs_umount      unmounts, stops the daemon (and its keeper once it has
#                  nothing left to keep), kills the test's background jobs
#                  ($FS_BG_PIDS), force-deletes every container in $ROOT and
#                  removes $MNT and $FS_TMP.  Safe to call from teardown()
#                  whatever state the test left (never walks into the mount).
#   fs_bg_add PID  registers a background job for fs_umount to kill
#   fsx CMD...     runs CMD under `timeout -k 1 5` (a hung FUSE call must
#                  not hang the suite)
#   fs_write FILE TEXT      `echo TEXT > FILE` in a bash of its own, under a
#                  timeout; its stderr (bash's "write error: Invalid
#                  argument" or "FILE: Permission denied") is its output, so
#                  `run fs_write ...` shows the errno the shell printed
#   fs_write_once FILE TEXT writes TEXT (printf escapes allowed) to FILE in
#                  ONE write(2) (dd), to test multi-line writes
#   ctl_create ID [BUNDLE]  echo "create ID BUNDLE" > $MNT/ctl
#   ctl ID TEXT    echo TEXT > $MNT/ID/ctl (fails when the write fails)
#   fs_read ID FILE         cat $MNT/ID/FILE under a timeout
#   fs_status ID   the word in $MNT/ID/status
#   fs_wait_status ID STATUS [TRIES]  polls $MNT/ID/status (50 ms steps)
#   fs_wait_gone ID [TRIES]           waits until $MNT/ID no longer exists
#   watch_start VAR inotifywait-ARGS...
#                  starts inotifywait in the background (stdout in a temp
#                  file), waits until its watches are established, and stores
#                  its pid in VAR and its output file in VAR_OUT
#   watch_wait PID  waits for that inotifywait; returns its exit status
#                  (0 = event seen, 2 = timed out)
#   errno_text NAME  strerror text for an errno name (EBUSY -> "Device or
#                  resource busy"), from python3 when present

_fs_helpers_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=helpers.bash
source "$_fs_helpers_dir/helpers.bash"

: "${OCIFS:=$OCIFS_BUILD/fs/ocifs}"
# A safety net: bats ends a test that runs longer than this (teardown still
# runs).  Each test is meant to finish within about 10 s.
: "${BATS_TEST_TIMEOUT:=40}"
export OCIFS

fs_require() {
	[ -c /dev/fuse ] || skip "/dev/fuse is missing"
	[ -x "$OCIFS" ] || skip "no ocifs binary at $OCIFS (build it first)"
	command -v fusermount3 >/dev/null || skip "fusermount3 is missing (apt-get install fuse3)"
	command -v jq >/dev/null || skip "jq is missing"
	return 0
}

fsx() {
	timeout -k 1 5 "$@"
}

# _fs_mounted DIR: DIR is a mount point (from /proc/mounts: never touches
# the mount itself, so a hung daemon cannot hang it)
_fs_mounted() {
	awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/mounts
}

fs_start() {
	FS_LOG="$FS_TMP/ocifs.log"
	echo "== $OCIFS -f --root $ROOT $* $MNT" >>"$FS_LOG"
	# fd 3 is bats' own: a background job holding it would stall bats.
	"$OCIFS" -f --root "$ROOT" "$@" "$MNT" </dev/null >>"$FS_LOG" 2>&1 3>&- &
	OCIFS_PID=$!
	export FS_LOG OCIFS_PID
	local n
	for ((n = 0; n < 100; n++)); do
		if _fs_mounted "$MNT" && timeout 1 mountpoint -q "$MNT"; then
			return 0
		fi
		if ! kill -0 "$OCIFS_PID" 2>/dev/null; then
			local rc=0
			wait "$OCIFS_PID" 2>/dev/null || rc=$?
			echo "ocifs exited (status $rc) before mounting $MNT; its output:" >&2
			cat "$FS_LOG" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "ocifs did not mount $MNT within 5 s; its output:" >&2
	cat "$FS_LOG" >&2
	return 1
}

fs_mount() {
	if [ -z "${ROOT:-}" ] || [ ! -d "$ROOT" ]; then
		ROOT="$(mktemp -d /tmp/ocifs-root.XXXXXX)"
		export ROOT
	fi
	MNT="$(mktemp -d /tmp/ocifs-mnt.XXXXXX)"
	FS_TMP="$(mktemp -d /tmp/ocifs-fstest.XXXXXX)"
	FS_BG_PIDS=()
	export MNT FS_TMP
	fs_start "$@"
}

# _fs_detach: unmount $MNT if it is mounted (a dead daemon's mount too)
_fs_detach() {
	[ -n "${MNT:-}" ] || return 0
	local n
	for ((n = 0; n < 3; n++)); do
		_fs_mounted "$MNT" || return 0
		timeout -k 1 5 fusermount3 -u "$MNT" 2>/dev/null ||
			timeout -k 1 5 umount -l "$MNT" 2>/dev/null ||
			timeout -k 1 5 fusermount3 -uz "$MNT" 2>/dev/null || true
	done
	! _fs_mounted "$MNT"
}

# _fs_wait_pid PID TRIES: waits (50 ms steps) until PID is gone
_fs_wait_pid() {
	local pid="$1" tries="$2" n
	for ((n = 0; n < tries; n++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

fs_kill_daemon() {
	local sig="${1:-TERM}"
	if [ -n "${OCIFS_PID:-}" ]; then
		kill -s "$sig" "$OCIFS_PID" 2>/dev/null || true
		_fs_wait_pid "$OCIFS_PID" 60 || true
		wait "$OCIFS_PID" 2>/dev/null || true
		OCIFS_PID=
	fi
	_fs_detach
}

fs_bg_add() {
	FS_BG_PIDS+=("$@")
}

# _fs_daemon_pids: pids of ocifs processes serving $MNT (the daemon and its
# keeper, which is a fork of it and has the same command line)
_fs_daemon_pids() {
	local p
	[ -n "${MNT:-}" ] || return 0
	# by command line: the daemon runs from a sealed memfd copy of $OCIFS,
	# so its /proc/PID/exe is not $OCIFS
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$OCIFS " &&
			tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- " $MNT"; then
			echo "${p#/proc/}"
		fi
	done
}

fs_umount() {
	local pid id
	# the test's own background jobs (watchers, readers, writers)
	for pid in ${FS_BG_PIDS[@]+"${FS_BG_PIDS[@]}"}; do
		# only while it is still our child (a reaped pid may be reused)
		[ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$BASHPID" ] || continue
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	FS_BG_PIDS=()
	_fs_detach || true
	if [ -n "${OCIFS_PID:-}" ]; then
		if ! _fs_wait_pid "$OCIFS_PID" 10; then
			kill -TERM "$OCIFS_PID" 2>/dev/null || true
			_fs_wait_pid "$OCIFS_PID" 20 || kill -KILL "$OCIFS_PID" 2>/dev/null || true
		fi
		wait "$OCIFS_PID" 2>/dev/null || true
		OCIFS_PID=
	fi
	_fs_detach || true
	# the containers (the keeper lives on while it has some)
	if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ]; then
		for id in $(timeout -k 1 10 "$OCIRUN" --root "$ROOT" list -q 2>/dev/null); do
			timeout -k 1 10 "$OCIRUN" --root "$ROOT" kill "$id" KILL >/dev/null 2>&1 || true
			timeout -k 1 10 "$OCIRUN" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	# the keeper exits once it has nothing left to reap; make sure
	for pid in $(_fs_daemon_pids); do
		_fs_wait_pid "$pid" 20 || kill -KILL "$pid" 2>/dev/null || true
	done
	# rmdir, never rm -rf: $MNT could still be a mount
	if [ -n "${MNT:-}" ] && ! _fs_mounted "$MNT"; then
		rmdir "$MNT" 2>/dev/null || true
	fi
	# logs, watcher outputs, scratch files (never a mount)
	if [ -n "${FS_TMP:-}" ] && [ -d "$FS_TMP" ]; then
		rm -rf "$FS_TMP" || true
	fi
	return 0
}

fs_write() {
	timeout -k 1 5 bash -c 'echo "$2" >"$1"' fs_write "$1" "$2" 2>&1
}

fs_write_once() {
	# shellcheck disable=SC2059
	printf "$2" | timeout -k 1 5 dd of="$1" bs=65536 iflag=fullblock conv=notrunc status=none 2>&1
}

ctl_create() {
	fs_write "$MNT/ctl" "create $1 ${2:-$BUNDLE}"
}

ctl() {
	fs_write "$MNT/$1/ctl" "$2"
}

fs_read() {
	timeout -k 1 5 cat "$MNT/$1/$2"
}

fs_status() {
	timeout -k 1 5 cat "$MNT/$1/status"
}

fs_wait_status() {
	local id="$1" want="$2" tries="${3:-100}" got n
	for ((n = 0; n < tries; n++)); do
		got="$(timeout -k 1 2 cat "$MNT/$id/status" 2>/dev/null)"
		[ "$got" = "$want" ] && return 0
		sleep 0.05
	done
	echo "container $id: status file says '$got', wanted '$want'" >&2
	return 1
}

fs_wait_gone() {
	local id="$1" tries="${2:-100}" n
	for ((n = 0; n < tries; n++)); do
		timeout -k 1 2 test -e "$MNT/$id" || return 0
		sleep 0.05
	done
	echo "$MNT/$id still exists" >&2
	return 1
}

watch_start() {
	local var="$1" out err n pid
	shift
	out="$(mktemp "$FS_TMP/watch.XXXXXX")"
	err="$out.err"
	inotifywait "$@" >"$out" 2>"$err" 3>&- &
	pid=$!
	fs_bg_add "$pid"
	printf -v "$var" '%s' "$pid"
	printf -v "${var}_OUT" '%s' "$out"
	for ((n = 0; n < 100; n++)); do
		grep -q "Watches established" "$err" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	echo "inotifywait $* did not start:" >&2
	cat "$err" >&2
	return 1
}

watch_wait() {
	local rc=0
	wait "$1" || rc=$?
	return "$rc"
}

errno_text() {
	case "$1" in
	EINVAL) echo "Invalid argument" ;;
	ENOENT) echo "No such file or directory" ;;
	EEXIST) echo "File exists" ;;
	EBUSY) echo "Device or resource busy" ;;
	EACCES) echo "Permission denied" ;;
	*) python3 -c "import os, errno; print(os.strerror(errno.$1))" ;;
	esac
}

# fs_setup / fs_teardown: the usual per-test set-up of the fs_*.bats files:
# a bundle whose pid 1 ends on TERM at once (so `stop` is quick), mounted.
fs_setup() {
	fs_require
	setup_bundle
	cfg '.process.args = ["sh", "-c", "trap \"exit 0\" TERM; sleep 100 & wait"]'
	fs_mount
}

fs_teardown() {
	fs_umount
	teardown_bundle
}
