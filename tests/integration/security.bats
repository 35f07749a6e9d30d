#!/usr/bin/env bats
# What a container can reach of the runtime (SPEC section 6, security):
# the runtime's binary through /proc/PID/exe (CVE-2019-5736) and the
# runtime's fds and memory through the /proc of its init.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "security: the init runs from a sealed copy of the runtime, not the host's binary" {
	is_ocirun || skip "runc 1.1 shows its init's exe as /"
	cfg '.process.args = ["true"]'
	create_ctr
	pid="$(ctr_pid "$CID")"
	run readlink "/proc/$pid/exe"
	echo "$output"
	[[ "$output" == /memfd:* ]]
	# nothing can write it (sealed; and busy while it runs)
	run sh -c "echo x >> /proc/$pid/exe"
	echo "$output"
	[ "$status" -ne 0 ]
	# the host's binary is not what runs
	[ "$(stat -L -c %i "/proc/$pid/exe")" != "$(stat -c %i "$OCIRUN")" ]
}

@test "security: before its execve the init is not dumpable (its /proc belongs to root)" {
	chmod 0755 "$BUNDLE"
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))
		| .process.args = ["sleep", "100"]'
	create_ctr
	pid="$(ctr_pid "$CID")"
	# a dumpable process in that user namespace would own its /proc files
	# as the container's root, host uid 100000
	[ "$(stat -c %u "/proc/$pid/fd")" = 0 ]
	rt start "$CID"
	# after the execve it is an ordinary process of the container again
	wait_status "$CID" running
	[ "$(stat -c %u "/proc/$pid/fd")" = 100000 ]
}
