#!/usr/bin/env bats
# Namespaces (config-linux.md "Namespaces", "User namespace mappings"):
# each test looks at the namespace from inside the container and compares it
# with the host's.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
	[ -n "${HOSTDIR:-}" ] && rm -rf "$HOSTDIR"
	return 0
}

# Creates and starts container $1 in the background; its stdio goes to
# $BUNDLE/$1.out (fd 3 closed so that bats does not wait for it).


# "ipc:[4026531839]" for namespace $1 of the calling process, inside the
# container when run there.
ns_of_container() {
	cfg --arg ns "$1" '.process.args = ["readlink", "/proc/self/ns/" + $ns]'
	rt run --bundle "$BUNDLE" "$CID"
}

@test "namespaces: pid: the container process is pid 1" {
	cfg '.process.args = ["sh", "-c", "echo $$"]'
	run rt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "1" ]
}

@test "namespaces: network: a new network namespace has only lo" {
	cfg '.process.args = ["ls", "/sys/class/net"]'
	run rt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "lo" ]
	run ns_of_container net
	[ "$status" -eq 0 ]
	[ "$output" != "$(readlink /proc/self/ns/net)" ]
}

@test "namespaces: uts: the hostname comes from the config" {
	cfg '.hostname = "ns-uts-test" | .process.args = ["hostname"]'
	run rt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "ns-uts-test" ]
	[ "$(hostname)" != "ns-uts-test" ]
}

@test "namespaces: ipc: a new ipc namespace" {
	run ns_of_container ipc
	[ "$status" -eq 0 ]
	[[ "$output" == ipc:* ]]
	[ "$output" != "$(readlink /proc/self/ns/ipc)" ]
}

@test "namespaces: mount: a new mount namespace" {
	run ns_of_container mnt
	[ "$status" -eq 0 ]
	[[ "$output" == mnt:* ]]
	[ "$output" != "$(readlink /proc/self/ns/mnt)" ]
}

@test "namespaces: without a pid namespace the container shares the host's" {
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	run ns_of_container pid
	[ "$status" -eq 0 ]
	[ "$output" = "$(readlink /proc/self/ns/pid)" ]
}

@test "namespaces: user: uid/gid mappings and file ownership on the host" {
	HOSTDIR="$(mktemp -d /tmp/ocifs-userns.XXXXXX)"
	chmod 0777 "$HOSTDIR"
	# The container's root (host uid 100000) must be able to reach the rootfs.
	chmod 0755 "$BUNDLE"
	cfg --arg d "$HOSTDIR" '
		.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))
		| .mounts += [{"destination": "/mnt", "type": "bind", "source": $d,
			       "options": ["rbind", "rw"]}]
		| .process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /mnt/made-inside"]'
	run rt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed -n 1p | awk '{print $1, $2, $3}')" = "0 100000 65536" ]
	[ "$(echo "$output" | sed -n 2p | awk '{print $1, $2, $3}')" = "0 100000 65536" ]
	[ "$(echo "$output" | sed -n 3p)" = "0" ]
	[ "$(stat -c '%u:%g' "$HOSTDIR/made-inside")" = "100000:100000" ]
}

@test "namespaces: cgroup: a new cgroup namespace" {
	cfg '.linux.namespaces += [{"type": "cgroup"}]'
	run ns_of_container cgroup
	[ "$status" -eq 0 ]
	[[ "$output" == cgroup:* ]]
	[ "$output" != "$(readlink /proc/self/ns/cgroup)" ]
}

@test "namespaces: time: a new time namespace" {
	[ -e /proc/self/ns/time ] || skip "the kernel has no time namespaces"
	is_ocirun || skip "runc 1.1 does not support time namespaces"
	cfg '.linux.namespaces += [{"type": "time"}]'
	run ns_of_container time
	[ "$status" -eq 0 ]
	[[ "$output" == time:* ]]
	[ "$output" != "$(readlink /proc/self/ns/time)" ]
}

@test "namespaces: joining a namespace by path" {
	cfg '.process.args = ["sleep", "1000"]'
	start_bg "$CID"
	local pid_a
	pid_a="$(init_pid "$CID")"
	local want
	want="$(readlink "/proc/$pid_a/ns/net")"
	[ "$want" != "$(readlink /proc/self/ns/net)" ]

	cfg --arg p "/proc/$pid_a/ns/net" '
		.linux.namespaces |= map(if .type == "network" then .path = $p else . end)
		| .process.args = ["readlink", "/proc/self/ns/net"]'
	run rt run --bundle "$BUNDLE" "$CID-b"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

@test "namespaces: a duplicate namespace type is refused" {
	is_ocirun || skip "runc accepts duplicate namespace types"
	cfg '.linux.namespaces += [{"type": "ipc"}] | .process.args = ["true"]'
	run rt create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *namespace* ]]
	run rt list -q
	[ -z "$output" ]
}

@test "namespaces: an unknown namespace type is refused" {
	cfg '.linux.namespaces += [{"type": "bogus"}] | .process.args = ["true"]'
	run rt create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	run rt list -q
	[ -z "$output" ]
}
