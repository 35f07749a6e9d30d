# Shared set-up for the integration tests (bats).
#
# API used by every .bats file (keep it stable):
#   OCIRUN        runtime binary under test (env; default: the build's ocirun).
#                 Point it at runc to check the tests themselves:
#                 OCIRUN=/usr/sbin/runc bats tests/integration
#   is_ocirun     true when OCIRUN is ocifs's ocirun (for ocirun-only checks)
#   setup_bundle  makes $BUNDLE (busybox rootfs + config.json running `sh`),
#                 $ROOT (fresh state root) and $CID (a unique container id)
#   cfg FILTER    edits $BUNDLE/config.json with a jq filter, e.g.
#                 cfg '.process.args = ["echo", "hi"]'
#   rt ARGS...    runs "$OCIRUN" --root "$ROOT" ARGS...
#   teardown_bundle  force-deletes every container in $ROOT, removes the
#                 bundle and the root (call from teardown())
#   wait_status ID STATUS [TRIES]  polls `rt state ID` until status matches
#   start_bg ID   create + start ID in the background; init_pid ID its pid
#   remove_cgroups PATH  rmdir a cgroup path in every hierarchy (teardowns)

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${OCIFS_BUILD:=$REPO_DIR/build}"
: "${OCIRUN:=$OCIFS_BUILD/runtime/ocirun}"
: "${OCIFS_TEST_CACHE:=/tmp/ocifs-test-cache}"

is_ocirun() {
	[[ "$(basename "$OCIRUN")" == ocirun* ]]
}

# The busybox rootfs is built once per run and copied per test.
_base_bundle() {
	local base="$OCIFS_TEST_CACHE/bundle"
	if [ ! -f "$base/config.json" ]; then
		mkdir -p "$OCIFS_TEST_CACHE"
		"$REPO_DIR/examples/make-bundle.sh" "$base" >/dev/null
	fi
	echo "$base"
}

setup_bundle() {
	local base
	base="$(_base_bundle)"
	BUNDLE="$(mktemp -d /tmp/ocifs-bundle.XXXXXX)"
	ROOT="$(mktemp -d /tmp/ocifs-root.XXXXXX)"
	CID="t$$-$RANDOM"
	cp -a "$base/rootfs" "$BUNDLE/rootfs"
	cp "$base/config.json" "$BUNDLE/config.json"
	export BUNDLE ROOT CID
}

cfg() {
	local tmp="$BUNDLE/config.json.tmp"
	jq "$@" "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

rt() {
	"$OCIRUN" --root "$ROOT" "$@"
}

wait_status() {
	local id="$1" want="$2" tries="${3:-100}" got
	for ((i = 0; i < tries; i++)); do
		got="$(rt state "$id" 2>/dev/null | jq -r .status)"
		[ "$got" = "$want" ] && return 0
		sleep 0.05
	done
	echo "container $id: status '$got', wanted '$want'" >&2
	return 1
}

# remove_cgroups PATH: rmdir PATH in every hierarchy (v1 controllers and a
# pure v2 root), for teardowns: a failing runtime may leave them behind.
remove_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	return 0
}

teardown_bundle() {
	local id
	if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ]; then
		for id in $(rt list -q 2>/dev/null); do
			rt kill "$id" KILL >/dev/null 2>&1 || true
			rt delete --force "$id" >/dev/null 2>&1 || true
		done
		rm -rf "$ROOT"
	fi
	[ -n "${BUNDLE:-}" ] && rm -rf "$BUNDLE"
	return 0
}

# ---- Extensions (tests/integration/{lifecycle,process,hooks,cli}.bats) ----
#   RECVTTY       the console-socket receiver (build/tests/recvtty)
#   share_dir     bind-mounts the host dir $SHARED (= $BUNDLE/shared) at
#                 /shared in the container, read-write (the root stays
#                 read-only, as in `runc spec`)
#   create_ctr [FLAGS...]  rt create --bundle $BUNDLE FLAGS $CID with stdin
#                 /dev/null and the container's and runtime's stdout/stderr
#                 in $BUNDLE/stdout and $BUNDLE/stderr (a detached
#                 container must not hold the caller's pipes open)
#   ctr_pid ID    the pid from `rt state ID`
#   pid_gone PID [TRIES]  waits until PID no longer exists (or is a zombie)
#   ns_pids PID   host pids of every process in PID's pid namespace
#   wait_file FILE [TRIES]  waits until FILE exists
: "${RECVTTY:=$OCIFS_BUILD/tests/recvtty}"

share_dir() {
	SHARED="$BUNDLE/shared"
	mkdir -p "$SHARED" "$BUNDLE/rootfs/shared"
	cfg --arg src "$SHARED" '.mounts += [{"destination": "/shared",
		"type": "bind", "source": $src, "options": ["rbind", "rw"]}]'
	export SHARED
}

create_ctr() {
	rt create --bundle "$BUNDLE" "$@" "$CID" \
		</dev/null >"$BUNDLE/stdout" 2>"$BUNDLE/stderr"
}

ctr_pid() {
	rt state "$1" | jq -r .pid
}

# run_ctr: runs the container in the foreground; $output is what it printed
run_ctr() {
	run --separate-stderr rt run --bundle "$BUNDLE" "$CID" </dev/null
	if [ "$status" -ne 0 ]; then
		echo "run failed ($status): $stderr" >&2
		return 1
	fi
}

# init_pid ID: the host pid of the container's init
init_pid() {
	ctr_pid "$1"
}

# start_bg ID: creates ($BUNDLE) and starts container ID in the background;
# its stdio goes to $BUNDLE/ID.out, fd 3 closed so that bats does not wait.
start_bg() {
	rt create --bundle "$BUNDLE" "$1" </dev/null >"$BUNDLE/$1.out" 2>&1 3>&- || {
		cat "$BUNDLE/$1.out" >&2
		return 1
	}
	rt start "$1"
}

pid_gone() {
	local pid="$1" tries="${2:-100}" st n
	for ((n = 0; n < tries; n++)); do
		st="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)"
		if [ -z "$st" ] || [ "$st" = Z ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "pid $pid still alive" >&2
	return 1
}

ns_pids() {
	local ns p
	ns="$(readlink "/proc/$1/ns/pid")" || return 1
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
	done
	return 0
}

wait_file() {
	local f="$1" tries="${2:-100}" n
	for ((n = 0; n < tries; n++)); do
		[ -e "$f" ] && return 0
		sleep 0.05
	done
	echo "no file $f" >&2
	return 1
}
