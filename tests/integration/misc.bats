#!/usr/bin/env bats
# The informational commands: features, spec, list, ps.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
	return 0
}

@test "features: a valid features document" {
	run rt features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '
		(.ociVersionMin | type == "string")
		and (.ociVersionMax | test("^1\\.[0-9]+\\.[0-9]+"))
		and (.linux.namespaces | index("pid") != null)
		and (.linux.namespaces | index("mount") != null)
		and (.hooks | index("poststop") != null)
		and (.mountOptions | index("rbind") != null)
		and (.linux.capabilities | index("CAP_SYS_ADMIN") != null)'
}

@test "features: ocirun's document is truthful about this build" {
	is_ocirun || skip "ocirun's own features"
	run rt features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '
		.ociVersionMax == "1.3.0"
		and (.linux.namespaces | sort) == (["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"])
		and .linux.cgroup.v1 == true and .linux.cgroup.v2 == true
		and .linux.cgroup.systemd == false
		and .linux.seccomp.enabled == true
		and (.linux.seccomp.actions | length) == 9
		and (.linux.seccomp.archs | index("SCMP_ARCH_X86_64") != null)
		and .linux.apparmor.enabled == false
		and .linux.selinux.enabled == false
		and (.annotations["io.github.ocifs.version"] | type == "string")'
	# Every capability that both libcap and the kernel know is listed
	# (CAP_CHOWN = 0 ... cap_last_cap), and no more.
	local last n
	last="$(cat /proc/sys/kernel/cap_last_cap)"
	n="$(echo "$output" | jq '.linux.capabilities | length')"
	[ "$n" -le $((last + 1)) ]
	[ "$n" -ge 38 ]
	echo "$output" | jq -e '.linux.capabilities[0] == "CAP_CHOWN"'
}

@test "spec: writes a config.json that create accepts" {
	rm "$BUNDLE/config.json"
	(cd "$BUNDLE" && rt spec)
	[ -f "$BUNDLE/config.json" ]
	jq -e '.process.args == ["sh"] and .root.path == "rootfs" and (.linux.namespaces | length) >= 5' \
		"$BUNDLE/config.json"
	cfg '.process.terminal = false | .process.args = ["sh", "-c", "hostname; echo $$"]'
	run rt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "1" ]
}

@test "spec: refuses to overwrite an existing config.json" {
	cd "$BUNDLE"
	run rt spec
	cd - >/dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]] || ! is_ocirun
	[ "$(jq -r '.process.args[0]' "$BUNDLE/config.json")" = sh ]
}

@test "spec: --rootless adds a user namespace mapping the caller" {
	rm "$BUNDLE/config.json"
	(cd "$BUNDLE" && rt spec --rootless)
	jq -e --argjson u "$(id -u)" --argjson g "$(id -g)" '
		(.linux.namespaces | map(.type) | index("user") != null)
		and (.linux.namespaces | map(.type) | index("network") == null)
		and .linux.uidMappings == [{"containerID": 0, "hostID": $u, "size": 1}]
		and .linux.gidMappings == [{"containerID": 0, "hostID": $g, "size": 1}]' \
		"$BUNDLE/config.json"
}

@test "list: shows containers with their status" {
	cfg '.process.args = ["sleep", "1000"]'
	rt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 3>&-
	run rt list
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ID* ]]
	[[ "$output" == *"$CID"*created* ]]

	rt start "$CID"
	run rt list
	[[ "$output" == *"$CID"*running* ]]

	run rt list -q
	[ "$output" = "$CID" ]

	run rt list --format json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].id')" = "$CID" ]
	[ "$(echo "$output" | jq -r '.[0].status')" = running ]
	[ "$(echo "$output" | jq -r '.[0].pid')" = "$(rt state "$CID" | jq -r .pid)" ]
	[ "$(echo "$output" | jq -r '.[0].bundle')" = "$BUNDLE" ]
}

@test "list: an empty root lists nothing" {
	run rt list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run rt list --format json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq 'length')" -eq 0 ]
}

@test "ps: lists the container's processes" {
	cfg '.process.args = ["sh", "-c", "sleep 1000 & exec sleep 1001"]'
	start_bg "$CID"
	local pid
	pid="$(rt state "$CID" | jq -r .pid)"
	sleep 0.2
	run rt ps --format json "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq 'length')" -eq 2 ]
	echo "$output" | jq -e --argjson p "$pid" 'index($p) != null'

	run rt ps "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[[ "$output" == *" $pid "* ]]
}
