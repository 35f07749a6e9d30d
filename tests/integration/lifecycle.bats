#!/usr/bin/env bats
# Lifecycle: create, start, state, kill, delete, run and their status rules
# (runtime.md "Lifecycle" and "Operations").

bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_bundle
	share_dir
}

teardown() {
	teardown_bundle
}

@test "create: status created, user process not run yet" {
	cfg '.process.args = ["sh", "-c", "touch /shared/started; sleep 100"]'
	create_ctr
	run rt state "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .id <<<"$output")" = "$CID" ]
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
	[ -n "$(jq -r .ociVersion <<<"$output")" ]
	pid="$(jq -r .pid <<<"$output")"
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	sleep 0.3
	[ ! -e "$SHARED/started" ]
}

@test "start: the user process runs, status running, same pid" {
	cfg '.process.args = ["sh", "-c", "echo run >> /shared/started; sleep 100"]'
	create_ctr
	pid="$(ctr_pid "$CID")"
	rt start "$CID"
	wait_file "$SHARED/started"
	[ "$(rt state "$CID" | jq -r .status)" = running ]
	[ "$(ctr_pid "$CID")" = "$pid" ]
	[ "$(cat "$SHARED/started")" = run ]
}

@test "start twice: second start fails and changes nothing" {
	cfg '.process.args = ["sh", "-c", "echo run >> /shared/started; sleep 100"]'
	create_ctr
	rt start "$CID"
	wait_file "$SHARED/started"
	pid="$(ctr_pid "$CID")"
	run rt start "$CID"
	[ "$status" -ne 0 ]
	sleep 0.2
	[ "$(rt state "$CID" | jq -r .status)" = running ]
	[ "$(ctr_pid "$CID")" = "$pid" ]
	[ "$(wc -l <"$SHARED/started")" -eq 1 ]
}

@test "start of a stopped container fails" {
	cfg '.process.args = ["true"]'
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped
	run rt start "$CID"
	[ "$status" -ne 0 ]
	[ "$(rt state "$CID" | jq -r .status)" = stopped ]
}

@test "kill KILL: container becomes stopped, its process is gone" {
	cfg '.process.args = ["sleep", "100"]'
	create_ctr
	rt start "$CID"
	wait_status "$CID" running
	pid="$(ctr_pid "$CID")"
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	pid_gone "$pid"
}

@test "kill without a signal sends SIGTERM" {
	cfg '.process.args = ["sh", "-c",
		"trap \"echo term > /shared/got; exit 0\" TERM; touch /shared/ready; while :; do sleep 0.05; done"]'
	create_ctr
	rt start "$CID"
	wait_file "$SHARED/ready"
	rt kill "$CID"
	wait_status "$CID" stopped
	[ "$(cat "$SHARED/got")" = term ]
}

@test "kill of a stopped container fails" {
	cfg '.process.args = ["true"]'
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped
	run rt kill "$CID" KILL
	[ "$status" -ne 0 ]
}

@test "delete: refused while running, container untouched" {
	cfg '.process.args = ["sleep", "100"]'
	create_ctr
	rt start "$CID"
	wait_status "$CID" running
	pid="$(ctr_pid "$CID")"
	run rt delete "$CID"
	[ "$status" -ne 0 ]
	[ "$(rt state "$CID" | jq -r .status)" = running ]
	kill -0 "$pid"
}

@test "delete --force: kills every process of a running container" {
	cfg '.process.args = ["sh", "-c",
		"sleep 100 & sleep 100 & (sleep 100 &); touch /shared/ready; wait"]'
	create_ctr
	rt start "$CID"
	wait_file "$SHARED/ready"
	pid="$(ctr_pid "$CID")"
	pids="$(ns_pids "$pid")"
	[ "$(wc -w <<<"$pids")" -ge 4 ]
	rt delete --force "$CID"
	for p in $pids; do
		pid_gone "$p"
	done
	run rt state "$CID"
	[ "$status" -ne 0 ]
	[ -z "$(rt list -q)" ]
}

