# Shared set-up for podman.bats and containerd.bats: a real container engine
# driving ocirun, isolated in a temporary directory.
#
#   engine_image_tar FILE   a one-layer image tarball of the busybox rootfs
#   IMG                     the image name both suites import
#   cgroup_snapshot FILE / cgroup_cleanup FILE
#                  record which top-level cgroups exist before the suite,
#                  and rmdir (deepest first) the empty ones an engine made
#                  for itself (podman's libpod_parent/conmon) afterwards
#   in_pty CMD...  runs CMD under script(1) so it has a terminal; returns
#                  CMD's exit status
#
# The engines run ocirun through a wrapper named "ocirun" (podman picks the
# JSON log format by the runtime's basename) that adds --root, so a test
# never touches the host's default state root.

source "$(dirname "${BASH_SOURCE[0]}")/helpers.bash"

IMG=localhost/ocifs-busybox:test
# An engine test may wait for a stop timeout; bats ends a stuck one.
: "${BATS_TEST_TIMEOUT:=120}"

# engine_wrapper DIR STATE_ROOT: DIR/ocirun execs the ocirun under test with
# --root STATE_ROOT.
engine_wrapper() {
	mkdir -p "$1"
	printf '#!/bin/sh\nexec "%s" --root "%s" "$@"\n' "$OCIRUN" "$2" >"$1/ocirun"
	chmod 755 "$1/ocirun"
}

engine_image_tar() {
	local base
	base="$(_base_bundle)"
	tar -C "$base/rootfs" -cf "$1" .
}

cgroup_snapshot() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d 2>/dev/null | sort >"$1"
}

cgroup_cleanup() {
	local d
	[ -f "$1" ] || return 0
	find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d 2>/dev/null | sort |
		comm -13 "$1" - | while read -r d; do
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		done
	return 0
}

# Unmounts whatever is still mounted under DIR, deepest first.
umount_under() {
	local m
	awk -v d="$1" 'index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

in_pty() {
	local cmd
	printf -v cmd '%q ' "$@"
	script -qec "$cmd" /dev/null </dev/null
}
