#!/bin/bash
# run-all.sh — build ocifs and run every test: the unit suite (meson, TAP)
# and the integration suite (bats over tests/integration/*.bats, run under
# tests/subreaper because PID 1 here does not reap orphans).
#
#   tests/run-all.sh [--asan] [--unit-only|--integration-only]
#
#   --asan        also build build-asan with -Db_sanitize=address,undefined
#                 and run the unit suite there (counted like the others)
#   --fuzz[=SECS] also build the libFuzzer harnesses with clang (build-fuzz)
#                 and run each for SECS seconds (default 20) from its seed
#                 corpus; a crash, leak or sanitizer report is one failure
#   OCIRUN        runtime under test for the integration suite (default: the
#                 build's ocirun); OCIRUN=/usr/sbin/runc checks the tests
#   OCIFS_BUILD   build directory (default: build)
#
# Prints every TAP result as it comes, then the failing tests, and ends with
# the line "N passed, N failed[, N skipped]".  Exit status 1 if any failed.
# Run as root (the integration tests create real containers).
set -uo pipefail
shopt -s extglob

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export OCIFS_BUILD="${OCIFS_BUILD:-$REPO_DIR/build}"
asan=0 unit=1 integration=1 fuzz_secs=0
for arg in "$@"; do
	case "$arg" in
	--asan) asan=1 ;;
	--fuzz) fuzz_secs=20 ;;
	--fuzz=+([0-9])) fuzz_secs="${arg#--fuzz=}" ;;
	--unit-only) integration=0 ;;
	--integration-only) unit=0 ;;
	-h | --help)
		sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "run-all.sh: unknown option $arg (try --help)" >&2
		exit 2
		;;
	esac
done

passed=0 failed=0 skipped=0
failures=()
work="$(mktemp -d /tmp/ocifs-run-all.XXXXXX)"
# The integration tests' busybox bundle is built once per run, here.
if [ -z "${OCIFS_TEST_CACHE:-}" ]; then
	export OCIFS_TEST_CACHE="$work/cache"
fi
trap 'rm -rf "$work"' EXIT

fail() { # fail NAME: one failure that is not a TAP result
	failed=$((failed + 1))
	failures+=("$1")
}

# count_tap PREFIX < TAP: adds the results to the totals and sets tap_seen
# to the number of results; missing results (fewer than the plan announced)
# count as failures.
count_tap() {
	local prefix="$1" line plan=-1 seen=0 name
	while IFS= read -r line; do
		case "$line" in
		"not ok "*)
			seen=$((seen + 1))
			name="$(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")"
			if [[ "${line,,}" == *"# todo"* ]]; then
				skipped=$((skipped + 1))
			else
				fail "$prefix$name"
			fi
			;;
		"ok "*)
			seen=$((seen + 1))
			if [[ "${line,,}" == *"# skip"* ]]; then
				skipped=$((skipped + 1))
			else
				passed=$((passed + 1))
			fi
			;;
		1..*)
			plan="${line#1..}"
			plan="${plan%% *}"
			if [ "$plan" = 0 ]; then # "1..0 # SKIP why": one skip
				skipped=$((skipped + 1))
				seen=$((seen + 1))
			fi
			;;
		esac
	done
	if [ "$plan" -gt "$seen" ]; then
		fail "$prefix$((plan - seen)) planned tests did not report (crash or timeout)"
	fi
	tap_seen=$seen
}

# build DIR [MESON-OPTIONS...]: configure if needed, then ninja
build() {
	local dir="$1"
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$REPO_DIR" "$@" || return 1
	fi
	ninja -C "$dir"
}

# unit_suite DIR LABEL: meson's unit suite, counted per TAP result
unit_suite() {
	local dir="$1" label="$2" n i name result rc out
	echo "== unit tests ($label)"
	meson test -C "$dir" --no-rebuild --suite unit --print-errorlogs
	if [ ! -f "$dir/meson-logs/testlog.json" ]; then
		fail "$label: no test log (meson test failed to run)"
		return
	fi
	n="$(wc -l <"$dir/meson-logs/testlog.json")"
	for ((i = 0; i < n; i++)); do
		name="$(jq -rs ".[$i].name" "$dir/meson-logs/testlog.json")"
		result="$(jq -rs ".[$i].result" "$dir/meson-logs/testlog.json")"
		rc="$(jq -rs ".[$i].returncode" "$dir/meson-logs/testlog.json")"
		out="$(jq -rs ".[$i].stdout // \"\"" "$dir/meson-logs/testlog.json")"
		local before=$failed
		count_tap "$label/$name: " <<<"$out"
		if [ "$tap_seen" -eq 0 ]; then
			case "$result/$rc" in
			OK/*) passed=$((passed + 1)) ;;
			SKIP/* | */77) skipped=$((skipped + 1)) ;;
			*) fail "$label/$name ($result, exit status $rc)" ;;
			esac
		elif [[ "$result" != @(OK|SKIP|EXPECTEDFAIL) ]] && [ "$failed" -eq "$before" ]; then
			# every TAP line passed but the test still failed (bad exit)
			fail "$label/$name ($result, exit status $rc)"
		fi
	done
}

