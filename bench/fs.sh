#!/bin/bash
# fs.sh — the filesystem's figures (SPEC §6): median latency of reading
# `state`, time to list 1,000 containers, the daemon's RSS with 1,000
# containers, and the lifecycle through ctl against ocirun's own.
#
#   bench/fs.sh [--containers N] [--runs N]
#
# A benchmark, not a test: it prints figures and never fails on them.  Run
# as root.  Needs python3 (for the in-process read and listing timings) and
# hyperfine.  Everything it makes (mount, state root, containers) is removed
# at the end, also when interrupted.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${OCIFS_BUILD:=$REPO_DIR/build}"
OCIFS="$OCIFS_BUILD/fs/ocifs"
OCIRUN="$OCIFS_BUILD/runtime/ocirun"
SUBREAPER="$OCIFS_BUILD/tests/subreaper"
n=1000
runs=50

while [ $# -gt 0 ]; do
	case "$1" in
	--containers) n="$2"; shift 2 ;;
	--runs) runs="$2"; shift 2 ;;
	*) echo "usage: $0 [--containers N] [--runs N]" >&2; exit 2 ;;
	esac
done
for b in "$OCIFS" "$OCIRUN" "$SUBREAPER"; do
	[ -x "$b" ] || { echo "fs.sh: $b is missing: ninja -C $OCIFS_BUILD" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "fs.sh: python3 is missing" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "fs.sh: hyperfine is missing" >&2; exit 1; }

work="$(mktemp -d /tmp/ocifs-fsbench.XXXXXX)"
root="$work/root" mnt="$work/mnt" sleeper="$work/sleeper" trueb="$work/true"
mkdir -p "$root" "$mnt"
daemon=""

cleanup() {
	set +e
	[ -n "$daemon" ] && { fusermount3 -u "$mnt" 2>/dev/null; kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; }
	for id in $("$OCIRUN" --root "$root" list -q 2>/dev/null); do
		"$OCIRUN" --root "$root" delete --force "$id" >/dev/null 2>&1
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$REPO_DIR/examples/make-bundle.sh" "$sleeper" -- sleep 100000 >/dev/null
"$REPO_DIR/examples/make-bundle.sh" "$trueb" -- /bin/true >/dev/null

echo "== $n created containers (ocirun create)"
start=$EPOCHREALTIME
for ((i = 0; i < n; i++)); do
	"$OCIRUN" --root "$root" create --bundle "$sleeper" "c$i" </dev/null >/dev/null 2>&1
done
echo "created in $(python3 -c "print(round($EPOCHREALTIME - $start, 1))") s"

"$OCIFS" -f --root "$root" "$mnt" 2>"$work/ocifs.log" &
daemon=$!
for ((i = 0; i < 100; i++)); do mountpoint -q "$mnt" && break; sleep 0.05; done

python3 - "$mnt" "$runs" <<'PY'
import os, statistics, sys, time
mnt, runs = sys.argv[1], int(sys.argv[2])

def median_us(fn, k):
    t = []
    for _ in range(k):
        a = time.perf_counter_ns(); fn(); t.append(time.perf_counter_ns() - a)
    return statistics.median(t) / 1000

def read_state():
    fd = os.open(f"{mnt}/c0/state", os.O_RDONLY)
    while os.read(fd, 65536):
        pass
    os.close(fd)

median_us(read_state, 50)                      # warm up
print(f"cat state (open+read+close), median of 2000: {median_us(read_state, 2000):.0f} us")
ls = lambda: os.listdir(mnt)
print(f"entries in the root: {len(os.listdir(mnt))}")
print(f"list the root, median of {runs}: {median_us(ls, runs) / 1000:.1f} ms")
PY
rss=$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status")
echo "daemon RSS with $n containers: $((rss / 1024)) MiB ($rss KiB)"

echo "== removing the $n containers"
for ((i = 0; i < n; i++)); do
	"$OCIRUN" --root "$root" delete --force "c$i" >/dev/null 2>&1
done

echo "== lifecycle of a /bin/true container: ctl vs ocirun ($runs runs each)"
fs_cycle="echo 'create fsb $trueb' > $mnt/ctl && echo start > $mnt/fsb/ctl \
 && until grep -qx stopped $mnt/fsb/status; do :; done && echo delete > $mnt/fsb/ctl"
cli_cycle="$OCIRUN --root $root create --bundle $trueb clib </dev/null >/dev/null 2>&1 \
 && $OCIRUN --root $root start clib && until $OCIRUN --root $root state clib \
 | grep -q '\"status\": *\"stopped\"'; do :; done && $OCIRUN --root $root delete clib"
"$SUBREAPER" hyperfine --runs "$runs" --warmup 3 --export-json "$work/fs.json" \
	-n ctl "$fs_cycle" -n ocirun "$cli_cycle" >&2
python3 - "$work/fs.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
for k in ("ctl", "ocirun"):
    print(f"{k:7s} mean {r[k]['mean']*1000:6.2f} ms  median {r[k]['median']*1000:6.2f} ms")
print(f"ctl/ocirun  {r['ctl']['mean']/r['ocirun']['mean']:.2f}x (mean), "
      f"{r['ctl']['median']/r['ocirun']['median']:.2f}x (median)  (SPEC target: at most 1.1x)")
PY
