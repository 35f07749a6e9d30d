#!/usr/bin/env bats
# Rootless: an ordinary user (the host's existing `nobody`, uid 65534) runs
# ocirun with a user namespace and no cgroup (docs/DESIGN.md "Rootless").
# The bundle comes from `ocirun spec --rootless`, made by nobody in a temp
# dir owned by nobody, which is also its HOME and XDG_RUNTIME_DIR.  No user
# is created on the host.  Teardown kills and deletes, as root, whatever is
# left in nobody's state root.

bats_require_minimum_version 1.5.0
load helpers

NOBODY=65534

# nb ARGS...: runs ARGS as nobody, with a clean environment pointing at $RL
nb() {
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		env -i PATH="$PATH" HOME="$RL" XDG_RUNTIME_DIR="$RL/run" USER=nobody "$@"
}

# nbrt ARGS...: ocirun as nobody with its default state root
nbrt() {
	nb "$OCIRUN" "$@"
}

# nb_cfg FILTER: edits nobody's config.json with jq (as nobody)
nb_cfg() {
	local tmp="$RB/config.json.tmp"
	nb jq "$@" "$RB/config.json" >"$tmp" && chown $NOBODY:$NOBODY "$tmp" &&
		mv "$tmp" "$RB/config.json"
}

# The state root the docs promise for an unprivileged caller.
rl_root() {
	echo "$RL/run/ocifs"
}

skip_unless_userns_allowed() {
	local f v
	f=/proc/sys/user/max_user_namespaces
	[ -r "$f" ] && [ "$(cat "$f")" -eq 0 ] && skip "$f is 0"
	f=/proc/sys/kernel/unprivileged_userns_clone
	[ -r "$f" ] && [ "$(cat "$f")" -eq 0 ] && skip "$f is 0"
	f=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
	[ -r "$f" ] && [ "$(cat "$f")" -eq 1 ] && skip "$f is 1"
	v="$(nb unshare --user --map-root-user id -u 2>&1)" ||
		skip "nobody cannot make a user namespace here: $v"
	return 0
}

setup() {
	is_ocirun || skip "ocirun's rootless state root and messages"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
	setup_bundle
	RL="$(mktemp -d /tmp/ocifs-rootless.XXXXXX)"
	RB="$RL/bundle"
	export RL RB
	mkdir -p "$RL/run" "$RB"
	cp -a "$BUNDLE/rootfs" "$RB/rootfs"
	chown -R $NOBODY:$NOBODY "$RL"
	chmod 0700 "$RL/run"
	chmod 0755 "$RL"
	nb test -x "$OCIRUN" || skip "nobody cannot execute $OCIRUN"
	skip_unless_userns_allowed
	nb "$OCIRUN" spec --rootless --bundle "$RB"
	nb_cfg '.process.terminal = false | .process.args = ["sh", "-c", "sleep 1000"]'
}

teardown() {
	local id root
	[ -n "${RL:-}" ] && root="$(rl_root)"
	if [ -n "${RL:-}" ] && [ -d "$root" ]; then
		for id in $("$OCIRUN" --root "$root" list -q 2>/dev/null); do
			"$OCIRUN" --root "$root" kill "$id" KILL >/dev/null 2>&1 || true
			"$OCIRUN" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	[ -n "${RL:-}" ] && rm -rf "$RL"
	# the /tmp fallback root, only when a test of this file made it
	[ -n "${TMPROOT_MADE:-}" ] && rm -rf "/tmp/ocifs-$NOBODY"
	teardown_bundle
}

# nb_create ID: creates ID as nobody; stdio in $RL/ID.out, fd 3 closed
nb_create() {
	nbrt create --bundle "$RB" "$1" </dev/null >"$RL/$1.out" 2>&1 3>&- || {
		cat "$RL/$1.out" >&2
		return 1
	}
}

nb_pid() {
	nbrt state "$1" | jq -r .pid
}

@test "rootless: run as nobody: uid 0 inside, mapped to 65534, setgroups denied, /dev usable" {
	nb_cfg '.process.args = ["sh", "-c",
		"id -u; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; echo x >/dev/null && test -c /dev/null && echo dev-ok"]'
	run --separate-stderr nbrt run --bundle "$RB" "$CID" </dev/null
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 $NOBODY 1" ]
	[ "$(echo "${lines[2]}" | tr -s ' ' | sed 's/^ //')" = "0 $NOBODY 1" ]
	[ "${lines[3]}" = deny ]
	[ "${lines[4]}" = dev-ok ]
	# run deletes: the state dir is gone
	[ ! -e "$(rl_root)/$CID" ]
}

