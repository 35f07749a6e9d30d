#!/bin/bash
# demo.sh — build ocifs and run a busybox container through `ocirun run`.
#
#   examples/demo.sh            (as root, after examples/setup.sh)
#
# Builds the project (meson setup build, ninja -C build), makes the demo
# bundle in examples/bundle with examples/make-bundle.sh, runs a container
# that prints what it sees from inside (hostname, its pid, the kernel, its
# user, its root directory) and reports the container's exit status.
#
# Environment: OCIRUN   the runtime to use (default build/runtime/ocirun;
#                       OCIRUN=/usr/sbin/runc shows the same demo on runc)
#              OCIFS_BUILD  build directory (default build)
#
# The filesystem half of ocifs (the FUSE mount in which every container is a
# directory, SPEC §5) comes with a later issue; this demo does not mount
# anything yet and will grow an `ocifs` part then.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${OCIFS_BUILD:-$repo/build}"
ocirun="${OCIRUN:-$build/runtime/ocirun}"
bundle="$repo/examples/bundle"
id=ocifs-demo

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (containers need it): sudo $0" >&2
	exit 1
fi

echo "== build"
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$repo"
fi
ninja -C "$build"

echo "== bundle"
"$repo/examples/make-bundle.sh" "$bundle" -- sh -c '
	echo "hostname: $(hostname)"
	echo "my pid:   $$"
	echo "kernel:   $(uname -sr)"
	echo "user:     $(id)"
	echo "root dir: $(ls / | tr "\n" " ")"
	echo "pids:     $(cd /proc && echo [0-9]*)"'

echo "== $ocirun run --bundle $bundle $id"
# a container left over from an interrupted demo would block the id
"$ocirun" delete --force "$id" >/dev/null 2>&1 || true
set +e
"$ocirun" run --bundle "$bundle" "$id" </dev/null
status=$?
set -e
echo "== the container exited with status $status"
exit "$status"
