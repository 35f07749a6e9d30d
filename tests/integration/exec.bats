#!/usr/bin/env bats
# exec: a new process in a running container joins its namespaces and its
# cgroup, passes its exit status through and never affects the container.

load helpers

setup() {
	setup_bundle
	cfg '.process.args = ["sleep", "1000"]'
}

teardown() {
	if [ -n "${RECVTTY_PID:-}" ]; then
		kill "$RECVTTY_PID" 2>/dev/null
		wait "$RECVTTY_PID" 2>/dev/null
	fi
	teardown_bundle
	return 0
}

# Creates (and with "start" starts) the container in the background; its
# stdio goes to $BUNDLE/init.out, fd 3 closed so that bats does not wait.
create_bg() {
	rt create --bundle "$BUNDLE" "$CID" </dev/null >"$BUNDLE/init.out" 2>&1 3>&- || {
		cat "$BUNDLE/init.out" >&2
		return 1
	}
}

start_running() {
	create_bg && rt start "$CID" && wait_status "$CID" running
}

# Host pids of the container's processes.
ct_pids() {
	rt ps --format json "$CID" | jq -r '.[]'
}

@test "exec: runs in the container's namespaces" {
	start_running
	local pid
	pid="$(init_pid "$CID")"
	run rt exec "$CID" sh -c 'hostname; echo $$; for n in mnt pid net ipc uts; do readlink /proc/self/ns/$n; done; cat /proc/1/cmdline | tr "\0" " "'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ocifs" ]
	[ "${lines[1]}" != "1" ]
	[ "${lines[1]}" -gt 1 ]
	[ "${lines[2]}" = "$(readlink "/proc/$pid/ns/mnt")" ]
	[ "${lines[3]}" = "$(readlink "/proc/$pid/ns/pid")" ]
	[ "${lines[4]}" = "$(readlink "/proc/$pid/ns/net")" ]
	[ "${lines[5]}" = "$(readlink "/proc/$pid/ns/ipc")" ]
	[ "${lines[6]}" = "$(readlink "/proc/$pid/ns/uts")" ]
	[ "${lines[7]}" = "sleep 1000 " ]
}

@test "exec: each exec is a new process" {
	start_running
	rt exec --detach "$CID" sleep 1001 </dev/null >/dev/null 2>&1 3>&-
	rt exec --detach "$CID" sleep 1002 </dev/null >/dev/null 2>&1 3>&-
	run ct_pids
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	run rt exec "$CID" ps -o args
	echo "$output"
	[[ "$output" == *"sleep 1001"* ]]
	[[ "$output" == *"sleep 1002"* ]]
}

@test "exec: the exit status passes through and the container keeps running" {
	start_running
	run rt exec "$CID" sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run rt exec "$CID" true
	[ "$status" -eq 0 ]
	run rt state "$CID"
	[ "$(echo "$output" | jq -r .status)" = running ]
	[ "$(echo "$output" | jq -r .pid)" -gt 0 ]
	run ct_pids
	[ "${#lines[@]}" -eq 1 ]
}

@test "exec: into a created container fails and changes nothing" {
	is_ocirun || skip "runc execs into created containers"
	create_bg
	local before
	before="$(rt state "$CID" | jq -c 'del(.created)')"
	run rt exec "$CID" true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *created* ]]
	[ "$(rt state "$CID" | jq -c 'del(.created)')" = "$before" ]
	run ct_pids
	[ "${#lines[@]}" -eq 1 ]
}

@test "exec: into a stopped container fails and changes nothing" {
	cfg '.process.args = ["true"]'
	create_bg
	rt start "$CID"
	wait_status "$CID" stopped
	run rt exec "$CID" true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *stopped* ]]
	[ "$(rt state "$CID" | jq -r .status)" = stopped ]
}

@test "exec: into a missing container fails" {
	run rt exec "no-such-$CID" true
	[ "$status" -ne 0 ]
}

@test "exec: --process reads the process from a JSON file" {
	start_running
	cat >"$BUNDLE/process.json" <<-'EOF'
		{
		  "terminal": false,
		  "user": {"uid": 1000, "gid": 1000},
		  "args": ["sh", "-c", "echo $FOO; pwd; id -u; id -g"],
		  "env": ["PATH=/bin:/usr/bin", "FOO=from-file"],
		  "cwd": "/tmp"
		}
	EOF
	run rt exec --process "$BUNDLE/process.json" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "from-file" ]
	[ "${lines[1]}" = "/tmp" ]
	[ "${lines[2]}" = "1000" ]
	[ "${lines[3]}" = "1000" ]
}

@test "exec: --env, --cwd and --user" {
	start_running
	run rt exec --env FOO=bar --env BAZ=qux --cwd /home/user --user 1000:1000 \
		"$CID" sh -c 'echo "$FOO $BAZ"; pwd; id -u; id -g; echo "$PATH"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "bar qux" ]
	[ "${lines[1]}" = "/home/user" ]
	[ "${lines[2]}" = "1000" ]
	[ "${lines[3]}" = "1000" ]
	# The container's own environment is kept.
	[[ "${lines[4]}" == *"/usr/bin"* ]]
}

@test "exec: --detach with --pid-file" {
	start_running
	rt exec --detach --pid-file "$BUNDLE/exec.pid" "$CID" sleep 1003 \
		</dev/null >/dev/null 2>&1 3>&-
	[ -s "$BUNDLE/exec.pid" ]
	local epid ipid
	epid="$(cat "$BUNDLE/exec.pid")"
	ipid="$(init_pid "$CID")"
	[ -d "/proc/$epid" ]
	[ "$(tr '\0' ' ' <"/proc/$epid/cmdline")" = "sleep 1003 " ]
	[ "$(readlink "/proc/$epid/ns/pid")" = "$(readlink "/proc/$ipid/ns/pid")" ]
	run ct_pids
	printf '%s\n' "${lines[@]}" | grep -qx "$epid"
}

@test "exec: the process joins the container's cgroup" {
	cfg --arg p "/ocifs-itest-$CID" '.linux.cgroupsPath = $p'
	start_running
	local pid
	pid="$(init_pid "$CID")"
	run rt exec "$CID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "/proc/$pid/cgroup")" ]
	[[ "$output" == *"ocifs-itest-$CID"* ]]
}

@test "exec: --tty sends the terminal over the console socket" {
	local recvtty="${OCIFS_BUILD}/tests/recvtty"
	[ -x "$recvtty" ] || skip "tests/recvtty is not built"
	start_running
	local sock="$BUNDLE/console.sock"
	"$recvtty" "$sock" "$BUNDLE/tty.out" </dev/null 3>&- &
	RECVTTY_PID=$!
	for _ in $(seq 50); do
		[ -S "$sock" ] && break
		sleep 0.02
	done
	# runc accepts a console socket only with --detach.
	run rt exec --tty --detach --console-socket "$sock" "$CID" \
		sh -c 'test -t 0 && tty && echo tty-ok'
	echo "$output"
	[ "$status" -eq 0 ]
	wait "$RECVTTY_PID"
	RECVTTY_PID=
	cat "$BUNDLE/tty.out"
	grep -q '^/dev/pts/' "$BUNDLE/tty.out"
	grep -q 'tty-ok' "$BUNDLE/tty.out"
}
