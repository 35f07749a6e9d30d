#!/bin/bash
# setup.sh — install the Debian 12 packages ocifs needs to build, run its
# demo, its tests and its benchmarks.  Run as root; non-interactive.
set -euo pipefail

packages=(
	# build
	meson ninja-build pkg-config gcc libc6-dev clang
	libfuse3-dev libjansson-dev libcap-dev libseccomp-dev
	# run: FUSE, the busybox bundle
	fuse3 busybox-static
	# tests and benchmarks: runc/crun to compare against
	bats jq inotify-tools runc crun hyperfine time
)

if [ "$(id -u)" -ne 0 ]; then
	echo "setup.sh: run as root (sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
