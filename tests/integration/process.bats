#!/usr/bin/env bats
# The container process (config.md "process"): args, env, cwd, user, umask,
# rlimits, capabilities, noNewPrivileges, oomScoreAdj, terminal, and the
# file descriptors it gets (--preserve-fds, nothing leaked).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "args are passed verbatim, stdout and stderr reach the caller" {
	cfg '.process.args = ["sh", "-c", "echo \"$1|$2\"; echo to-stderr >&2", "sh", "a  b", "c'"'"'d\"e"]'
	run_ctr
	[ "$output" = "a  b|c'd\"e" ]
	[[ "$stderr" == *to-stderr* ]]
}

@test "args[0] that cannot be executed fails the container" {
	cfg '.process.args = ["/no/such/program"]'
	run rt run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
}

@test "env: exactly the configured variables, nothing from the host" {
	cfg '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="]'
	export OCIFS_HOST_ONLY=leak
	cfg '.process.args = ["env"]'
	run_ctr
	grep -qx 'FOO=bar baz' <<<"$output"
	grep -qx 'EMPTY=' <<<"$output"
	grep -qx 'PATH=/bin' <<<"$output"
	! grep -q OCIFS_HOST_ONLY <<<"$output"
}

@test "cwd: the process starts in process.cwd" {
	cfg '.process.cwd = "/tmp" | .process.args = ["pwd"]'
	run_ctr
	[ "$output" = /tmp ]
}

@test "user: uid, gid, additionalGids and umask" {
	cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 65534], "umask": 23}'
	cfg '.process.args = ["sh", "-c", "id -u; id -g; awk \"/^Groups:/ { print \\$2, \\$3, \\$4 }\" /proc/self/status; umask"]'
	run_ctr
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	# sort: the kernel keeps the groups sorted, but compare as sets
	[ "$(tr ' ' '\n' <<<"${lines[2]}" | grep . | sort -n | tr '\n' ' ')" = "5 65534 " ]
	[ "${lines[3]}" = 0027 ]
}

@test "user: a uid without a passwd entry" {
	cfg '.process.user = {"uid": 4242, "gid": 4343}'
	cfg '.process.args = ["sh", "-c", "id -u; id -g"]'
	run_ctr
	[ "${lines[0]}" = 4242 ]
	[ "${lines[1]}" = 4343 ]
}

@test "rlimits: soft and hard limits are applied" {
	cfg '.process.rlimits = [
		{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
		{"type": "RLIMIT_CORE", "soft": 4096, "hard": 8192}]'
	cfg '.process.args = ["sh", "-c", "ulimit -n; ulimit -Hn; grep \"core file\" /proc/self/limits"]'
	run_ctr
	[ "${lines[0]}" = 100 ]
	[ "${lines[1]}" = 200 ]
	[[ "${lines[2]}" =~ ^Max\ core\ file\ size\ +4096\ +8192\ +bytes ]]
}

@test "capabilities: the five sets" {
	# CAP_CHOWN = 0, CAP_KILL = 5
	cfg '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL"],
		"effective": ["CAP_CHOWN", "CAP_KILL"],
		"permitted": ["CAP_CHOWN", "CAP_KILL"],
		"inheritable": ["CAP_CHOWN", "CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	cfg '.process.args = ["grep", "^Cap", "/proc/self/status"]'
	run_ctr
	grep -qx $'CapInh:\t0000000000000021' <<<"$output"
	grep -qx $'CapPrm:\t0000000000000021' <<<"$output"
	grep -qx $'CapEff:\t0000000000000021' <<<"$output"
	grep -qx $'CapBnd:\t0000000000000021' <<<"$output"
	grep -qx $'CapAmb:\t0000000000000020' <<<"$output"
}

@test "capabilities: the default bundle's set (runc spec)" {
	# CAP_KILL = 5, CAP_NET_BIND_SERVICE = 10, CAP_AUDIT_WRITE = 29
	cfg '.process.args = ["grep", "^Cap", "/proc/self/status"]'
	run_ctr
	grep -qx $'CapEff:\t0000000020000420' <<<"$output"
	grep -qx $'CapBnd:\t0000000020000420' <<<"$output"
}

@test "capabilities: a non-root user keeps only ambient capabilities" {
	cfg '.process.user = {"uid": 1000, "gid": 1000}'
	cfg '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL"],
		"effective": ["CAP_CHOWN", "CAP_KILL"],
		"permitted": ["CAP_CHOWN", "CAP_KILL"],
		"inheritable": ["CAP_CHOWN", "CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	cfg '.process.args = ["sh", "-c", "exec grep ^Cap /proc/self/status"]'
	run_ctr
	# execve as non-root: permitted/effective = ambient
	grep -qx $'CapEff:\t0000000000000020' <<<"$output"
	grep -qx $'CapBnd:\t0000000000000021' <<<"$output"
}

@test "noNewPrivileges: true sets NoNewPrivs, false leaves it clear" {
	cfg '.process.noNewPrivileges = true | .process.args = ["grep", "^NoNewPrivs", "/proc/self/status"]'
	run_ctr
	[ "$output" = $'NoNewPrivs:\t1' ]
	grep -qx $'NoNewPrivs:\t0' /proc/self/status || skip "the test runs with NoNewPrivs set"
	cfg '.process.noNewPrivileges = false'
	run_ctr
	[ "$output" = $'NoNewPrivs:\t0' ]
}

@test "oomScoreAdj is applied" {
	cfg '.process.oomScoreAdj = 123 | .process.args = ["cat", "/proc/self/oom_score_adj"]'
	run_ctr
	[ "$output" = 123 ]
}

@test "no file descriptor of the runtime reaches the container" {
	# ls is the container's init: it sees 0, 1, 2 and its own directory fd
	cfg '.process.args = ["ls", "/proc/self/fd"]'
	exec 5</dev/null 7>/dev/null
	run_ctr
	exec 5<&- 7>&-
	[ "$(tr '\n' ' ' <<<"$output")" = "0 1 2 3 " ]
}

@test "--preserve-fds: fds 3.. are passed to the container" {
	echo three >"$BUNDLE/f3"
	echo four >"$BUNDLE/f4"
	cfg '.process.args = ["sh", "-c", "cat <&3; cat <&4; ls /proc/self/fd | tr \"\\n\" \" \""]'
	run --separate-stderr rt run --preserve-fds 2 --bundle "$BUNDLE" "$CID" \
		</dev/null 3<"$BUNDLE/f3" 4<"$BUNDLE/f4" 5</dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = three ]
	[ "${lines[1]}" = four ]
	# fd 5 was not preserved; ls's own directory fd is the only extra one
	[ "${lines[2]}" = "0 1 2 3 4 5 " ]
}

@test "terminal: the pty master is sent to --console-socket" {
	cfg '.process.terminal = true'
	cfg '.process.args = ["sh", "-c", "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty=$(tty)"]'
	sock="$BUNDLE/tty.sock"
	timeout 10 "$RECVTTY" "$sock" "$BUNDLE/tty.out" 3>&- &
	recv=$!
	wait_file "$sock"
	create_ctr --console-socket "$sock"
	rt start "$CID"
	wait "$recv"
	wait_status "$CID" stopped
	[ "$(tr -d '\r' <"$BUNDLE/tty.out")" = "tty=/dev/pts/0" ]
}

@test "terminal: true without --console-socket fails for a detached container" {
	cfg '.process.terminal = true'
	run rt create --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	run rt state "$CID"
	[ "$status" -ne 0 ]
}
