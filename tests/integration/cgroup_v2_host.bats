#!/usr/bin/env bats
# The pure cgroup v2 driver end to end, on this hybrid host: ocirun runs in
# a private mount namespace whose /sys/fs/cgroup is the host's cgroup2 tree
# alone (what a pure v2 host mounts; see devices_v2.bats).  That tree has no
# resource controllers, but its core files work: cgroup.procs (the init is
# cloned into its cgroup), cgroup.freeze (pause/resume), cgroup.kill and
# cgroup.events (kill --all, delete).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	if ! [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		skip "no hybrid cgroup2 tree at /sys/fs/cgroup/unified"
	fi
	is_ocirun || skip "drives ocirun's v2 driver"
	setup_bundle
	CGPATH="/ocifs-itest-v2host-$CID"
	CGDIR="/sys/fs/cgroup/unified$CGPATH"
	cfg --arg p "$CGPATH" '.linux.cgroupsPath = $p
		| .process.args = ["sh", "-c", "sleep 1000 & sleep 1000"]'
}

teardown() {
	# the host's (hybrid) view can still kill and delete what was made
	teardown_bundle
	[ -n "${CGDIR:-}" ] && [ -d "$CGDIR" ] && {
		echo 1 >"$CGDIR/cgroup.kill" 2>/dev/null
		sleep 0.2
		rmdir "$CGDIR" 2>/dev/null
	}
	return 0
}

# v2 COMMANDS...: runs a shell script with "$OCIRUN" as `rt` and the pure
# v2 view of /sys/fs/cgroup; stdout/stderr in $output/$stderr.
v2() {
	run --separate-stderr unshare -m --propagation private sh -c '
		umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup || exit 99
		rt() { "$OCIRUN" --root "$ROOT" "$@"; }
		'"$1" </dev/null
	echo "status $status; stdout: $output; stderr: $stderr"
}

@test "cgroup v2 host: the init is born in its cgroup, which holds every process" {
	export OCIRUN ROOT BUNDLE CID
	v2 'rt run -d --bundle "$BUNDLE" "$CID" >/dev/null 2>&1 || exit 1
		pid=$(rt state "$CID" | jq -r .pid)
		grep "^0::" /proc/$pid/cgroup
		grep -c "$CID" /proc/$pid/cgroup
		rt ps --format json "$CID"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0::$CGPATH" ]
	# the v1 hierarchies are not mounted in this view: only cgroup2 has it
	[ "${lines[1]}" = 1 ]
	[ "$(jq length <<<"${lines[2]}")" -eq 2 ]
	[ "$(wc -l <"$CGDIR/cgroup.procs")" -eq 2 ]
}

@test "cgroup v2 host: pause writes cgroup.freeze, resume thaws, state follows" {
	export OCIRUN ROOT BUNDLE CID
	v2 'rt run -d --bundle "$BUNDLE" "$CID" >/dev/null 2>&1 || exit 1
		rt pause "$CID" || exit 2
		cat "/sys/fs/cgroup'"$CGPATH"'/cgroup.freeze"
		rt state "$CID" | jq -r .status
		grep frozen "/sys/fs/cgroup'"$CGPATH"'/cgroup.events"
		rt resume "$CID" || exit 3
		cat "/sys/fs/cgroup'"$CGPATH"'/cgroup.freeze"
		rt state "$CID" | jq -r .status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = paused ]
	[ "${lines[2]}" = "frozen 1" ]
	[ "${lines[3]}" = 0 ]
	[ "${lines[4]}" = running ]
}

@test "cgroup v2 host: kill --all and delete --force empty and remove the cgroup" {
	export OCIRUN ROOT BUNDLE CID
	v2 'rt run -d --bundle "$BUNDLE" "$CID" >/dev/null 2>&1 || exit 1
		pids=$(cat "/sys/fs/cgroup'"$CGPATH"'/cgroup.procs")
		rt kill --all "$CID" KILL || exit 2
		for i in $(seq 50); do
			grep -q "populated 0" "/sys/fs/cgroup'"$CGPATH"'/cgroup.events" && break
			sleep 0.1
		done
		grep populated "/sys/fs/cgroup'"$CGPATH"'/cgroup.events"
		rt delete --force "$CID" || exit 3
		[ -d "/sys/fs/cgroup'"$CGPATH"'" ] && echo cgroup-left || echo cgroup-gone'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "populated 0" ]
	[ "${lines[1]}" = cgroup-gone ]
	[ ! -d "$CGDIR" ]
	[ ! -e "$ROOT/$CID" ]
}

@test "cgroup v2 host: a limit needing a controller the tree lacks is refused, naming it" {
	export OCIRUN ROOT BUNDLE CID
	cfg '.linux.resources.pids = {"limit": 10}'
	v2 'rt run -d --bundle "$BUNDLE" "$CID"'
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.resources.pids"* ]]
	[ ! -e "$ROOT/$CID" ]
	[ ! -d "$CGDIR" ]
}
