#!/usr/bin/env bats
# Root filesystem and mounts (config.md "Root", "Mounts"; config-linux.md
# "Default Filesystems", "Masked Paths", "Readonly Paths", "Rootfs Mount
# Propagation", "Sysctl"): every test looks at the result from inside the
# container, or at the host after the container ran.

load helpers

setup() {
	setup_bundle
	HOSTDIR="$(mktemp -d /tmp/ocifs-mnt.XXXXXX)"
}

teardown() {
	teardown_bundle
	[ -n "${HOSTDIR:-}" ] && rm -rf "$HOSTDIR"
	return 0
}

# Runs the container with args "$@" in the foreground (its output is $output
# under `run`).
run_ct() {
	cfg --argjson a "$(jq -cn '$ARGS.positional' --args -- "$@")" '.process.args = $a'
	rt run --bundle "$BUNDLE" "$CID"
}

# The /proc/mounts line of mount point $2 in the output $1.
mounts_line() {
	echo "$1" | awk -v mp="$2" '$2 == mp' | tail -n 1
}

@test "mounts: applied in listed order (the later mount wins)" {
	mkdir -p "$HOSTDIR/a" "$HOSTDIR/b"
	echo first >"$HOSTDIR/a/id"
	echo second >"$HOSTDIR/b/id"
	cfg --arg a "$HOSTDIR/a" --arg b "$HOSTDIR/b" '.mounts += [
		{"destination": "/mnt", "type": "bind", "source": $a, "options": ["bind"]},
		{"destination": "/mnt", "type": "bind", "source": $b, "options": ["bind"]}]'
	run run_ct cat /mnt/id
	[ "$status" -eq 0 ]
	[ "$output" = "second" ]
}

@test "mounts: a bind mount shares files with the host" {
	echo from-host >"$HOSTDIR/in"
	cfg --arg d "$HOSTDIR" '.mounts += [
		{"destination": "/mnt", "type": "bind", "source": $d, "options": ["rbind", "rw"]}]'
	run run_ct sh -c 'cat /mnt/in && echo from-container > /mnt/out'
	[ "$status" -eq 0 ]
	[ "$output" = "from-host" ]
	[ "$(cat "$HOSTDIR/out")" = "from-container" ]
}

@test "mounts: a read-only bind mount refuses writes" {
	cfg --arg d "$HOSTDIR" '.mounts += [
		{"destination": "/mnt", "type": "bind", "source": $d, "options": ["bind", "ro"]}]'
	run run_ct touch /mnt/out
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$HOSTDIR/out" ]
}

@test "mounts: tmpfs with size and mode options" {
	# A destination that does not exist yet is created (runc 1.1 would
	# chmod an existing directory back to its old mode after the mount).
	cfg '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "size=1m", "mode=700"]}]'
	run run_ct sh -c 'cat /proc/mounts; stat -c %a /scratch'
	[ "$status" -eq 0 ]
	local line
	line="$(mounts_line "$output" /scratch)"
	echo "$line"
	[[ "$line" == "tmpfs /scratch tmpfs "* ]]
	[[ "$line" == *size=1024k* ]]
	[[ "$line" == *mode=700* ]]
	[[ "$line" == *nosuid* ]]
	[[ "$line" == *nodev* ]]
	[ "$(echo "$output" | tail -n 1)" = "700" ]
}

@test "mounts: a read-only root refuses writes" {
	cfg '.root.readonly = true'
	run run_ct touch /x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$BUNDLE/rootfs/x" ]
}

@test "mounts: a writable root accepts writes" {
	cfg '.root.readonly = false'
	run run_ct touch /x
	[ "$status" -eq 0 ]
	[ -e "$BUNDLE/rootfs/x" ]
}

@test "mounts: a masked path reads empty" {
	[ -s "$BUNDLE/rootfs/etc/hostname" ]
	cfg '.linux.maskedPaths += ["/etc/hostname", "/etc/does-not-exist"]'
	run run_ct sh -c 'wc -c < /etc/hostname; ls /proc/acpi 2>/dev/null | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0" ]
	[ "${lines[1]}" = "0" ]
}

