#!/usr/bin/env bats
# A full disk under the state root (SPEC section 6): the state root is a
# small tmpfs, filled up; what fails says so in one line and leaves nothing
# half-made, and the containers already there keep working.

bats_require_minimum_version 1.5.0
load fs_helpers

setup() {
	setup_bundle
	cfg '.process.args = ["sleep", "100"]'
	mount -t tmpfs -o size=512k,mode=0700 ocifs-fulldisk "$ROOT"
}

teardown() {
	[ -n "${MNT:-}" ] && fs_umount
	rm -f "$ROOT/filler"
	teardown_bundle_on_tmpfs
}

# teardown_bundle removes $ROOT with rm -rf, which cannot remove a mount
teardown_bundle_on_tmpfs() {
	local id
	for id in $(rt list -q 2>/dev/null); do
		rt delete --force "$id" >/dev/null 2>&1 || true
	done
	mountpoint -q "$ROOT" && umount "$ROOT"
	teardown_bundle
}

fill_disk() {
	dd if=/dev/zero of="$ROOT/filler" bs=4k 2>/dev/null || true
	# really full: not even one more block
	! dd if=/dev/zero of="$ROOT/one-more" bs=4k count=1 2>/dev/null
	rm -f "$ROOT/one-more"
}

@test "full disk: create fails with ENOSPC in one line, leaves nothing, others keep working" {
	rt run -d --bundle "$BUNDLE" "$CID-a" </dev/null >/dev/null 2>&1
	fill_disk
	run --separate-stderr rt create --bundle "$BUNDLE" "$CID-b"
	echo "$stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == "ocirun: create $CID-b: "*"No space left on device" ]]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[ ! -e "$ROOT/$CID-b" ]
	# the running one: state, exec, kill, delete
	[ "$(rt state "$CID-a" | jq -r .status)" = running ]
	run rt exec "$CID-a" echo alive
	[ "$output" = alive ]
	rt kill "$CID-a" KILL
	wait_status "$CID-a" stopped
	rt delete "$CID-a"
	[ ! -e "$ROOT/$CID-a" ]
	# room again: create works
	rm -f "$ROOT/filler"
	rt create --bundle "$BUNDLE" "$CID-b" </dev/null >/dev/null 2>&1
	[ "$(rt state "$CID-b" | jq -r .status)" = created ]
}

@test "full disk: through ocifs, create fails with ENOSPC and the error file says why" {
	fs_require
	fs_mount
	ctl_create "$CID-a"
	ctl "$CID-a" start
	fill_disk
	run fs_write "$MNT/ctl" "create $CID-b $BUNDLE"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$(cat "$MNT/error")" == *"No space left on device"* ]]
	[ ! -e "$MNT/$CID-b" ]
	[ ! -e "$ROOT/$CID-b" ]
	# the running one stops and goes away as usual
	[ "$(fs_status "$CID-a")" = running ]
	ctl "$CID-a" "stop 1"
	fs_wait_gone "$CID-a"
	[ ! -e "$ROOT/$CID-a" ]
}
