#!/usr/bin/env bats
# The cgroup v2 device filter (runtime/cgroup_bpf.c) end to end.  This host
# is hybrid, where containers get the v1 devices controller; to drive the
# v2 driver, ocirun runs in a private mount namespace whose /sys/fs/cgroup
# is the host's cgroup2 tree alone (what a pure v2 host looks like).  The
# container is not in any v1 devices cgroup there, so a refusal can only
# come from the eBPF program.  Device under test: /dev/net/tun (c 10:200),
# not a default device, openable without privileges.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	if ! [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		skip "no hybrid cgroup2 tree at /sys/fs/cgroup/unified"
	fi
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	setup_bundle
	CGPATH="/ocifs-itest-v2-$CID"
	cfg --arg p "$CGPATH" '.linux.cgroupsPath = $p
		| .linux.devices = [{"path": "/dev/xtun", "type": "c", "major": 10, "minor": 200}]'
}

teardown() {
	teardown_bundle
	[ -n "${CGPATH:-}" ] && rmdir "/sys/fs/cgroup/unified$CGPATH" 2>/dev/null
	return 0
}

# run_v2 SCRIPT: `ocirun run` of the bundle, process `sh -c SCRIPT`, with
# the pure v2 view of /sys/fs/cgroup.
run_v2() {
	cfg --arg s "$1" '.process.args = ["sh", "-c", $s]'
	run --separate-stderr unshare -m --propagation private sh -c '
		umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup &&
		exec "$0" --root "$1" run --bundle "$2" "$3" </dev/null' \
		"$OCIRUN" "$ROOT" "$BUNDLE" "$CID"
	echo "status $status; stdout: $output; stderr: $stderr"
}

@test "devices v2: deny all refuses a device, the default devices still work" {
	cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	run_v2 '(exec 3</dev/xtun) 2>&1; echo null > /dev/null && echo null-ok;
		head -c 3 /dev/zero | wc -c'
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/xtun: Operation not permitted"* ]]
	[[ "$output" == *null-ok* ]]
	[[ "$output" == *3* ]]
	# the container's cgroup (and its program) are gone after run
	[ ! -d "/sys/fs/cgroup/unified$CGPATH" ]
}

@test "devices v2: an allow rule opens it, a later deny of w wins for writes" {
	cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"},
		{"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rwm"},
		{"allow": false, "type": "c", "major": 10, "minor": 200, "access": "w"}]'
	run_v2 '(exec 3</dev/xtun) && echo read-ok; (exec 3<>/dev/xtun) 2>&1 || echo rw-refused'
	[ "$status" -eq 0 ]
	[[ "$output" == *read-ok* ]]
	[[ "$output" == *"/dev/xtun: Operation not permitted"*rw-refused* ]]
}

@test "devices v2: a wildcard allow (c 10:* rw) opens it" {
	cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"},
		{"allow": true, "type": "c", "major": 10, "access": "rw"}]'
	run_v2 '(exec 3<>/dev/xtun) && echo rw-ok'
	[ "$status" -eq 0 ]
	[[ "$output" == *rw-ok* ]]
}
