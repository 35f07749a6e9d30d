#!/bin/bash
# lifecycle.sh — container lifecycle time and peak RSS: ocirun vs runc vs crun.
#
#   bench/lifecycle.sh [--runs N] [--warmup N] [--out DIR] [--only NAMES]
#
# A benchmark, not a test: it prints figures and never fails on them.
# For each runtime it measures, with hyperfine, the same full lifecycle of a
# busybox `/bin/true` container on the same bundle:
#
#   RT create --bundle B ID && RT start ID
#   && until RT state ID says "stopped"; do :; done && RT delete ID
#
# then prints mean/median per runtime and the ratios ocirun/crun and
# ocirun/runc, and the peak RSS (/usr/bin/time -f %M) of `RT run`.
#
# Environment: OCIRUN (default build/runtime/ocirun), RUNC (runc), CRUN (crun),
# SUBREAPER (default build/tests/subreaper), OCIFS_BUILD (default build).
# Must run as root.  A runtime that is missing, or fails one smoke lifecycle,
# is skipped with a message.
#
# crun 1.8 refuses hybrid cgroup hosts (v1 controllers plus a cgroup2 tree at
# /sys/fs/cgroup/unified).  On such a host crun's whole hyperfine run happens
# in a private mount namespace where /sys/fs/cgroup/unified is unmounted (one
# `unshare -m` around hyperfine, not one per crun call, so that crun is not
# charged for an extra unshare+sh on each of its four calls).  runc and ocirun
# run on the host as it is.  bench/crun-hybrid is the same trick as a wrapper
# for interactive use.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${OCIFS_BUILD:=$REPO_DIR/build}"
: "${OCIRUN:=$OCIFS_BUILD/runtime/ocirun}"
: "${RUNC:=runc}"
: "${CRUN:=crun}"
: "${SUBREAPER:=$OCIFS_BUILD/tests/subreaper}"

runs=50
warmup=3
out=/tmp/ocifs-bench-results
only="ocirun runc crun"

usage() {
	sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs="$2"; shift 2 ;;
	--warmup) warmup="$2"; shift 2 ;;
	--out) out="$2"; shift 2 ;;
	--only) only="$2"; shift 2 ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done

die() {
	echo "lifecycle.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root"
command -v hyperfine >/dev/null || die "hyperfine is missing: apt-get install hyperfine"
command -v jq >/dev/null || die "jq is missing: apt-get install jq"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"

work="$(mktemp -d /tmp/ocifs-bench.XXXXXX)"
mkdir -p "$out"

# Every root dir lives under $work: delete what is left there, then remove it.
cleanup() {
	local name root id
	for name in ocirun runc crun; do
		root="$work/root-$name"
		[ -d "$root" ] || continue
		for id in bench-lifecycle bench-rss bench-smoke; do
			in_env "$name" timeout 10 "$(rt_bin "$name")" --root "$root" \
				delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT

rt_bin() {
	case "$1" in
	ocirun) echo "$OCIRUN" ;;
	runc) echo "$RUNC" ;;
	crun) echo "$CRUN" ;;
	esac
}

# True when crun must be shielded from the hybrid cgroup layout.
hybrid() {
	mountpoint -q /sys/fs/cgroup/unified 2>/dev/null
}

# in_env NAME CMD...: runs CMD where runtime NAME is measured (crun on a
# hybrid host: in a mount namespace without the unified hierarchy).
in_env() {
	local name="$1"
	shift
	if [ "$name" = crun ] && hybrid; then
		unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' sh "$@"
	else
		"$@"
	fi
}

reaper=()
if [ -x "$SUBREAPER" ]; then
	reaper=("$SUBREAPER")
else
	echo "note: $SUBREAPER not built: running without a subreaper" \
		"(exited container inits may stay zombies of pid 1)" >&2
fi

bundle="$work/bundle"
"$REPO_DIR/examples/make-bundle.sh" "$bundle" -- /bin/true >/dev/null

# The lifecycle as one shell command for hyperfine.
lifecycle_cmd() {
	local bin="$1" root="$2" id="$3"
	local rt="'$bin' --root '$root'"
	echo "$rt create --bundle '$bundle' $id </dev/null >/dev/null 2>&1" \
		"&& $rt start $id" \
		"&& until $rt state $id 2>/dev/null | grep -q '\"status\": *\"stopped\"'; do :; done" \
		"&& $rt delete $id"
}

