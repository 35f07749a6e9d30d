#!/bin/bash
# podman.sh — `podman run --rm IMG true` with ocirun, runc and crun.
#
#   bench/podman.sh [--runs N] [--warmup N]
#
# A benchmark, not a test: it prints figures and never fails on them.
# podman (4.3, through conmon) runs a busybox image imported from the
# project's demo rootfs, with its storage, run and tmp directories and its
# containers.conf in a temporary directory (network none, cgroupfs, file
# events, the ulimits this host allows), once per runtime, under hyperfine
# in the same run; it prints mean/median and the ratios ocirun/runc and
# ocirun/crun.  As in bench/lifecycle.sh, crun's whole hyperfine run happens
# in a private mount namespace where /sys/fs/cgroup/unified is unmounted
# (crun 1.8 refuses hybrid hosts); podman and the other two see the host as
# it is.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${OCIFS_BUILD:=$REPO_DIR/build}"
: "${OCIRUN:=$OCIFS_BUILD/runtime/ocirun}"
runs=30
warmup=3
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs="$2"; shift 2 ;;
	--warmup) warmup="$2"; shift 2 ;;
	*) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
for t in podman hyperfine jq; do
	command -v "$t" >/dev/null || { echo "podman.sh: $t is missing" >&2; exit 1; }
done

W="$(mktemp -d /tmp/ocifs-bench-podman.XXXXXX)"
# podman (cgroupfs) makes libpod_parent/conmon cgroups of its own: remove
# them afterwards unless they were there before
had_libpod_parent=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -name libpod_parent | wc -l)
had_run_containers=$([ -d /run/containers ] && echo 1 || echo 0)
had_var_lib_containers=$([ -d /var/lib/containers ] && echo 1 || echo 0)
cleanup() {
	podman rm -a -f -t 0 >/dev/null 2>&1 || true
	podman system reset -f >/dev/null 2>&1 || true
	rm -rf "$W"
	if [ "$had_libpod_parent" = 0 ]; then
		for d in /sys/fs/cgroup/*/libpod_parent; do
			rmdir "$d/conmon" "$d" 2>/dev/null || true
		done
	fi
	if [ "$had_run_containers" = 0 ]; then
		rm -rf /run/containers # netavark leaves its ipam.db there
	fi
	if [ "$had_var_lib_containers" = 0 ]; then
		rm -rf /var/lib/containers # the image library's blob-info cache
	fi
}
trap cleanup EXIT

cat >"$W/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$W/libpod"
runtime_supports_json = ["ocirun", "runc", "crun"]
EOF
cat >"$W/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$W/storage"
runroot = "$W/run"
EOF
export CONTAINERS_CONF="$W/containers.conf" CONTAINERS_STORAGE_CONF="$W/storage.conf"
"$REPO_DIR/examples/make-bundle.sh" "$W/bundle" >/dev/null
tar -C "$W/bundle/rootfs" -cf "$W/rootfs.tar" .
podman import -q "$W/rootfs.tar" localhost/ocifs-bench:latest >/dev/null
img=localhost/ocifs-bench:latest

declare -A rt=([ocirun]="$OCIRUN" [runc]="$(command -v runc || true)" [crun]="$(command -v crun || true)")
for name in ocirun runc crun; do
	path="${rt[$name]}"
	[ -n "$path" ] || { echo "podman.sh: $name is missing, skipped" >&2; continue; }
	wrap=""
	if [ "$name" = crun ] && mountpoint -q /sys/fs/cgroup/unified; then
		wrap="unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec \"\$@\"' sh"
	fi
	cmd="podman --runtime $path run --rm $img true"
	if ! eval "$wrap $cmd" >/dev/null 2>&1; then
		echo "podman.sh: $name fails a smoke run, skipped" >&2
		continue
	fi
	eval "$wrap" hyperfine -N --style basic --runs "$runs" --warmup "$warmup" \
		--export-json "$W/$name.json" "'$cmd'" >/dev/null
	jq -r --arg n "$name" '.results[0] | "\($n) mean \(.mean * 1000 | floor) ms, median \(.median * 1000 | floor) ms, stddev \(.stddev * 1000 | floor) ms"' "$W/$name.json"
done

ratio() {
	[ -f "$W/$1.json" ] && [ -f "$W/$2.json" ] || return 0
	jq -rn --slurpfile a "$W/$1.json" --slurpfile b "$W/$2.json" --arg x "$1" --arg y "$2" \
		'"\($x)/\($y): mean \(($a[0].results[0].mean / $b[0].results[0].mean * 100 | floor) / 100)x, median \(($a[0].results[0].median / $b[0].results[0].median * 100 | floor) / 100)x"'
}
ratio ocirun runc
ratio ocirun crun
