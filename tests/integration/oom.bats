#!/usr/bin/env bats
# OOM events: `ocirun events ID` prints {"type":"oom","id":ID} the moment
# the container's memory cgroup hits OOM (as runc does), and a mounted
# ocifs emits an "oom" line on the container's `events` file and the
# top-level one.  The container allocates past a 32 MiB limit (the
# resources.bats OOM-kill config: tail holds a 200 MB line in memory).

bats_require_minimum_version 1.5.0
load fs_helpers

setup() {
	setup_bundle
	CGPATH="ocifs-itest-oom-$CID"
	cfg --arg p "/$CGPATH" '.linux.cgroupsPath = $p'
	EV_PID=
}

teardown() {
	# the background `ocirun events`, while it is still our child
	if [ -n "$EV_PID" ] &&
		[ "$(ps -o ppid= -p "$EV_PID" 2>/dev/null | tr -d ' ')" = "$BASHPID" ]; then
		kill -KILL "$EV_PID" 2>/dev/null || true
		wait "$EV_PID" 2>/dev/null || true
	fi
	[ -n "${MNT:-}" ] && fs_umount
	teardown_bundle
	remove_cgroups "$CGPATH"
}

# The container's memory cgroup: v1 memory hierarchy, or cgroup2 with the
# memory controller.
need_memory() {
	if [ "$(stat -f -c %T /sys/fs/cgroup/memory 2>/dev/null)" = cgroupfs ]; then
		return 0
	fi
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] &&
		grep -qw memory /sys/fs/cgroup/cgroup.subtree_control; then
		return 0
	fi
	skip "no memory controller on this host"
}

# oom_config: a 32 MiB limit (memory+swap too where v1 has memsw, so the
# process cannot swap instead) and a process that allocates past it once
# /tmp/go exists in its rootfs, then keeps the container running.
oom_config() {
	local swap=''
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && swap=', "swap": 33554432'
	cfg '.linux.resources.memory = {"limit": 33554432'"$swap"'}
		| .process.args = ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; head -c 200m /dev/zero | tail; echo rc=$?; exec sleep 1000"]'
}

go_oom() {
	mkdir -p "$BUNDLE/rootfs/tmp"
	touch "$BUNDLE/rootfs/tmp/go"
}

# wait_line FILE JQ-FILTER [TRIES]: waits (50 ms steps) for a matching line
wait_line() {
	local n
	for ((n = 0; n < ${3:-200}; n++)); do
		jq -ce "select($2)" "$1" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	echo "no line matching $2 in $1:" >&2
	cut -c1-160 "$1" >&2
	return 1
}

# events_bg ID: `rt events --interval 1s ID` in the background, output in
# $BUNDLE/events; returns once its first stats event is out (the OOM
# notification is armed before it).
events_bg() {
	rt events --interval 1s "$1" >"$BUNDLE/events" 2>"$BUNDLE/events.err" 3>&- &
	EV_PID=$!
	wait_line "$BUNDLE/events" '.type == "stats"' 100
}

@test "oom: ocirun events prints an oom event when the container hits its memory limit" {
	need_memory
	oom_config
	rt create --bundle "$BUNDLE" "$CID" </dev/null >"$BUNDLE/$CID.out" 2>&1 3>&-
	rt start "$CID"
	events_bg "$CID"
	go_oom
	wait_line "$BUNDLE/events" '.type == "oom"'
	cat "$BUNDLE/events" | cut -c1-120
	jq -e --arg id "$CID" 'select(.type == "oom") | . == {"type": "oom", "id": $id}' \
		"$BUNDLE/events" | grep -q true
	# the stats events go on; the stream still ends once the container is gone
	if is_ocirun; then
		rt delete --force "$CID"
		for ((n = 0; n < 60; n++)); do
			kill -0 "$EV_PID" 2>/dev/null || break
			sleep 0.05
		done
		run wait "$EV_PID"
		EV_PID=
		[ "$status" -eq 0 ]
	fi
}

@test "oom: no oom event while the container stays under its limit" {
	need_memory
	cfg '.linux.resources.memory = {"limit": 33554432}
		| .process.args = ["sh", "-c", "head -c 8m /dev/zero | tail; exec sleep 1000"]'
	rt create --bundle "$BUNDLE" "$CID" </dev/null >"$BUNDLE/$CID.out" 2>&1 3>&-
	rt start "$CID"
	events_bg "$CID"
	# two more stats intervals
	wait_line "$BUNDLE/events" '.type == "stats"' 100
	sleep 2.2
	cat "$BUNDLE/events" | cut -c1-120
	[ "$(jq -r .type "$BUNDLE/events" | grep -c stats)" -ge 2 ]
	! jq -r .type "$BUNDLE/events" | grep -q oom
}

@test "oom: events --stats prints one stats event and no oom" {
	need_memory
	oom_config
	rt create --bundle "$BUNDLE" "$CID" </dev/null >"$BUNDLE/$CID.out" 2>&1 3>&-
	rt start "$CID"
	go_oom
	# the OOM has happened (rc= printed, or the counter rose)
	for ((n = 0; n < 200; n++)); do
		grep -q '^rc=' "$BUNDLE/$CID.out" && break
		sleep 0.05
	done
	run -0 rt events --stats "$CID"
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .type <<<"$output")" = stats ]
}

@test "oom: the filesystem's events files get an oom line" {
	is_ocirun || skip "the filesystem is ocifs's own"
	need_memory
	fs_require
	oom_config
	fs_mount
	ctl_create "$CID"
	ctl "$CID" start
	fs_wait_status "$CID" running
	timeout 20 cat "$MNT/$CID/events" >"$FS_TMP/ev" 2>&1 3>&- &
	fs_bg_add $!
	timeout 20 cat "$MNT/events" >"$FS_TMP/top" 2>&1 3>&- &
	fs_bg_add $!
	sleep 0.3 # let the opens happen before the OOM
	go_oom
	wait_line "$FS_TMP/ev" '.type == "oom"'
	wait_line "$FS_TMP/top" ".type == \"oom\" and .id == \"$CID\""
	cat "$FS_TMP/ev"
	jq -e --arg id "$CID" 'select(.type == "oom") | .id == $id and (.time | test("^[0-9]{4}-"))' \
		"$FS_TMP/ev" | grep -q true
	# the container itself lives on (its shell survived, or only tail died)
	[ "$(fs_status "$CID")" = running ]
}

@test "oom: the filesystem reports the OOM of a container made by ocirun, before its stop" {
	is_ocirun || skip "the filesystem is ocifs's own"
	need_memory
	fs_require
	local swap=''
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && swap=', "swap": 33554432'
	# the init itself allocates past the limit and is killed
	cfg '.linux.resources.memory = {"limit": 33554432'"$swap"'}
		| .process.args = ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exec tail /dev/zero"]'
	fs_mount
	rt create --bundle "$BUNDLE" "$CID" </dev/null >"$BUNDLE/$CID.out" 2>&1 3>&-
	rt start "$CID"
	fs_wait_status "$CID" running
	timeout 20 cat "$MNT/$CID/events" >"$FS_TMP/ev" 2>&1 3>&- &
	fs_bg_add $!
	sleep 0.3
	go_oom
	wait_line "$FS_TMP/ev" '.type == "state" and .status == "stopped"'
	cat "$FS_TMP/ev"
	order="$(jq -r 'if .type == "state" then .status else .type end' "$FS_TMP/ev" | uniq | tr '\n' ' ')"
	echo "order: $order"
	[[ "$order" == *"oom stopped "* ]]
}