declare -A mean median stddev rss
measured=()

for name in $only; do
	bin="$(rt_bin "$name")"
	[ -n "$bin" ] || die "unknown runtime '$name' (ocirun, runc, crun)"
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "skip $name: $bin not found (not built or not installed)" >&2
		continue
	fi
	bin="$(command -v "$bin")"
	root="$work/root-$name"
	mkdir -p "$root"

	# One smoke lifecycle with a time limit: a runtime that cannot do it is
	# skipped, not measured.
	smoke="$(lifecycle_cmd "$bin" "$root" bench-smoke)"
	rc=0
	in_env "$name" "${reaper[@]}" timeout 20 sh -c "$smoke" >"$work/smoke-$name.log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		if [ "$rc" -eq 124 ]; then
			echo "skip $name: a smoke lifecycle timed out after 20 s" >&2
		else
			echo "skip $name: a smoke lifecycle failed (exit $rc)" >&2
		fi
		sed 's/^/    /' "$work/smoke-$name.log" >&2
		in_env "$name" timeout 10 "$bin" --root "$root" delete --force bench-smoke \
			>/dev/null 2>&1 || true
		continue
	fi

	echo "== $name ($bin): $runs lifecycles" >&2
	json="$out/lifecycle-$name.json"
	in_env "$name" "${reaper[@]}" hyperfine --runs "$runs" --warmup "$warmup" \
		--style basic --command-name "$name" \
		--prepare "'$bin' --root '$root' delete --force bench-lifecycle >/dev/null 2>&1 || true" \
		--export-json "$json" \
		"$(lifecycle_cmd "$bin" "$root" bench-lifecycle)" >&2
	mean[$name]="$(jq '.results[0].mean * 1000' "$json")"
	median[$name]="$(jq '.results[0].median * 1000' "$json")"
	stddev[$name]="$(jq '.results[0].stddev * 1000' "$json")"

	# Peak RSS of `RT run` (KiB): the median of 5 runs that succeeded.
	samples=()
	for _ in 1 2 3 4 5; do
		rm -f "$work/rss"
		if in_env "$name" "${reaper[@]}" timeout 20 /usr/bin/time -o "$work/rss" -f %M \
			"$bin" --root "$root" run --bundle "$bundle" bench-rss \
			</dev/null >/dev/null 2>&1; then
			samples+=("$(tail -n 1 "$work/rss")")
		fi
		in_env "$name" timeout 10 "$bin" --root "$root" delete --force bench-rss \
			>/dev/null 2>&1 || true
	done
	if [ ${#samples[@]} -gt 0 ]; then
		rss[$name]="$(printf '%s\n' "${samples[@]}" | sort -n |
			sed -n "$(((${#samples[@]} + 1) / 2))p")"
	else
		echo "note: $name: \`run\` failed, no peak RSS" >&2
		rss[$name]=n/a
	fi
	measured+=("$name")
done

[ ${#measured[@]} -gt 0 ] || die "no runtime could be measured"

echo
printf '%-8s %12s %12s %10s %14s\n' runtime "mean (ms)" "median (ms)" "sd (ms)" "peak RSS (KiB)"
for name in "${measured[@]}"; do
	printf '%-8s %12.2f %12.2f %10.2f %14s\n' "$name" "${mean[$name]}" \
		"${median[$name]}" "${stddev[$name]}" "${rss[$name]}"
done

ratio() {
	local a="$1" b="$2"
	if [ -n "${mean[$a]:-}" ] && [ -n "${mean[$b]:-}" ]; then
		awk -v a="${mean[$a]}" -v b="${mean[$b]}" -v ma="${median[$a]}" \
			-v mb="${median[$b]}" -v ra="${rss[$a]}" -v rb="${rss[$b]}" -v n="$a/$b" \
			'BEGIN {
				r = (ra + 0 > 0 && rb + 0 > 0) ? sprintf("%.2fx", ra / rb) : "n/a"
				printf "%-13s time %.2fx (mean), %.2fx (median); peak RSS %s\n",
					n, a / b, ma / mb, r }'
	fi
}
echo
ratio ocirun crun
ratio ocirun runc
ratio runc crun
echo
echo "hyperfine JSON: $out/lifecycle-*.json"
