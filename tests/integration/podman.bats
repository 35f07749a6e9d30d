#!/usr/bin/env bats
# podman (through conmon) with ocirun as its OCI runtime (issue 5).  Skipped
# when podman is not installed (.ci/run installs it).  podman's storage,
# run and tmp directories, its containers.conf and ocirun's state root all
# live in one temporary directory, $PM.

bats_require_minimum_version 1.5.0
load engine_helpers
load fs_helpers

pm() {
	podman "$@"
}

setup_file() {
	command -v podman >/dev/null && command -v conmon >/dev/null || return 0
	PM="$(mktemp -d /tmp/ocifs-podman.XXXXXX)"
	export PM PM_STATE="$PM/state"
	engine_wrapper "$PM/bin" "$PM_STATE"
	cgroup_snapshot "$PM/cgroups.before"
	# podman (netavark) makes /run/containers/networks (and an ipam.db) even
	# with netns none: removed afterwards unless it was there before
	[ -d /run/containers ] || touch "$PM/no-run-containers"
	# and /var/lib/containers/cache (the image library's blob-info cache)
	[ -d /var/lib/containers ] || touch "$PM/no-var-lib-containers"
	cat >"$PM/containers.conf" <<-EOF
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
		netns = "none"
		log_driver = "k8s-file"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		tmp_dir = "$PM/libpod"
		runtime = "ocirun"
		runtime_supports_json = ["ocirun"]
		[engine.runtimes]
		ocirun = ["$PM/bin/ocirun"]
		[network]
		network_config_dir = "$PM/networks"
	EOF
	cat >"$PM/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$PM/storage"
		runroot = "$PM/run"
	EOF
	export CONTAINERS_CONF="$PM/containers.conf" CONTAINERS_STORAGE_CONF="$PM/storage.conf"
	engine_image_tar "$PM/rootfs.tar"
	podman import -q "$PM/rootfs.tar" "$IMG" >/dev/null
}

teardown_file() {
	[ -n "${PM:-}" ] || return 0
	podman rm -a -f -t 0 >/dev/null 2>&1 || true
	podman system reset -f >/dev/null 2>&1 || true
	# conmon runs `podman container cleanup` after a container exits: wait
	# for those (they name $PM) before removing what they would recreate
	for _ in $(seq 50); do
		pgrep -f -- "$PM" >/dev/null || break
		sleep 0.1
	done
	umount_under "$PM"
	cgroup_cleanup "$PM/cgroups.before"
	if [ -f "$PM/no-run-containers" ]; then
		rm -rf /run/containers # netavark leaves its ipam.db there
	fi
	if [ -f "$PM/no-var-lib-containers" ]; then
		rm -rf /var/lib/containers
	fi
	rm -rf "$PM"
}

setup() {
	command -v podman >/dev/null && command -v conmon >/dev/null ||
		skip "podman or conmon is not installed"
	NAME="t$$-$RANDOM"
}

teardown() {
	[ -n "${PM:-}" ] || return 0
	podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
	[ -n "${MNT:-}" ] && fs_umount
	return 0
}

@test "podman: the runtime in use is ocirun" {
	run pm info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
	[ "$status" -eq 0 ]
	[ "$output" = "ocirun $PM/bin/ocirun" ]
}

@test "podman run --rm prints hello and leaves no container in ocirun's root" {
	run pm run --rm "$IMG" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = "hello" ]
	run "$OCIRUN" --root "$PM_STATE" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "podman run: exit codes pass through (7, and 127 for a missing binary)" {
	run pm run --rm "$IMG" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run -127 pm run --rm "$IMG" /no/such/binary
}

@test "podman run: a bad config shows ocirun's own one-line error" {
	run pm run --rm --sysctl kernel.msgmax=notanumber "$IMG" true
	[ "$status" -ne 0 ]
	echo "$output"
	[[ "$output" == *"ocirun: create "*": linux.sysctl: kernel.msgmax: Invalid argument"* ]]
	# one message, not the errno repeated
	[[ "$output" != *"Invalid argument: Invalid argument"* ]]
}

@test "podman run -d, exec (exit code, -d), ps in ocirun's list" {
	run pm run -d --name "$NAME" "$IMG" sleep 1000
	[ "$status" -eq 0 ]
	cid="$output"
	run "$OCIRUN" --root "$PM_STATE" state "$cid"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	run pm exec "$NAME" sh -c 'echo in; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = "in" ]
	run pm exec -d "$NAME" sh -c 'echo detached > /tmp/mark; sleep 100'
	[ "$status" -eq 0 ]
	for _ in $(seq 50); do
		pm exec "$NAME" cat /tmp/mark 2>/dev/null | grep -q detached && break
		sleep 0.1
	done
	run pm exec "$NAME" cat /tmp/mark
	[ "$output" = detached ]
	run pm top "$NAME" args
	[[ "$output" == *"sleep 100"* ]]
}

