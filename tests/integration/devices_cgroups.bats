#!/usr/bin/env bats
# Devices and cgroups (config-linux.md "Devices", "Default Devices",
# "Control groups", "Device allowlist"): nodes and permissions seen from
# inside the container; cgroup membership and clean-up seen from the host.

load helpers

setup() {
	setup_bundle
	CGPATH="ocifs-itest-$CID"
}

teardown() {
	teardown_bundle
	remove_cgroups "$CGPATH"
}

run_ct() {
	cfg --argjson a "$(jq -cn '$ARGS.positional' --args -- "$@")" '.process.args = $a'
	rt run --bundle "$BUNDLE" "$CID"
}



# "MAJOR MINOR" of a block device of the host that the host itself may open
# (so that a refusal inside the container is the container's allow-list):
# the disk holding / first, then every other block device.
host_blockdev() {
	local mm d name
	mm="$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)"
	for d in "/sys/dev/block/$mm" /sys/block/*; do
		[ -e "$d/dev" ] || continue
		name="$(basename "$(readlink -f "$d")")"
		[ -b "/dev/$name" ] || continue
		if (: <"/dev/$name") 2>/dev/null; then
			mm="$(cat "$d/dev")"
			echo "${mm%%:*} ${mm##*:}"
			return 0
		fi
	done
	return 1
}

@test "devices: the default devices exist and work" {
	run run_ct sh -c '
		for d in null zero full random urandom tty; do
			echo "$d $(stat -c "%F %t:%T" /dev/$d)"
		done
		echo "fd $(readlink /dev/fd) stdin $(readlink /dev/stdin)"
		echo "stdout $(readlink /dev/stdout) stderr $(readlink /dev/stderr)"
		test -c /dev/ptmx -o -L /dev/ptmx && echo ptmx ok
		echo discard > /dev/null && echo null writable
		head -c 4 /dev/zero | wc -c'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "null character special file 1:3" ]
	[ "${lines[1]}" = "zero character special file 1:5" ]
	[ "${lines[2]}" = "full character special file 1:7" ]
	[ "${lines[3]}" = "random character special file 1:8" ]
	[ "${lines[4]}" = "urandom character special file 1:9" ]
	[ "${lines[5]}" = "tty character special file 5:0" ]
	[ "${lines[6]}" = "fd /proc/self/fd stdin /proc/self/fd/0" ]
	[ "${lines[7]}" = "stdout /proc/self/fd/1 stderr /proc/self/fd/2" ]
	[ "${lines[8]}" = "ptmx ok" ]
	[ "${lines[9]}" = "null writable" ]
	[ "${lines[10]}" = "4" ]
}

@test "devices: linux.devices creates a node with its mode and owner" {
	cfg '.linux.devices = [{"path": "/dev/myfull", "type": "c", "major": 1, "minor": 7,
		"fileMode": 416, "uid": 1000, "gid": 1001}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rw"}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	run run_ct sh -c 'stat -c "%F %t:%T %a %u %g" /dev/myfull; head -c 3 /dev/myfull | wc -c'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:7 640 1000 1001" ]
	# Allowed, and readable by its owner.
	[ "${lines[1]}" = "3" ]
}

@test "devices: a device node that is not allowed cannot be opened" {
	local disk
	disk="$(host_blockdev)" || skip "no block device the host may open"
	read -r major minor <<<"$disk"
	cfg --argjson ma "$major" --argjson mi "$minor" '
		.linux.devices = [{"path": "/dev/hostdisk", "type": "b", "major": $ma, "minor": $mi,
			"fileMode": 438, "uid": 0, "gid": 0}]'
	run run_ct sh -c 'ls -l /dev/hostdisk; exec 3</dev/hostdisk && echo opened'
	echo "$output"
	[[ "${lines[0]}" == b* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" != *opened* ]]
}

@test "devices: a device node that is allowed can be opened" {
	local disk
	disk="$(host_blockdev)" || skip "no block device the host may open"
	read -r major minor <<<"$disk"
	cfg --argjson ma "$major" --argjson mi "$minor" '
		.linux.devices = [{"path": "/dev/hostdisk", "type": "b", "major": $ma, "minor": $mi,
			"fileMode": 438, "uid": 0, "gid": 0}]
		| .linux.resources.devices += [{"allow": true, "type": "b", "major": $ma, "minor": $mi,
			"access": "r"}]'
	run run_ct sh -c 'exec 3</dev/hostdisk && echo opened'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "opened" ]
}

@test "cgroups: cgroupsPath places the container in every hierarchy" {
	cfg --arg p "/$CGPATH" '.linux.cgroupsPath = $p | .process.args = ["sleep", "1000"]'
	start_bg "$CID"
	local pid h
	pid="$(init_pid "$CID")"
	[ "$pid" -gt 0 ]
	for h in pids memory devices freezer unified; do
		[ -d "/sys/fs/cgroup/$h" ] || continue
		echo "checking $h"
		grep -qx "$pid" "/sys/fs/cgroup/$h/$CGPATH/cgroup.procs"
	done

	rt kill "$CID" KILL
	wait_status "$CID" stopped
	rt delete "$CID"
	for h in /sys/fs/cgroup/*/; do
		[ ! -d "$h$CGPATH" ] || {
			echo "left behind: $h$CGPATH"
			false
		}
	done
}

@test "cgroups: delete --force kills every process of the container" {
	cfg --arg p "/$CGPATH" '.linux.cgroupsPath = $p
		| .process.args = ["sh", "-c", "sleep 1000 & sleep 1000 & exec sleep 1000"]'
	start_bg "$CID"
	local pids
	sleep 0.2
	pids="$(cat "/sys/fs/cgroup/pids/$CGPATH/cgroup.procs")"
	[ "$(echo "$pids" | wc -l)" -eq 3 ]
	rt delete --force "$CID"
	local p
	for p in $pids; do
		# Gone, or a zombie waiting for the subreaper.
		if [ -e "/proc/$p" ]; then
			[ "$(awk '{print $3}' "/proc/$p/stat")" = Z ]
		fi
	done
	[ ! -d "/sys/fs/cgroup/pids/$CGPATH" ]
}

@test "cgroups: a memory limit is applied before the container runs" {
	[ -d /sys/fs/cgroup/memory ] || skip "no v1 memory controller"
	cfg --arg p "/$CGPATH" '.linux.cgroupsPath = $p
		| .linux.resources.memory = {"limit": 67108864} | .process.args = ["true"]'
	rt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 3>&-
	[ "$(cat "/sys/fs/cgroup/memory/$CGPATH/memory.limit_in_bytes")" = 67108864 ]
	rt delete --force "$CID"
	[ ! -d "/sys/fs/cgroup/memory/$CGPATH" ]
}
