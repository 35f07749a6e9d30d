#!/usr/bin/env bats
# ID-mapped mounts (config.md "Mounts": uidMappings/gidMappings, the "idmap"
# and "ridmap" options).  The container runs in a user namespace mapping its
# root to host uid/gid 100000 (65536 ids).  $HOSTDIR (host root's) holds
# `rootfile` (0:0) and `u1000` (1000:1000): without an ID-mapped mount the
# container sees both as nobody (65534), through one it sees the mapped ids,
# and files it creates land on the host with the mapped owner.

bats_require_minimum_version 1.5.0
load fs_helpers

setup() {
	setup_bundle
	is_ocirun || skip "runc 1.1 does not support idmap/ridmap mounts"
	HOSTDIR="$(mktemp -d /tmp/ocifs-idmap.XXXXXX)"
	chmod 0777 "$HOSTDIR"
	touch "$HOSTDIR/rootfile" "$HOSTDIR/u1000"
	chown 1000:1000 "$HOSTDIR/u1000"
	# The container's root (host uid 100000) must be able to reach the
	# rootfs; it cannot create mount points there, so make them now.
	chmod 0755 "$BUNDLE"
	mkdir -p "$BUNDLE/rootfs/plain" "$BUNDLE/rootfs/mapped" "$BUNDLE/rootfs/rec"
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
}

teardown() {
	[ -n "${MNT:-}" ] && fs_umount
	teardown_bundle
	if [ -n "${HOSTDIR:-}" ]; then
		mountpoint -q "$HOSTDIR/sub" 2>/dev/null && umount "$HOSTDIR/sub"
		rm -rf "$HOSTDIR"
	fi
	return 0
}

# add_mount DEST SOURCE OPTIONS_JSON [EXTRA_JSON]: appends a bind mount.
add_mount() {
	cfg --arg d "$1" --arg s "$2" --argjson o "$3" --argjson x "${4:-{\}}" \
		'.mounts += [{"destination": $d, "type": "bind", "source": $s, "options": $o} + $x]'
}

# Runs `sh -c SCRIPT` in the container; $output is what it printed.
run_sh() {
	cfg --arg s "$1" '.process.args = ["sh", "-c", $s]'
	run --separate-stderr rt run --bundle "$BUNDLE" "$CID"
	echo "status $status; stdout: $output; stderr: $stderr"
}

# Nothing of container $CID is left: no state, no cgroup.
nothing_left() {
	[ -z "$(rt list -q)" ]
	[ ! -e "$ROOT/$CID" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -path "*/ocifs/$CID" 2>/dev/null)" ]
}

@test "idmap: \"idmap\" maps a bind mount with the container's user namespace" {
	add_mount /plain "$HOSTDIR" '["rbind"]'
	add_mount /mapped "$HOSTDIR" '["bind", "idmap"]'
	run_sh 'stat -c %u:%g /plain/rootfile /mapped/rootfile /mapped/u1000 &&
		touch /mapped/made-inside && grep " /mapped " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "65534:65534" ] # the control: not ID-mapped
	[ "${lines[1]}" = "0:0" ]
	[ "${lines[2]}" = "1000:1000" ]
	[[ "${lines[3]}" == *idmapped* ]]
	[ "$(stat -c %u:%g "$HOSTDIR/made-inside")" = "0:0" ]
}

@test "idmap: through the filesystem (ctl create, start), the same mount" {
	fs_require
	fs_mount
	add_mount /mapped "$HOSTDIR" '["bind", "idmap"]'
	cfg '.process.args = ["stat", "-c", "%u:%g", "/mapped/rootfile"]'
	ctl_create "$CID" "$BUNDLE"
	ctl "$CID" start
	fs_wait_status "$CID" stopped
	run -0 fs_read "$CID" log
	[ "$output" = "0:0" ]
}