@test "podman exec -it and run -it run under a pty" {
	pm run -d --name "$NAME" "$IMG" sleep 1000
	run in_pty podman exec -it "$NAME" sh -c 'tty; exit 4'
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	# podman attaches to conmon while the container starts: output
	# written at once can miss the attach (crun too), so wait a little
	run in_pty podman run -it --rm "$IMG" sh -c 'sleep 0.5; tty; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == *"/dev/pts/0"* ]]
}

@test "podman pause/unpause: inspect shows paused then running" {
	pm run -d --name "$NAME" "$IMG" sleep 1000
	pm pause "$NAME"
	run pm inspect -f '{{.State.Status}}' "$NAME"
	[ "$output" = paused ]
	cid="$(pm inspect -f '{{.Id}}' "$NAME")"
	[ "$("$OCIRUN" --root "$PM_STATE" state "$cid" | jq -r .status)" = paused ]
	pm unpause "$NAME"
	run pm inspect -f '{{.State.Status}}' "$NAME"
	[ "$output" = running ]
}

@test "podman stop exits 0 after TERM, start runs it again, kill, rm -f" {
	pm run -d --name "$NAME" "$IMG" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	pm stop -t 20 "$NAME"
	run pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$NAME"
	[ "$output" = "exited 0" ]
	pm start "$NAME"
	run pm inspect -f '{{.State.Status}}' "$NAME"
	[ "$output" = running ]
	pm kill "$NAME"
	pm wait "$NAME"
	run pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$NAME"
	[ "$output" = "exited 137" ]
	pm start "$NAME"
	cid="$(pm inspect -f '{{.Id}}' "$NAME")"
	run pm rm -f -t 0 "$NAME"
	[ "$status" -eq 0 ]
	run "$OCIRUN" --root "$PM_STATE" state "$cid"
	[ "$status" -ne 0 ]
	[ ! -e "$PM_STATE/$cid" ]
}

@test "podman: a container shows under an ocifs mount of the same state root" {
	fs_require
	pm run -d --name "$NAME" "$IMG" sleep 1000
	cid="$(pm inspect -f '{{.Id}}' "$NAME")"
	ROOT="$PM_STATE"
	fs_mount
	[ -d "$MNT/$cid" ]
	[ "$(fs_status "$cid")" = running ]
	[ "$(cat "$MNT/$cid/pid")" = "$(pm inspect -f '{{.State.Pid}}' "$NAME")" ]
	pm pause "$NAME"
	fs_wait_status "$cid" paused
	pm unpause "$NAME"
	fs_wait_status "$cid" running
	pm rm -f -t 0 "$NAME"
	fs_wait_gone "$cid"
}

@test "podman build: RUN steps go through ocirun (buildah: create, start, state, delete)" {
	mkdir -p "$PM/ctx"
	printf 'FROM %s\nRUN echo built > /built\nRUN test "$(cat /built)" = built\n' "$IMG" >"$PM/ctx/Containerfile"
	run pm build -q -t localhost/ocifs-built:test "$PM/ctx"
	[ "$status" -eq 0 ]
	run pm run --rm localhost/ocifs-built:test cat /built
	[ "$output" = built ]
	pm rmi localhost/ocifs-built:test >/dev/null
	# a failing RUN step fails the build with its status
	printf 'FROM %s\nRUN exit 9\n' "$IMG" >"$PM/ctx/Containerfile"
	run pm build -q "$PM/ctx"
	[ "$status" -ne 0 ]
	[[ "$output" == *"exit status 9"* ]]
}

@test "podman: a container sharing the host pid namespace stops with kill --all" {
	pm run -d --pid host --name "$NAME" "$IMG" sh -c 'sleep 1000 & sleep 1000'
	cid="$(pm inspect -f '{{.Id}}' "$NAME")"
	pids="$("$OCIRUN" --root "$PM_STATE" ps --format json "$cid" | jq -r '.[]')"
	[ "$(wc -w <<<"$pids")" -ge 2 ]
	pm stop -t 1 "$NAME"
	run pm inspect -f '{{.State.Status}}' "$NAME"
	[ "$output" = exited ]
	# every process of the container is gone, not only its init
	for p in $pids; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		! kill -0 "$p" 2>/dev/null
	done
}