@test "delete --force of a created container" {
	create_ctr
	pid="$(ctr_pid "$CID")"
	rt delete --force "$CID"
	pid_gone "$pid"
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "delete of a created container without --force is refused" {
	is_ocirun || skip "runc deletes created containers"
	create_ctr
	pid="$(ctr_pid "$CID")"
	run rt delete "$CID"
	[ "$status" -ne 0 ]
	[ "$(rt state "$CID" | jq -r .status)" = created ]
	kill -0 "$pid"
}

@test "delete of a stopped container removes it" {
	cfg '.process.args = ["true"]'
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped
	rt delete "$CID"
	run rt state "$CID"
	[ "$status" -ne 0 ]
	[ -z "$(rt list -q)" ]
	# the id can be used again
	create_ctr
	[ "$(rt state "$CID" | jq -r .status)" = created ]
}

@test "config without process: create works, start fails clearly" {
	is_ocirun || skip "runc refuses a config without process at create"
	cfg 'del(.process)'
	create_ctr
	[ "$(rt state "$CID" | jq -r .status)" = created ]
	run --separate-stderr rt start "$CID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *process* ]]
	[ "$(rt state "$CID" | jq -r .status)" = created ]
}

@test "state of a missing container fails" {
	run rt state nosuchcontainer
	[ "$status" -ne 0 ]
	[ -n "$output" ]
	run rt start nosuchcontainer
	[ "$status" -ne 0 ]
	run rt kill nosuchcontainer KILL
	[ "$status" -ne 0 ]
	run rt delete nosuchcontainer
	[ "$status" -ne 0 ]
}

@test "create with a duplicate id fails and keeps the first container" {
	cfg '.process.args = ["sleep", "100"]'
	create_ctr
	pid="$(ctr_pid "$CID")"
	run rt create --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[ "$(rt state "$CID" | jq -r .status)" = created ]
	[ "$(ctr_pid "$CID")" = "$pid" ]
	[ "$(rt list -q)" = "$CID" ]
}

@test "config.json edited after create changes nothing" {
	cfg '.process.args = ["sh", "-c", "echo one > /shared/out"]'
	create_ctr
	cfg '.process.args = ["sh", "-c", "echo two > /shared/out"]'
	cfg '.hostname = "edited"'
	rt start "$CID"
	wait_status "$CID" stopped
	[ "$(cat "$SHARED/out")" = one ]
}

@test "run: exit status of the container process passes through" {
	cfg '.process.args = ["sh", "-c", "echo out; exit 7"]'
	run -7 rt run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$output" = out ]
	run rt state "$CID"
	[ "$status" -ne 0 ]
	cfg '.process.args = ["true"]'
	run -0 rt run --bundle "$BUNDLE" "$CID" </dev/null
}

@test "run --detach: returns while the container runs" {
	cfg '.process.args = ["sleep", "100"]'
	rt run --detach --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	[ "$(rt state "$CID" | jq -r .status)" = running ]
}

@test "--pid-file: create writes the container's pid" {
	create_ctr --pid-file "$BUNDLE/pid"
	[ "$(cat "$BUNDLE/pid")" = "$(ctr_pid "$CID")" ]
	cfg '.process.args = ["sleep", "100"]'
	rt run --detach --bundle "$BUNDLE" --pid-file "$BUNDLE/pid2" "${CID}b" \
		</dev/null >/dev/null 2>&1
	[ "$(cat "$BUNDLE/pid2")" = "$(ctr_pid "${CID}b")" ]
}

@test "list: shows each container with its status" {
	create_ctr
	cfg '.process.args = ["sleep", "100"]'
	rt run --detach --bundle "$BUNDLE" "${CID}b" </dev/null >/dev/null 2>&1
	[ "$(rt list -q | sort | tr '\n' ' ')" = "$CID ${CID}b " ]
	run -0 rt list --format json
	[ "$(jq -r --arg id "$CID" '.[] | select(.id == $id) | .status' <<<"$output")" = created ]
	[ "$(jq -r --arg id "${CID}b" '.[] | select(.id == $id) | .status' <<<"$output")" = running ]
	[ "$(jq -r --arg id "$CID" '.[] | select(.id == $id) | .bundle' <<<"$output")" = "$BUNDLE" ]
	run -0 rt list
	[[ "$output" == *"$CID"*created* ]]
}
