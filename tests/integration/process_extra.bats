#!/usr/bin/env bats
# The remaining process and linux fields: linux.personality,
# process.scheduler, process.ioPriority, process.execCPUAffinity,
# linux.timeOffsets, linux.memoryPolicy.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "personality: LINUX32 makes uname -m print i686" {
	[ "$(uname -m)" = x86_64 ] || skip "not an x86_64 host"
	is_ocirun || skip "runc 1.1 does not support linux.personality"
	cfg '.linux.personality = {"domain": "LINUX32"} | .process.args = ["uname", "-m"]'
	run_ctr
	[ "$output" = i686 ]
}

@test "personality: LINUX keeps the native machine" {
	is_ocirun || skip "runc 1.1 does not support linux.personality"
	cfg '.linux.personality = {"domain": "LINUX"} | .process.args = ["uname", "-m"]'
	run_ctr
	[ "$output" = "$(uname -m)" ]
}

@test "personality: an unknown domain is refused" {
	is_ocirun || skip "runc 1.1 ignores linux.personality"
	cfg '.linux.personality = {"domain": "LINUX64"}'
	run rt run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
}

@test "scheduler: SCHED_BATCH with nice 5 reaches the process" {
	is_ocirun || skip "runc 1.1 does not support process.scheduler"
	cfg '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5} |
	     .process.args = ["sh", "-c", "grep -E \"^policy\" /proc/self/sched; cut -d\" \" -f19 /proc/self/stat"]'
	run_ctr
	[[ "${lines[0]}" =~ ^policy[[:space:]]+:[[:space:]]+3$ ]]
	[ "${lines[1]}" = 5 ]
}

@test "scheduler: an unknown policy is refused" {
	is_ocirun || skip "runc 1.1 ignores process.scheduler"
	cfg '.process.scheduler = {"policy": "SCHED_NOPE"}'
	run rt run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
}

@test "ioPriority: IOPRIO_CLASS_BE priority 6 shows in ionice" {
	is_ocirun || skip "runc 1.1 does not support process.ioPriority"
	cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6} |
	     .process.args = ["ionice"]'
	run_ctr
	[ "$output" = "best-effort: prio 6" ]
}

@test "execCPUAffinity: final 0 pins the process to CPU 0" {
	is_ocirun || skip "runc 1.1 does not support process.execCPUAffinity"
	cfg '.process.execCPUAffinity = {"initial": "0", "final": "0"} |
	     .process.args = ["grep", "^Cpus_allowed_list", "/proc/self/status"]'
	run_ctr
	[[ "$output" =~ ^Cpus_allowed_list:[[:space:]]+0$ ]]
}

@test "execCPUAffinity: a malformed list is refused" {
	is_ocirun || skip "runc 1.1 ignores process.execCPUAffinity"
	cfg '.process.execCPUAffinity = {"final": "0-"}'
	run rt run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
}

@test "timeOffsets: boottime +86400 s shows in /proc/uptime" {
	[ -e /proc/self/ns/time ] || skip "the kernel has no time namespaces"
	is_ocirun || skip "runc 1.1 does not support time namespaces"
	cfg '.linux.namespaces += [{"type": "time"}] |
	     .linux.timeOffsets = {"boottime": {"secs": 86400}, "monotonic": {"secs": 1000}} |
	     .process.args = ["cut", "-d.", "-f1", "/proc/uptime"]'
	run_ctr
	host=$(cut -d. -f1 /proc/uptime)
	[ "$output" -ge $((host + 86400 - 5)) ]
	[ "$output" -le $((host + 86400 + 5)) ]
}

@test "timeOffsets: without a time namespace is refused" {
	is_ocirun || skip "runc 1.1 ignores linux.timeOffsets"
	cfg '.linux.timeOffsets = {"boottime": {"secs": 1}}'
	run rt run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
}

@test "memoryPolicy: MPOL_BIND to node 0 shows as bind:0 in numa_maps" {
	is_ocirun || skip "runc 1.1 does not support linux.memoryPolicy"
	[ -e /proc/self/numa_maps ] || skip "the kernel has no NUMA support"
	cfg '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"} |
	     .process.args = ["grep", "-m1", "-o", "bind:0", "/proc/self/numa_maps"]'
	run_ctr
	[ "$output" = bind:0 ]
}

@test "memoryPolicy: MPOL_BIND without nodes is refused" {
	is_ocirun || skip "runc 1.1 ignores linux.memoryPolicy"
	cfg '.linux.memoryPolicy = {"mode": "MPOL_BIND"}'
	run rt run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
}
