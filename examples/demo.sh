#!/bin/bash
# demo.sh — build ocifs, mount it, and run a busybox container through it.
#
#   examples/demo.sh [--keep]     (as root, after examples/setup.sh)
#
# Builds the project (meson setup build, ninja -C build), makes the demo
# bundle in examples/bundle with examples/make-bundle.sh, mounts the ocifs
# filesystem (state root /run/ocifs-demo, mount point /tmp/ocifs-demo), then
# drives a container with nothing but files:
#   echo "create demo BUNDLE" > MNT/ctl; cat MNT/demo/state;
#   echo start > MNT/demo/ctl; inotifywait MNT/demo/status until stopped;
#   cat MNT/demo/log; echo delete > MNT/demo/ctl
# and finally runs the same bundle once through `ocirun run`.  The mount is
# removed at the end unless --keep is given (then: fusermount3 -u MNT).
#
# Environment: OCIFS_BUILD  build directory (default build)
#              OCIFS_MNT    mount point (default /tmp/ocifs-demo)
#              OCIFS_ROOT   state root (default /run/ocifs-demo)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${OCIFS_BUILD:-$repo/build}"
mnt="${OCIFS_MNT:-/tmp/ocifs-demo}"
root="${OCIFS_ROOT:-/run/ocifs-demo}"
bundle="$repo/examples/bundle"
keep=0
[ "${1:-}" = --keep ] && keep=1

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (containers need it): sudo $0" >&2
	exit 1
fi

echo "== build"
[ -f "$build/build.ninja" ] || meson setup "$build" "$repo"
ninja -C "$build"
ocirun="$build/runtime/ocirun"

echo "== bundle"
"$repo/examples/make-bundle.sh" "$bundle" -- sh -c '
	echo "hostname: $(hostname)"
	echo "my pid:   $$"
	echo "kernel:   $(uname -sr)"
	echo "user:     $(id)"
	echo "root dir: $(ls / | tr "\n" " ")"
	echo "pids:     $(cd /proc && echo [0-9]*)"'

daemon=""
cleanup() {
	set +e
	if [ "$keep" = 0 ] && mountpoint -q "$mnt"; then
		fusermount3 -u "$mnt"
		[ -n "$daemon" ] && wait "$daemon" 2>/dev/null
	fi
}
trap cleanup EXIT

echo "== mount: ocifs --root $root $mnt"
mkdir -p "$mnt"
mountpoint -q "$mnt" && fusermount3 -u "$mnt"
"$build/fs/ocifs" -f --root "$root" "$mnt" &
daemon=$!
for _ in $(seq 100); do mountpoint -q "$mnt" && break; sleep 0.05; done
mountpoint -q "$mnt" || { echo "demo.sh: ocifs did not mount $mnt" >&2; exit 1; }
# a container left over from an interrupted demo would block the id
"$ocirun" --root "$root" delete --force demo >/dev/null 2>&1 || true

echo "== echo \"create demo $bundle\" > $mnt/ctl"
echo "create demo $bundle" >"$mnt/ctl"
echo "\$ ls $mnt/demo"
ls "$mnt/demo"
echo "\$ cat $mnt/demo/state"
cat "$mnt/demo/state"
echo "== echo start > $mnt/demo/ctl, then wait for status 'stopped'"
echo start >"$mnt/demo/ctl"
until [ "$(cat "$mnt/demo/status")" = stopped ]; do
	inotifywait -qq -t 1 -e modify "$mnt/demo/status" || true
done
echo "\$ cat $mnt/demo/log"
cat "$mnt/demo/log"
echo "exitStatus: $(jq .exitStatus "$mnt/demo/state")"
echo delete >"$mnt/demo/ctl"
echo "== deleted; $mnt now holds: $(ls "$mnt" | tr '\n' ' ')"

echo "== the same bundle through ocirun: $ocirun run --bundle $bundle demo-run"
"$ocirun" --root "$root" delete --force demo-run >/dev/null 2>&1 || true
"$ocirun" --root "$root" run --bundle "$bundle" demo-run </dev/null
echo "== done"
[ "$keep" = 1 ] && echo "the mount stays: ls $mnt; fusermount3 -u $mnt to remove it"
exit 0