@test "mounts: a read-only path refuses writes" {
	cfg '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"}]
		| .linux.readonlyPaths += ["/mnt"]'
	run run_ct sh -c 'touch /mnt/x; echo "rc=$?"; cat /proc/mounts'
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "rc=1" ] || [ "${lines[0]}" = "rc=1" ]
	[[ "$output" == *"Read-only file system"* ]]
	local line
	line="$(mounts_line "$output" /mnt)"
	[[ "$line" == *" ro,"* ]]
	# The default read-only paths are read-only too.
	line="$(mounts_line "$output" /proc/sys)"
	[[ "$line" == *" ro,"* ]]
}

@test "mounts: the default filesystems are mounted" {
	run run_ct cat /proc/mounts
	[ "$status" -eq 0 ]
	[[ "$(mounts_line "$output" /proc)" == *" proc "* ]]
	[[ "$(mounts_line "$output" /sys)" == *" sysfs ro,"* ]]
	[[ "$(mounts_line "$output" /dev)" == *" tmpfs "* ]]
	[[ "$(mounts_line "$output" /dev/pts)" == *" devpts "* ]]
	[[ "$(mounts_line "$output" /dev/shm)" == *" tmpfs "* ]]
	[[ "$(mounts_line "$output" /dev/mqueue)" == *" mqueue "* ]]
}

@test "mounts: --no-pivot runs the container in its rootfs" {
	cfg '.process.args = ["sh", "-c", "test -x /bin/busybox && cat /etc/hostname && test ! -e /work"]'
	run rt run --no-pivot --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "ocifs" ]
}

# A symlink in the rootfs that points outside it must be resolved inside the
# rootfs when it is used as a mount destination (no mkdir or mount on the
# host's path).
check_symlink_destination() {
	local target="$1"
	mkdir -p "$HOSTDIR/src" "$HOSTDIR/target"
	echo marker >"$HOSTDIR/src/marker"
	ln -s "$target" "$BUNDLE/rootfs/evil"
	cfg --arg s "$HOSTDIR/src" '.mounts += [
		{"destination": "/evil/sub", "type": "bind", "source": $s, "options": ["bind"]},
		{"destination": "/evil/tmp", "type": "tmpfs", "source": "tmpfs"}]'
	run run_ct cat /evil/sub/marker
	echo "$output"
	# The host's target directory was neither written to nor mounted on.
	[ -z "$(ls -A "$HOSTDIR/target")" ]
	! grep -q " $HOSTDIR/target" /proc/self/mountinfo
	[ "$status" -eq 0 ]
	[ "$output" = "marker" ]
}

@test "mounts: an absolute symlink in the rootfs cannot send a mount outside" {
	check_symlink_destination "$HOSTDIR/target"
	# It landed inside the rootfs, where the symlink resolves from its root.
	[ -d "$BUNDLE/rootfs$HOSTDIR/target/sub" ]
}

@test "mounts: a relative symlink in the rootfs cannot send a mount outside" {
	check_symlink_destination "../../../../../../../../..$HOSTDIR/target"
	[ -d "$BUNDLE/rootfs$HOSTDIR/target/sub" ]
}

# The line of the container's root in its /proc/self/mountinfo (the last
# mount on "/").
root_mountinfo() {
	run_ct cat /proc/self/mountinfo | awk '$5 == "/"' | tail -n 1
}

@test "mounts: rootfsPropagation private" {
	cfg '.linux.rootfsPropagation = "private"'
	run root_mountinfo
	echo "$output"
	[ -n "$output" ]
	[[ "$output" != *shared:* ]]
	[[ "$output" != *master:* ]]
}

@test "mounts: rootfsPropagation shared" {
	is_ocirun || skip "runc 1.1 leaves the root private (crun makes it shared)"
	cfg '.linux.rootfsPropagation = "shared"'
	run root_mountinfo
	echo "$output"
	[ -n "$output" ]
	[[ "$output" == *shared:* ]]
}

@test "mounts: sysctl is applied in the container's namespaces" {
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || skip "the host forwards already"
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096"}'
	run run_ct cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1" ]
	[ "${lines[1]}" = "4096" ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
	[ "$(cat /proc/sys/kernel/msgmax)" != 4096 ]
}

@test "mounts: hostname" {
	cfg '.hostname = "box1"'
	run run_ct hostname
	[ "$status" -eq 0 ]
	[ "$output" = "box1" ]
}

@test "mounts: domainname" {
	is_ocirun || skip "runc 1.1 ignores domainname"
	cfg '.hostname = "box1" | .domainname = "example.test"'
	run run_ct sh -c 'hostname; cat /proc/sys/kernel/domainname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "box1" ]
	[ "${lines[1]}" = "example.test" ]
}
