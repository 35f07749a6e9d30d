#!/usr/bin/env bats
# `events` files (SPEC §5): JSON lines of every state change from the moment
# of open, blocking reads, poll(2)/select(2)/epoll, per-container streams
# with exec start and exit.

bats_require_minimum_version 1.5.0
load fs_helpers

setup() {
	fs_require
	setup_bundle
	cfg '.process.args = ["sh", "-c", "trap \"exit 0\" TERM; sleep 100 & wait"]'
	fs_mount
}

teardown() {
	fs_teardown
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# bg_events FILE OUT [SECS]: reads FILE (an events file) into OUT in the
# background for at most SECS seconds (default 4)
bg_events() {
	timeout "${3:-4}" cat "$1" >"$2" 2>&1 3>&- &
	fs_bg_add $!
	sleep 0.2 # let the open happen before the change
}

# wait_line OUT JQ-FILTER [TRIES]: waits until a line of OUT matches
wait_line() {
	local n
	for ((n = 0; n < ${3:-60}; n++)); do
		jq -ce "select($2)" "$1" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	echo "no line matching $2 in $1:" >&2
	cat "$1" >&2
	return 1
}

@test "events: head -n1 gets a line after a change made in the background" {
	(sleep 0.3 && ctl_create "$CID") 3>&- &
	fs_bg_add $!
	run -0 timeout 3 head -n1 "$MNT/events"
	echo "$output"
	[ "$(jq -r .id <<<"$output")" = "$CID" ]
	[[ "$(jq -r .type <<<"$output")" == @(create|state) ]]
}

@test "events: a read blocks until there is an event; older ones are not replayed" {
	ctl_create "$CID"
	ctl "$CID" start
	t0="$(now_ms)"
	run timeout 1 head -n1 "$MNT/events"
	t1="$(now_ms)"
	echo "status $status after $((t1 - t0)) ms: $output"
	[ "$status" -eq 124 ]
	[ -z "$output" ]
	[ $((t1 - t0)) -ge 900 ]
	# the killed reader returned at once, and the mount still answers
	[ $((t1 - t0)) -lt 2500 ]
	[ "$(fs_status "$CID")" = running ]
}

@test "events: the top-level stream has every container's changes as JSON lines" {
	bg_events "$MNT/events" "$FS_TMP/ev"
	ctl_create "$CID"
	ctl_create "${CID}b"
	ctl "$CID" start
	ctl "${CID}b" start
	rt kill "$CID" KILL
	wait_line "$FS_TMP/ev" ".type == \"state\" and .id == \"$CID\" and .status == \"stopped\""
	wait_line "$FS_TMP/ev" ".type == \"state\" and .id == \"${CID}b\" and .status == \"running\""
	cat "$FS_TMP/ev"
	# every line is one JSON object with a type and an id
	while IFS= read -r line; do
		jq -e 'type == "object" and (.type | type == "string") and (.id | type == "string")' <<<"$line" >/dev/null
	done <"$FS_TMP/ev"
	jq -se "map(select(.type == \"state\" and .id == \"$CID\" and .status == \"running\"))
		| length > 0 and all(.pid > 0)" "$FS_TMP/ev"
}

@test "events: a container's stream follows its life: running, stopped, delete" {
	ctl_create "$CID"
	ctl_create "${CID}other"
	bg_events "$MNT/$CID/events" "$FS_TMP/ev"
	ctl "$CID" start
	ctl "${CID}other" start
	ctl "$CID" "kill KILL"
	wait_line "$FS_TMP/ev" '.type == "state" and .status == "stopped"'
	ctl "$CID" delete
	wait_line "$FS_TMP/ev" '.type == "delete"'
	cat "$FS_TMP/ev"
	# in order, and only this container
	[ "$(jq -r .id "$FS_TMP/ev" | sort -u)" = "$CID" ]
	order="$(jq -r 'if .type == "state" then .status else .type end' "$FS_TMP/ev" | uniq | tr '\n' ' ')"
	echo "order: $order"
	[[ "$order" == *"running stopped delete "* ]]
	# the exit status is told (the stopped event may come first without it)
	[ "$(jq -r 'select(.status == "stopped" and .exitStatus != null) | .exitStatus' "$FS_TMP/ev" | head -n1)" = 137 ]
}

@test "events: exec start and exit are events with the execId and exitStatus" {
	ctl_create "$CID"
	ctl "$CID" start
	jq '.process | .args = ["sh", "-c", "sleep 0.2; exit 3"]' "$BUNDLE/config.json" >"$BUNDLE/p.json"
	bg_events "$MNT/$CID/events" "$FS_TMP/ev"
	ctl "$CID" "exec $BUNDLE/p.json"
	wait_line "$FS_TMP/ev" '.type == "exec-exit"'
	cat "$FS_TMP/ev"
	start="$(jq -c 'select(.type == "exec")' "$FS_TMP/ev")"
	exit="$(jq -c 'select(.type == "exec-exit")' "$FS_TMP/ev")"
	[ "$(jq -r .id <<<"$start")" = "$CID" ]
	[ "$(jq -r .pid <<<"$start")" -gt 0 ]
	[ "$(jq -r .execId <<<"$start")" = "$(jq -r .execId <<<"$exit")" ]
	[ "$(jq -r .exitStatus <<<"$exit")" = 3 ]
	# the container is not affected
	[ "$(fs_status "$CID")" = running ]
}

@test "events: twelve blocked readers all get the next line" {
	for i in $(seq 12); do
		timeout 4 head -n1 "$MNT/events" >"$FS_TMP/r$i" 2>&1 3>&- &
		pids+=($!)
	done
	fs_bg_add "${pids[@]}"
	sleep 0.3
	ctl_create "$CID"
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
	for i in $(seq 12); do
		[ "$(jq -r .id "$FS_TMP/r$i")" = "$CID" ]
	done
	# the mount was never held up
	[ "$(fs_status "$CID")" = created ]
}

# poll_client MODE: a python3 client that waits on MNT/events with poll,
# select or epoll: "quiet" when nothing is ready for 0.4 s, then "ready"
# and the first line once an event comes (3 s at most)
poll_client() {
	command -v python3 >/dev/null || skip "python3 is missing"
	cat >"$FS_TMP/pollc.py" <<'EOF'
import os, select, sys
mode, path, flag = sys.argv[1], sys.argv[2], sys.argv[3]
fd = os.open(path, os.O_RDONLY)
def wait(t):
    if mode == "poll":
        p = select.poll(); p.register(fd, select.POLLIN)
        return bool(p.poll(int(t * 1000)))
    if mode == "select":
        return bool(select.select([fd], [], [], t)[0])
    e = select.epoll(); e.register(fd, select.EPOLLIN | select.EPOLLET)
    r = e.poll(t); e.close(); return bool(r)
print("ready" if wait(0.4) else "quiet", flush=True)
open(flag, "w").close()
if wait(3):
    print("ready", flush=True)
    print(os.read(fd, 65536).decode().splitlines()[0], flush=True)
else:
    print("timeout", flush=True)
EOF
	timeout 6 python3 "$FS_TMP/pollc.py" "$1" "$MNT/events" "$FS_TMP/flag" >"$FS_TMP/pollc.out" 2>&1 3>&- &
	local pid=$!
	fs_bg_add "$pid"
	wait_file "$FS_TMP/flag" 60
	sleep 0.1
	ctl_create "$CID"
	wait "$pid"
	cat "$FS_TMP/pollc.out"
	[ "$(sed -n 1p "$FS_TMP/pollc.out")" = quiet ]
	[ "$(sed -n 2p "$FS_TMP/pollc.out")" = ready ]
	[ "$(sed -n 3p "$FS_TMP/pollc.out" | jq -r .id)" = "$CID" ]
}

@test "events: poll(2) wakes on a new event" {
	poll_client poll
}

@test "events: select(2) wakes on a new event" {
	poll_client select
}

@test "events: epoll (edge-triggered) wakes on a new event" {
	poll_client epoll
}

@test "events: ocirun changes on the same root are events too" {
	bg_events "$MNT/events" "$FS_TMP/ev"
	rt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	rt start "$CID"
	wait_line "$FS_TMP/ev" ".id == \"$CID\" and .type == \"state\" and .status == \"running\""
	rt delete --force "$CID"
	wait_line "$FS_TMP/ev" ".id == \"$CID\" and .type == \"delete\""
}
