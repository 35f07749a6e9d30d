#!/usr/bin/env bats
# Resource limits (config-linux.md "Control groups": memory, cpu, pids,
# unified) and `update`: the values seen in the host's cgroup files, and
# their effect on the container (OOM kill, fork limit).  This host is
# hybrid: the limits land in the v1 hierarchies under /sys/fs/cgroup/<name>;
# the v2 driver's writes are covered by tests/unit/test_cgroup_v2.c.
# Checks of ocirun's own messages are skipped under runc.

load helpers

setup() {
	setup_bundle
	CGPATH="ocifs-itest-$CID"
	cfg --arg p "/$CGPATH" '.linux.cgroupsPath = $p'
}

teardown() {
	teardown_bundle
	remove_cgroups "$CGPATH"
}

# cg CONTROLLER FILE: a file of the container's cgroup.
cg() {
	cat "/sys/fs/cgroup/$1/$CGPATH/$2"
}

need_controller() {
	[ -d "/sys/fs/cgroup/$1" ] && [ "$(stat -f -c %T "/sys/fs/cgroup/$1")" = cgroupfs ] ||
		skip "no v1 $1 controller on this host"
}

# Checks that nothing is left in any hierarchy after delete.
no_cgroup_left() {
	local h
	for h in /sys/fs/cgroup/*/; do
		if [ -d "$h$CGPATH" ]; then
			echo "left behind: $h$CGPATH"
			return 1
		fi
	done
}

@test "memory: limit, reservation and swap land in the memory controller" {
	need_controller memory
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting"
	cfg '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432,
		"swap": 134217728} | .process.args = ["sleep", "1000"]'
	start_bg "$CID"
	[ "$(cg memory memory.limit_in_bytes)" = 67108864 ]
	[ "$(cg memory memory.soft_limit_in_bytes)" = 33554432 ]
	[ "$(cg memory memory.memsw.limit_in_bytes)" = 134217728 ]
	rt delete --force "$CID"
	no_cgroup_left
}

@test "memory: a process allocating past the limit is OOM-killed" {
	need_controller memory
	local swap='' st
	# memory+swap = memory, so that the process cannot swap instead
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && swap=', "swap": 33554432'
	cfg '.linux.resources.memory = {"limit": 33554432'"$swap"'}
		| .process.args = ["sh", "-c", "head -c 200m /dev/zero | tail; echo rc=$?; exec sleep 1000"]'
	start_bg "$CID"
	# tail holds its line (200 MB without a newline) in memory and is
	# killed; the kernel counts OOM kills in memory.oom_control (oom_kill,
	# since 4.13).  Under load the OOM killer may also pick the shell that
	# would print rc=, so the counter is the observable effect when present.
	for ((st = 0; st < 600; st++)); do
		grep -q '^rc=' "$BUNDLE/$CID.out" && break
		[ "$(cg memory memory.oom_control | awk '$1 == "oom_kill" { print $2 }')" -ge 1 ] 2>/dev/null && break
		sleep 0.05
	done
	cat "$BUNDLE/$CID.out"
	cg memory memory.oom_control
	if cg memory memory.oom_control | grep -q '^oom_kill '; then
		[ "$(cg memory memory.oom_control | awk '$1 == "oom_kill" { print $2 }')" -ge 1 ]
		! grep -qx 'rc=0' "$BUNDLE/$CID.out"
	else
		grep -qx 'rc=137' "$BUNDLE/$CID.out"
	fi
	rt delete --force "$CID"
	no_cgroup_left
}

@test "memory: disableOOMKiller sets memory.oom_control" {
	need_controller memory
	cfg '.linux.resources.memory = {"limit": 67108864, "disableOOMKiller": true}
		| .process.args = ["sleep", "1000"]'
	start_bg "$CID"
	cg memory memory.oom_control | grep -qx 'oom_kill_disable 1'
	rt delete --force "$CID"
}

@test "pids: a fork bomb stops at pids.max" {
	need_controller pids
	cfg '.linux.resources.pids = {"limit": 10}
		| .process.args = ["sh", "-c", "i=0; while [ $i -lt 30 ]; do sleep 1000 & i=$((i + 1)); echo $i; done"]'
	run rt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	# sh + 9 sleeps fill the 10 pids; the 10th sleep cannot be forked
	[[ "$output" == *fork* ]]
	[ "$(echo "$output" | grep -cx '[0-9]*')" -eq 9 ]
	no_cgroup_left
}

@test "pids: pids.max holds the limit" {
	need_controller pids
	cfg '.linux.resources.pids = {"limit": 42} | .process.args = ["sleep", "1000"]'
	start_bg "$CID"
	[ "$(cg pids pids.max)" = 42 ]
	rt delete --force "$CID"
}

@test "cpu: shares, quota, period and cpuset land in their files" {
	need_controller cpu
	cfg '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 200000,
		"cpus": "0", "mems": "0"} | .process.args = ["sleep", "1000"]'
	start_bg "$CID"
	[ "$(cg cpu cpu.shares)" = 512 ]
	[ "$(cg cpu cpu.cfs_quota_us)" = 50000 ]
	[ "$(cg cpu cpu.cfs_period_us)" = 200000 ]
	if [ -d /sys/fs/cgroup/cpuset ]; then
		[ "$(cg cpuset cpuset.cpus)" = 0 ]
		[ "$(cg cpuset cpuset.mems)" = 0 ]
	fi
	rt delete --force "$CID"
	no_cgroup_left
}

@test "update: --memory, --cpu-quota and --pids-limit change a live container" {
	need_controller memory
	cfg '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50}
		| .process.args = ["sleep", "1000"]'
	start_bg "$CID"
	[ "$(cg memory memory.limit_in_bytes)" = 67108864 ]
	rt update --memory 128M --cpu-quota 30000 --cpu-period 100000 --pids-limit 20 "$CID"
	[ "$(cg memory memory.limit_in_bytes)" = 134217728 ]
	[ "$(cg cpu cpu.cfs_quota_us)" = 30000 ]
	[ "$(cg pids pids.max)" = 20 ]
	# still running, same process
	[ "$(rt state "$CID" | jq -r .status)" = running ]
	rt delete --force "$CID"
	no_cgroup_left
}

@test "update: -r FILE (and - for stdin) applies a linux.resources object" {
	need_controller memory
	cfg '.process.args = ["sleep", "1000"]'
	start_bg "$CID"
	echo '{"memory": {"limit": 104857600}, "pids": {"limit": 30}}' >"$BUNDLE/res.json"
	rt update -r "$BUNDLE/res.json" "$CID"
	[ "$(cg memory memory.limit_in_bytes)" = 104857600 ]
	[ "$(cg pids pids.max)" = 30 ]
	echo '{"cpu": {"shares": 256}}' | rt update -r - "$CID"
	[ "$(cg cpu cpu.shares)" = 256 ]
	rt delete --force "$CID"
}

@test "update: a limit below the current usage is refused with checkBeforeUpdate" {
	is_ocirun || skip "runc 1.1 checks against the old limit only"
	need_controller memory
	cfg '.process.args = ["sleep", "1000"]'
	start_bg "$CID"
	echo '{"memory": {"limit": 4096, "checkBeforeUpdate": true}}' >"$BUNDLE/res.json"
	run rt update -r "$BUNDLE/res.json" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.memory.limit: 4096 is below the current usage"* ]]
	rt delete --force "$CID"
}

@test "update: bad values are refused with their JSON path" {
	is_ocirun || skip "ocirun's messages"
	cfg '.process.args = ["sleep", "1000"]'
	start_bg "$CID"
	echo '{"memory": {"limit": "lots"}}' >"$BUNDLE/res.json"
	run rt update -r "$BUNDLE/res.json" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.memory.limit: must be an integer"* ]]
	run rt update --memory lots "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--memory: invalid value 'lots'"* ]]
	run rt update "$CID"
	[ "$status" -ne 0 ]
	run rt update --memory 1G nosuchcontainer
	[ "$status" -ne 0 ]
	rt delete --force "$CID"
}

@test "create: a bad resource value is refused with its JSON path" {
	is_ocirun || skip "ocirun's messages"
	cfg '.linux.resources.memory = {"limit": "64M"} | .process.args = ["true"]'
	run rt create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.memory.limit: must be an integer"* ]]
	cfg '.linux.resources.memory = {} | .linux.resources.cpu = {"shares": -5}'
	run rt create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.cpu.shares:"* ]]
	run rt list -q
	[ -z "$output" ]
	no_cgroup_left
}

@test "create: a limit this kernel cannot apply is refused, nothing left behind" {
	is_ocirun || skip "runc 1.1 ignores kernel memory limits"
	cfg '.linux.resources.memory = {"kernel": 67108864} | .process.args = ["true"]'
	run rt create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.memory.kernel: not supported by this kernel"* ]]
	run rt list -q
	[ -z "$output" ]
	no_cgroup_left
	if [ ! -d /sys/fs/cgroup/hugetlb ]; then
		cfg '.linux.resources.memory = {}
			| .linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]'
		run rt create --bundle "$BUNDLE" "$CID"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.resources.hugepageLimits: no hugetlb cgroup controller"* ]]
		no_cgroup_left
	fi
}

@test "unified: a key the host's cgroup v2 tree cannot take is refused" {
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && skip "pure cgroup v2 host"
	cfg '.linux.resources.unified = {"memory.max": "67108864"} | .process.args = ["true"]'
	run rt create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	if is_ocirun; then
		[[ "$output" == *"linux.resources.unified"* ]]
	fi
	run rt list -q
	[ -z "$output" ]
	no_cgroup_left
}
