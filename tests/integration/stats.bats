#!/usr/bin/env bats
# Cgroup statistics: `events --stats` (one stats event, runc's shape:
# {"type":"stats","id":ID,"data":{"cpu":...,"memory":...,"pids":...}}) and
# `events --interval N` (a stats event every N seconds until the container
# stops).  This host is hybrid: the numbers come from the v1 controllers.
# Checks of ocirun's own messages and behaviours are skipped under runc.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	setup_bundle
	CGPATH="ocifs-itest-$CID"
	cfg --arg p "/$CGPATH" '.linux.cgroupsPath = $p | .process.args = ["sleep", "1000"]'
}

teardown() {
	teardown_bundle
	remove_cgroups "$CGPATH"
}

@test "events --stats: one stats event with pids, memory and cpu" {
	start_bg "$CID"
	run -0 rt events --stats "$CID"
	echo "$output"
	[ "$(wc -l <<<"$output")" -eq 1 ]
	jq -e --arg id "$CID" '.type == "stats" and .id == $id' <<<"$output"
	jq -e '.data.pids.current >= 1' <<<"$output"
	jq -e '.data.memory.usage.usage > 0' <<<"$output"
	jq -e '.data.cpu.usage.total >= 0' <<<"$output"
}

@test "events --stats: cpu usage has percpu, user and kernel times" {
	is_ocirun || skip "ocirun's field set"
	[ -d /sys/fs/cgroup/cpuacct ] || skip "no v1 cpuacct controller"
	start_bg "$CID"
	run -0 rt events --stats "$CID"
	echo "$output"
	jq -e '(.data.cpu.usage.percpu | type) == "array"' <<<"$output"
	jq -e '.data.cpu.usage.user >= 0 and .data.cpu.usage.kernel >= 0' <<<"$output"
	jq -e '(.data.memory.raw | type) == "object"' <<<"$output"
}

@test "events --stats: the memory and pids limits are reported" {
	cfg '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 42}'
	start_bg "$CID"
	run -0 rt events --stats "$CID"
	echo "$output"
	jq -e '.data.memory.usage.limit == 67108864' <<<"$output"
	jq -e '.data.pids.limit == 42' <<<"$output"
}

@test "events --stats: a stopped container fails" {
	cfg '.process.args = ["true"]'
	start_bg "$CID"
	wait_status "$CID" stopped
	run rt events --stats "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	if is_ocirun; then
		[[ "$output" == *"stopped"* ]]
	fi
}

@test "events --stats: a missing container fails" {
	run rt events --stats nosuch-$CID
	[ "$status" -ne 0 ]
}

@test "events --interval: stats events until the container stops" {
	is_ocirun || skip "runc's events does not return when the container stops"
	start_bg "$CID"
	rt events --interval 1 "$CID" >"$BUNDLE/events" 2>&1 &
	local ev=$!
	sleep 1.5
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	# it notices the stop within one interval and exits 0
	local i
	for ((i = 0; i < 60; i++)); do
		kill -0 "$ev" 2>/dev/null || break
		sleep 0.05
	done
	run -0 wait "$ev"
	cat "$BUNDLE/events"
	[ "$(wc -l <"$BUNDLE/events")" -ge 1 ]
	jq -e '.type == "stats" and .data.pids.current >= 1' <<<"$(head -1 "$BUNDLE/events")"
}

@test "events --interval: ends when the container stops, not at the next interval" {
	is_ocirun || skip "runc's events does not return when the container stops"
	start_bg "$CID"
	rt events --interval 60 "$CID" >"$BUNDLE/events" 2>&1 3>&- &
	local ev=$! i
	for ((i = 0; i < 100; i++)); do
		[ -s "$BUNDLE/events" ] && break
		sleep 0.05
	done
	rt kill "$CID" KILL
	# the init's exit ends it: well within 5 s, where the interval is 60 s
	for ((i = 0; i < 100; i++)); do
		kill -0 "$ev" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$ev" 2>/dev/null; then
		kill "$ev"
		false
	fi
	run -0 wait "$ev"
	[ "$(wc -l <"$BUNDLE/events")" -eq 1 ]
}

@test "events --interval: an invalid interval is refused" {
	is_ocirun || skip "ocirun's message"
	start_bg "$CID"
	run rt events --interval nope "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *interval* ]]
}