@test "rootless: create/start: the init runs as 65534 on the host, without a cgroup" {
	nb_create "$CID"
	pid="$(nb_pid "$CID")"
	[ "$pid" -gt 0 ]
	[ "$(nbrt state "$CID" | jq -r .status)" = created ]
	nbrt start "$CID"
	[ "$(nbrt state "$CID" | jq -r .status)" = running ]
	[ "$(nb_pid "$CID")" = "$pid" ]
	# every uid and gid of the init (real, effective, saved, fs) is nobody's
	[ "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")" = "$NOBODY $NOBODY $NOBODY $NOBODY" ]
	[ "$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")" = "$NOBODY $NOBODY $NOBODY $NOBODY" ]
	# its own user namespace, and no cgroup of ours
	[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
	run grep -c "/ocifs/$CID" "/proc/$pid/cgroup"
	[ "$output" = 0 ]
	for d in /sys/fs/cgroup/*/ocifs/"$CID" /sys/fs/cgroup/ocifs/"$CID"; do
		[ ! -e "$d" ]
	done
	# ps without a cgroup: the init
	run nbrt ps --format json "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -c . <<<"$output")" = "[$pid]" ]
}

@test "rootless: state and list use \$XDG_RUNTIME_DIR/ocifs; kill + delete clean up" {
	nb_create "$CID"
	root="$(rl_root)"
	[ -f "$root/$CID/state.json" ]
	[ "$(stat -c %u "$root/$CID")" = "$NOBODY" ]
	run nbrt list -q
	[ "$status" -eq 0 ]
	[ "$output" = "$CID" ]
	# the same container through an explicit --root
	[ "$(nbrt --root "$root" state "$CID" | jq -r .id)" = "$CID" ]
	nbrt start "$CID"
	pid="$(nb_pid "$CID")"
	nbrt kill "$CID" KILL
	wait_status_nb() {
		for ((i = 0; i < 100; i++)); do
			[ "$(nbrt state "$CID" | jq -r .status)" = stopped ] && return 0
			sleep 0.05
		done
		return 1
	}
	wait_status_nb
	nbrt delete "$CID"
	[ ! -e "$root/$CID" ]
	run nbrt state "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	pid_gone "$pid"
	run nbrt list -q
	[ -z "$output" ]
}

@test "rootless: delete --force kills every process of a running container" {
	nb_cfg '.process.args = ["sh", "-c", "sleep 1000 & sleep 1000 & wait"]'
	nb_create "$CID"
	nbrt start "$CID"
	pid="$(nb_pid "$CID")"
	for ((i = 0; i < 100; i++)); do
		[ "$(ns_pids "$pid" | wc -l)" -ge 3 ] && break
		sleep 0.05
	done
	pids="$(ns_pids "$pid")"
	[ "$(wc -l <<<"$pids")" -ge 3 ]
	# kill --all without a cgroup signals the init (pid 1 of its namespace)
	nbrt kill --all "$CID" TERM || true
	nbrt delete --force "$CID"
	for p in $pids; do
		pid_gone "$p"
	done
	[ ! -e "$(rl_root)/$CID" ]
}

@test "rootless: a memory limit is refused with one clear line when the cgroup tree is not writable" {
	nb test -w /sys/fs/cgroup/memory && skip "the memory cgroup is delegated to nobody"
	nb_cfg '.linux.resources = {"memory": {"limit": 33554432}}'
	run --separate-stderr nbrt run --bundle "$RB" "$CID" </dev/null
	echo "$stderr"
	[ "$status" -ne 0 ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == "ocirun: run $CID: linux.resources.memory: rootless: uid $NOBODY cannot write the cgroup tree"* ]]
	[ ! -e "$(rl_root)/$CID" ]
	[ ! -e "/sys/fs/cgroup/memory/ocifs/$CID" ]
}

@test "rootless: --rootless false makes an unwritable cgroup tree an error" {
	nb test -w /sys/fs/cgroup/cpu && skip "the cgroup tree is delegated to nobody"
	run --separate-stderr nbrt --rootless false run --bundle "$RB" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"cgroup /ocifs/$CID: mkdir"*"Permission denied"* ]]
	[ ! -e "$(rl_root)/$CID" ]
	# while auto (the default) runs it
	nb_cfg '.process.args = ["true"]'
	run nbrt --rootless auto run --bundle "$RB" "$CID" </dev/null
	[ "$status" -eq 0 ]
}

@test "rootless: mapping a uid other than one's own fails naming linux.uidMappings" {
	nb_cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
	run --separate-stderr nbrt run --bundle "$RB" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"linux.uidMappings: "*"only its own uid"* ]]
	[ ! -e "$(rl_root)/$CID" ]
}

@test "rootless: a terminal: the process gets a pty as its console" {
	command -v script >/dev/null || skip "script (util-linux) is missing"
	nb_cfg '.process.terminal = true | .process.args = ["sh", "-c", "tty; id -u"]'
	run script -qec "setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups env -i \
		PATH=$PATH HOME=$RL XDG_RUNTIME_DIR=$RL/run $OCIRUN run --bundle $RB $CID" /dev/null \
		</dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[ "$(tr -d '\r' <<<"${lines[-1]}")" = 0 ]
}

@test "rootless: default root without XDG_RUNTIME_DIR" {
	if [ -d /run/user/$NOBODY ]; then
		want=/run/user/$NOBODY/ocifs
	else
		want=/tmp/ocifs-$NOBODY
	fi
	run setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		env -i PATH="$PATH" HOME="$RL" "$OCIRUN" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"state root (default \"$want\")"* ]]
	# root keeps /run/ocifs, whatever XDG_RUNTIME_DIR says
	run env XDG_RUNTIME_DIR="$RL/run" "$OCIRUN" --help
	[[ "$output" == *"state root (default \"/run/ocifs\")"* ]]
}

@test "rootless: the /tmp fallback root is made 0700, and refused when someone else planted it" {
	[ -d /run/user/$NOBODY ] && skip "/run/user/$NOBODY exists: no /tmp fallback"
	[ -e /tmp/ocifs-$NOBODY ] && skip "/tmp/ocifs-$NOBODY already exists"
	TMPROOT_MADE=1
	nobody_list() {
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
			env -i PATH="$PATH" HOME="$RL" "$OCIRUN" list -q
	}
	run nobody_list
	[ "$status" -eq 0 ]
	[ "$(stat -c '%u %a' /tmp/ocifs-$NOBODY)" = "$NOBODY 700" ]
	rmdir /tmp/ocifs-$NOBODY
	# planted by root: a symlink to a directory nobody could use
	ln -s "$RL/run" /tmp/ocifs-$NOBODY
	run --separate-stderr nobody_list
	[ "$status" -ne 0 ]
	[[ "$stderr" == "ocirun: list: state root /tmp/ocifs-$NOBODY: not a directory owned by uid $NOBODY"* ]]
}
