#!/usr/bin/env bats
# containerd (through containerd-shim-runc-v2) with ocirun as the runc
# binary (issue 5), driven with ctr.  Skipped when containerd is not
# installed (.ci/run installs it).  containerd's root, state, sockets and
# config, the image tarball and ocirun's state root live in $CD; the
# image comes from the busybox rootfs (podman import + save when podman is
# there, else a docker-archive written here).

bats_require_minimum_version 1.5.0
load engine_helpers

ctr_() {
	ctr -a "$CD/containerd.sock" -n ocifs-test "$@"
}

# ctr run with ocirun as the shim's runc binary
ctr_run() {
	ctr_ run --runc-binary "$OCIRUN" --runc-root "$CD_STATE" --fifo-dir "$CD/fifo" "$@"
}

# docker-archive of one layer: what `ctr image import` takes
image_archive() {
	local d="$CD/img" layer cfgsum
	mkdir -p "$d"
	engine_image_tar "$d/layer.tar"
	layer="$(sha256sum "$d/layer.tar" | cut -d' ' -f1)"
	mkdir "$d/$layer" && mv "$d/layer.tar" "$d/$layer/layer.tar"
	jq -n --arg l "sha256:$layer" '{architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/bin"], Cmd: ["sh"]},
		rootfs: {type: "layers", diff_ids: [$l]}}' >"$d/config.json"
	cfgsum="$(sha256sum "$d/config.json" | cut -d' ' -f1)"
	mv "$d/config.json" "$d/$cfgsum.json"
	jq -n --arg c "$cfgsum.json" --arg l "$layer/layer.tar" --arg t "$IMG" \
		'[{Config: $c, RepoTags: [$t], Layers: [$l]}]' >"$d/manifest.json"
	tar -C "$d" -cf "$1" manifest.json "$cfgsum.json" "$layer"
}

setup_file() {
	command -v containerd >/dev/null && command -v ctr >/dev/null || return 0
	CD="$(mktemp -d /tmp/ocifs-containerd.XXXXXX)"
	export CD CD_STATE="$CD/runc-root"
	cgroup_snapshot "$CD/cgroups.before"
	# the shim's sockets go to /run/containerd/s whatever the config says
	[ -d /run/containerd ] || touch "$CD/no-run-containerd"
	cat >"$CD/config.toml" <<-EOF
		version = 2
		root = "$CD/root"
		state = "$CD/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
		  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
		  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
		[grpc]
		  address = "$CD/containerd.sock"
		[ttrpc]
		  address = "$CD/containerd.sock.ttrpc"
		[plugins."io.containerd.runtime.v2.task"]
		  platforms = ["linux/amd64"]
	EOF
	containerd --config "$CD/config.toml" </dev/null >"$CD/containerd.log" 2>&1 3>&- &
	echo $! >"$CD/containerd.pid"
	for _ in $(seq 100); do
		ctr_ version >/dev/null 2>&1 && break
		sleep 0.1
	done
	image_archive "$CD/image.tar"
	ctr_ image import "$CD/image.tar" >/dev/null
}

teardown_file() {
	local pid
	[ -n "${CD:-}" ] || return 0
	for c in $(ctr_ task ls -q 2>/dev/null); do
		ctr_ task kill -s SIGKILL "$c" >/dev/null 2>&1 || true
	done
	sleep 0.2
	for c in $(ctr_ containers ls -q 2>/dev/null); do
		ctr_ task rm -f "$c" >/dev/null 2>&1 || true
		ctr_ containers rm "$c" >/dev/null 2>&1 || true
	done
	ctr_ image rm "$IMG" >/dev/null 2>&1 || true
	pid="$(cat "$CD/containerd.pid" 2>/dev/null)"
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	umount_under "$CD"
	cgroup_cleanup "$CD/cgroups.before"
	if [ -f "$CD/no-run-containerd" ]; then
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null || true
	fi
	rm -rf "$CD"
}

setup() {
	command -v containerd >/dev/null && command -v ctr >/dev/null ||
		skip "containerd is not installed"
	NAME="t$$-$RANDOM"
}

teardown() {
	[ -n "${CD:-}" ] || return 0
	ctr_ task kill -s SIGKILL "$NAME" >/dev/null 2>&1 || true
	for _ in $(seq 20); do
		ctr_ task rm "$NAME" >/dev/null 2>&1 && break
		ctr_ task ls -q 2>/dev/null | grep -qx "$NAME" || break
		sleep 0.1
	done
	ctr_ containers rm "$NAME" >/dev/null 2>&1 || true
	return 0
}

# task_status ID: the STATUS column of `ctr task ls`
task_status() {
	ctr_ task ls | awk -v id="$1" '$1 == id { print $3 }'
}

@test "containerd: ctr run --rm prints hello through ocirun" {
	run ctr_run --rm "$IMG" "$NAME" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	# the shim ran our binary: its state root (one per namespace) saw the
	# container, and it is gone
	[ -d "$CD_STATE/ocifs-test" ]
	run "$OCIRUN" --root "$CD_STATE/ocifs-test" list -q
	[ -z "$output" ]
}

@test "containerd: exit codes pass through" {
	run ctr_run --rm "$IMG" "$NAME" sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "containerd: run -d, task exec (exit code, -t), ps" {
	ctr_run -d "$IMG" "$NAME" sleep 1000
	run "$OCIRUN" --root "$CD_STATE/ocifs-test" state "$NAME"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	run ctr_ task exec --exec-id e1 "$NAME" sh -c 'echo in; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = in ]
	run in_pty ctr -a "$CD/containerd.sock" -n ocifs-test task exec -t --exec-id e2 "$NAME" sh -c 'tty; exit 5'
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/"* ]]
	run ctr_ task ps "$NAME"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(init_pid_of "$NAME")"* ]]
}

init_pid_of() {
	"$OCIRUN" --root "$CD_STATE/ocifs-test" state "$1" | jq -r .pid
}

@test "containerd: ctr run -t under a pty" {
	run in_pty ctr -a "$CD/containerd.sock" -n ocifs-test run -t --rm \
		--runc-binary "$OCIRUN" --runc-root "$CD_STATE" --fifo-dir "$CD/fifo" "$IMG" "$NAME" sh -c 'sleep 0.3; tty; exit 6'
	[ "$status" -eq 6 ]
	[[ "$output" == *"/dev/pts/0"* ]]
}

@test "containerd: pause/resume, kill, rm" {
	ctr_run -d "$IMG" "$NAME" sleep 1000
	ctr_ task pause "$NAME"
	[ "$(task_status "$NAME")" = PAUSED ]
	[ "$(jq -r .status <<<"$("$OCIRUN" --root "$CD_STATE/ocifs-test" state "$NAME")")" = paused ]
	ctr_ task resume "$NAME"
	[ "$(task_status "$NAME")" = RUNNING ]
	ctr_ task kill -s SIGKILL "$NAME"
	for _ in $(seq 50); do
		[ "$(task_status "$NAME")" = STOPPED ] && break
		sleep 0.1
	done
	[ "$(task_status "$NAME")" = STOPPED ]
	ctr_ task rm "$NAME"
	ctr_ containers rm "$NAME"
	run "$OCIRUN" --root "$CD_STATE/ocifs-test" state "$NAME"
	[ "$status" -ne 0 ]
}