@test "idmap: a mount's own uidMappings/gidMappings (implying idmap)" {
	# on-disk id 1000 is the container's root (host 100000) on this mount
	add_mount /mapped "$HOSTDIR" '["bind"]' '{
		"uidMappings": [{"containerID": 1000, "hostID": 100000, "size": 1}],
		"gidMappings": [{"containerID": 1000, "hostID": 100000, "size": 1}]}'
	# (nobody may write an inode whose owner is unmapped: write in a
	# directory that on-disk 1000 owns)
	install -d -o 1000 -g 1000 "$HOSTDIR/d1000"
	run_sh 'stat -c %u:%g /mapped/u1000 /mapped/rootfile &&
		touch /mapped/d1000/made-inside'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0:0" ]
	[ "${lines[1]}" = "65534:65534" ] # on-disk 0 is not in this mapping
	[ "$(stat -c %u:%g "$HOSTDIR/d1000/made-inside")" = "1000:1000" ]
}

@test "idmap: \"ridmap\" maps every mount of an rbind tree, \"idmap\" only the top" {
	mkdir "$HOSTDIR/sub"
	mount -t tmpfs -o mode=0755 ocifs-idmap-test "$HOSTDIR/sub"
	touch "$HOSTDIR/sub/subfile"
	add_mount /rec "$HOSTDIR" '["rbind", "ridmap"]'
	add_mount /mapped "$HOSTDIR" '["rbind", "idmap"]'
	run_sh 'stat -c %u:%g /rec/rootfile /rec/sub/subfile /mapped/rootfile /mapped/sub/subfile'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0:0" ]
	[ "${lines[1]}" = "0:0" ]
	[ "${lines[2]}" = "0:0" ]
	[ "${lines[3]}" = "65534:65534" ]
}

@test "idmap: mount flags (ro) still apply to an ID-mapped mount" {
	add_mount /mapped "$HOSTDIR" '["bind", "idmap", "ro"]'
	run_sh 'stat -c %u:%g /mapped/rootfile; touch /mapped/x 2>&1; echo rc=$?'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0:0" ]
	[[ "$output" == *"Read-only file system"* ]]
	[ "${lines[-1]}" != "rc=0" ]
	[ ! -e "$HOSTDIR/x" ]
}

@test "idmap: a filesystem without ID-mapped mounts fails create, naming the mount" {
	mkdir -p "$BUNDLE/rootfs/k"
	add_mount /k /sys/kernel '["bind", "idmap"]'
	run --separate-stderr rt create --bundle "$BUNDLE" "$CID"
	echo "status $status; stderr: $stderr"
	[ "$status" -ne 0 ]
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
	local n
	n="$(jq '.mounts | length - 1' "$BUNDLE/config.json")"
	[[ "$stderr" == *"mounts[$n]: the kernel refuses to ID-map /sys/kernel"* ]]
	nothing_left
}

# refused FILTER WANT: the config edited by FILTER is refused at create with
# one line holding WANT, and nothing is left behind.
refused() {
	cfg "$1"
	run --separate-stderr rt create --bundle "$BUNDLE" "$CID"
	echo "status $status; stderr: $stderr"
	[ "$status" -ne 0 ]
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == *"$2"* ]]
	nothing_left
}

@test "idmap: bad ID-mapped mounts are refused with one line, nothing left" {
	add_mount /mapped "$HOSTDIR" '["bind"]'
	local maps='.mounts[-1].uidMappings = [{"containerID": 0, "hostID": 1, "size": 1}]
		| .mounts[-1].gidMappings = [{"containerID": 0, "hostID": 1, "size": 1}]'
	refused '.mounts[-1].options = ["idmap"] | .mounts[-1].type = "tmpfs"' \
		"must be a bind mount"
	refused '.mounts[-1].options = [] | .mounts[-1].type = "tmpfs" | '"$maps" \
		"must be a bind mount"
	refused '.mounts[-1].type = "bind" | .mounts[-1].options = ["bind"]
		| .mounts[-1].uidMappings[0].size = 0' "uidMappings[0].size: must be an integer"
	refused '.mounts[-1].uidMappings[0].size = 1 | del(.mounts[-1].gidMappings)' \
		"gidMappings: required with uidMappings"
	refused "$maps"' | .linux.namespaces |= map(select(.type != "user"))
		| del(.linux.uidMappings, .linux.gidMappings)' \
		'an ID-mapped mount requires a "user" entry in linux.namespaces'
	refused 'del(.mounts[-1].uidMappings, .mounts[-1].gidMappings)
		| .mounts[-1].options = ["rbind", "ridmap"]' \
		'an ID-mapped mount requires a "user" entry in linux.namespaces'
}