echo "== build ($OCIFS_BUILD)"
build "$OCIFS_BUILD" || fail "build: meson/ninja failed in $OCIFS_BUILD"


if [ "$unit" = 1 ]; then
	unit_suite "$OCIFS_BUILD" unit
	if [ "$asan" = 1 ]; then
		asan_dir="$(dirname "$OCIFS_BUILD")/build-asan"
		echo "== build ($asan_dir, address and undefined sanitizers)"
		if build "$asan_dir" -Db_sanitize=address,undefined -Db_lundef=false; then
			ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
				UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
				unit_suite "$asan_dir" asan
		else
			fail "build: meson/ninja failed in $asan_dir"
		fi
	fi
fi

# fuzz_run NAME CORPUS: one harness for fuzz_secs seconds on a copy of
# its seed corpus (the seeds in the tree stay as they are)
fuzz_run() {
	local name="$1" seeds="$2" corpus="$work/corpus-$1"
	mkdir -p "$corpus"
	cp -r "$seeds"/. "$corpus"/ 2>/dev/null
	echo "== fuzz $name (${fuzz_secs}s)"
	if "$fuzz_dir/tests/$name" -max_total_time="$fuzz_secs" -print_final_stats=1 \
		"$corpus" >"$work/$name.log" 2>&1; then
		passed=$((passed + 1))
		grep -E "^(stat::number_of_executed_units|Done)" "$work/$name.log" || true
	else
		tail -30 "$work/$name.log"
		fail "fuzz: $name found a crash (see its log above)"
	fi
}

if [ "$fuzz_secs" -gt 0 ]; then
	fuzz_dir="$(dirname "$OCIFS_BUILD")/build-fuzz"
	echo "== build ($fuzz_dir, clang libFuzzer harnesses)"
	if [ -f "$fuzz_dir/build.ninja" ] || CC=clang meson setup "$fuzz_dir" "$REPO_DIR" \
		-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link; then
		if ninja -C "$fuzz_dir" tests/fuzz_config tests/fuzz_process tests/fuzz_ctl \
			tests/fuzz_fsconfig tests/fuzz_http; then
			fuzz_run fuzz_config "$REPO_DIR/tests/fuzz/corpus/config"
			fuzz_run fuzz_process "$REPO_DIR/tests/fuzz/corpus/process"
			fuzz_run fuzz_ctl "$REPO_DIR/tests/fuzz/corpus/ctl"
			fuzz_run fuzz_fsconfig "$REPO_DIR/tests/fuzz/corpus/fsconfig"
			fuzz_run fuzz_http "$REPO_DIR/tests/fuzz/corpus/http"
		else
			fail "build: fuzz harnesses failed to build in $fuzz_dir"
		fi
	else
		fail "build: meson setup failed in $fuzz_dir"
	fi
fi

if [ "$integration" = 1 ]; then
	echo "== integration tests (OCIRUN=${OCIRUN:-$OCIFS_BUILD/runtime/ocirun})"
	subreaper="$OCIFS_BUILD/tests/subreaper"
	if [ ! -x "$subreaper" ]; then
		fail "integration: $subreaper is missing (build failed?)"
	elif ! command -v bats >/dev/null; then
		fail "integration: bats is missing (apt-get install bats)"
	else
		# The subreaper reaps orphaned container processes during the run and
		# kills whatever is left at the end; timeout bounds a hung test.
		"$subreaper" timeout -k 10 900 bats --tap "$REPO_DIR"/tests/integration/*.bats \
			</dev/null 2>&1 | tee "$work/integration.tap"
		count_tap "integration: " <"$work/integration.tap"
	fi
fi

# Leftovers are a bug of the runtime or of a test: say so.
left="$(find /tmp -maxdepth 1 -newer "$work" \( -name 'ocifs-bundle.*' -o -name 'ocifs-root.*' \) 2>/dev/null | head -5)"
[ -z "$left" ] || echo "warning: left behind: ${left//$'\n'/ }" >&2

echo
if [ "${#failures[@]}" -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failures[@]}"
fi
summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
