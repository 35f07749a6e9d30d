#!/usr/bin/env bats
# The daemon's HTTP front end (config key Port, docs/FS.md "HTTP"): the
# same operations as the files, checked against the mount: list, reads,
# ctl commands and their errors, event streams, the bearer token, malformed
# requests, a busy port.

bats_require_minimum_version 1.5.0
load fs_helpers

TOKEN=0123456789abcdef-test-token

setup() {
	fs_require
	command -v curl >/dev/null || skip "curl is missing"
	command -v python3 >/dev/null || skip "python3 is missing"
	setup_bundle
	cfg '.process.args = ["sh", "-c", "trap \"exit 0\" TERM; sleep 100 & wait"]'
	PORT="$(free_port)"
	URL="http://127.0.0.1:$PORT/v1"
	CONF="$(mktemp /tmp/ocifs-http-conf.XXXXXX)"
	export PORT URL CONF
}

teardown() {
	fs_teardown
	[ -z "${CONF:-}" ] || rm -f "$CONF"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# mount_http [JQ-ARGS...]: writes {"Port": PORT} (edited by the jq filter
# if given) to $CONF and mounts with --config $CONF
mount_http() {
	jq -n --argjson p "$PORT" '{Port: $p}' | jq "${@:-.}" >"$CONF"
	fs_mount --config "$CONF"
}

# req ARGS...: curl with a time limit; prints the body then "HTTP CODE"
req() {
	curl -sS --max-time 10 -w '\nHTTP %{http_code}' "$@"
}

# code OUTPUT: the status of a req output; body OUTPUT: the rest
code() { sed -n '$s/^HTTP //p' <<<"$1"; }
body() { sed '$d' <<<"$1"; }

# raw TEXT: sends TEXT (printf escapes) as is on a fresh connection and
# prints the answer (bash's /dev/tcp: no nc needed)
raw() {
	timeout -k 1 5 bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$1" && printf "$2" >&5 && cat <&5' \
		raw "$PORT" "$1"
}

@test "http: list shows a container made with ocirun" {
	mount_http
	rt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 3>&-
	run req "$URL/"
	echo "$output"
	[ "$(code "$output")" = 200 ]
	[ "$(body "$output" | jq -c '.containers')" = "[\"$CID\"]" ]
	run req "$URL/$CID/"
	echo "$output"
	[ "$(code "$output")" = 200 ]
	body "$output" | jq -e --arg id "$CID" '.id == $id and (.files | index("state")) and (.files | index("ctl"))'
}

@test "http: GET state equals the mount's state, status and pid too" {
	mount_http
	ctl_create "$CID"
	run req "$URL/$CID/state"
	[ "$(code "$output")" = 200 ]
	[ "$(body "$output" | jq -S .)" = "$(fs_read "$CID" state | jq -S .)" ]
	[ "$(body "$output" | jq -r .status)" = created ]
	[ "$(curl -sS --max-time 10 "$URL/$CID/status")" = "$(fs_read "$CID" status)" ]
	[ "$(curl -sS --max-time 10 "$URL/$CID/pid")" = "$(fs_read "$CID" pid)" ]
	# content types: JSON for JSON files, text otherwise
	curl -sS --max-time 10 -D - -o /dev/null "$URL/$CID/state" | grep -qi '^content-type: application/json'
	curl -sS --max-time 10 -D - -o /dev/null "$URL/$CID/status" | grep -qi '^content-type: text/plain'
	# a root file
	run req "$URL/features"
	[ "$(code "$output")" = 200 ]
	body "$output" | jq -e .ociVersionMin
}

@test "http: POST create to /v1/ctl then start to /v1/ID/ctl makes it running" {
	mount_http
	run req -X POST --data-binary "create $CID $BUNDLE" "$URL/ctl"
	echo "$output"
	[ "$(code "$output")" = 204 ]
	fs_wait_status "$CID" created
	run req -X POST --data-binary "start" "$URL/$CID/ctl"
	echo "$output"
	[ "$(code "$output")" = 204 ]
	fs_wait_status "$CID" running
	[ "$(rt state "$CID" | jq -r .status)" = running ]
}

@test "http: a bad command is 400 with its message, which lands in MNT/error" {
	mount_http
	run req -X POST --data-binary "frobnicate x" "$URL/ctl"
	echo "$output"
	[ "$(code "$output")" = 400 ]
	[ "$(body "$output" | jq -r .errno)" = EINVAL ]
	msg="$(body "$output" | jq -r .error)"
	[ -n "$msg" ]
	grep -qF -- "$msg" <(fsx cat "$MNT/error")
	grep -q frobnicate <(fsx cat "$MNT/error")
	# a missing bundle: ENOENT, 404
	run req -X POST --data-binary "create $CID /nonexistent/bundle" "$URL/ctl"
	echo "$output"
	[ "$(code "$output")" = 404 ]
	[ "$(body "$output" | jq -r .errno)" = ENOENT ]
	! fsx test -e "$MNT/$CID"
}

@test "http: a command in the wrong state is 409 (EBUSY), and changes nothing" {
	mount_http
	ctl_create "$CID"
	ctl "$CID" start
	fs_wait_status "$CID" running
	run req -X POST --data-binary "start" "$URL/$CID/ctl"
	echo "$output"
	[ "$(code "$output")" = 409 ]
	[ "$(body "$output" | jq -r .errno)" = EBUSY ]
	[ "$(fs_status "$CID")" = running ]
	grep -q start <(fs_read "$CID" error)
	# an id taken: EEXIST, 409 too
	run req -X POST --data-binary "create $CID $BUNDLE" "$URL/ctl"
	[ "$(code "$output")" = 409 ]
	[ "$(body "$output" | jq -r .errno)" = EEXIST ]
}

@test "http: an events stream gets the line of a start" {
	mount_http
	ctl_create "$CID"
	curl -sSN --max-time 20 -D "$FS_TMP/head" "$URL/$CID/events" >"$FS_TMP/ev" 2>&1 3>&- &
	fs_bg_add $!
	for ((n = 0; n < 100; n++)); do
		grep -q '^HTTP/1.1 200' "$FS_TMP/head" 2>/dev/null && break
		sleep 0.05
	done
	grep -q '^HTTP/1.1 200' "$FS_TMP/head"
	# the daemon hands the socket over right after the head: give it a moment
	sleep 0.2
	run req -X POST --data-binary start "$URL/$CID/ctl"
	[ "$(code "$output")" = 204 ]
	for ((n = 0; n < 100; n++)); do
		jq -ce 'select(.status == "running")' "$FS_TMP/ev" 2>/dev/null | grep -q . && break
		sleep 0.05
	done
	cat "$FS_TMP/ev"
	jq -ce --arg id "$CID" 'select(.status == "running" and .id == $id)' "$FS_TMP/ev" | grep -q .
	# the stream of a container that does not exist: 404
	run req "$URL/nope/events"
	[ "$(code "$output")" = 404 ]
}

@test "http: with a Token, no header is 401, a wrong one 401, the right one 200" {
	mount_http --arg t "$TOKEN" '.Token = $t'
	run req "$URL/"
	echo "$output"
	[ "$(code "$output")" = 401 ]
	run req -H "Authorization: Bearer wrong-token-wrong-token" "$URL/"
	[ "$(code "$output")" = 401 ]
	run req -X POST --data-binary "create $CID $BUNDLE" "$URL/ctl"
	[ "$(code "$output")" = 401 ]
	! fsx test -e "$MNT/$CID"
	run req -H "Authorization: Bearer $TOKEN" "$URL/"
	echo "$output"
	[ "$(code "$output")" = 200 ]
	run req -H "authorization: bearer $TOKEN" -X POST --data-binary "create $CID $BUNDLE" "$URL/ctl"
	[ "$(code "$output")" = 204 ]
	fs_wait_status "$CID" created
}

@test "http: unknown paths are 404, wrong methods 405, bad ids 400" {
	mount_http
	run req "$URL/nosuchfile"
	[ "$(code "$output")" = 404 ]
	body "$output" | jq -e .error
	run req "http://127.0.0.1:$PORT/other"
	[ "$(code "$output")" = 404 ]
	run req "$URL/nosuchctr/"
	[ "$(code "$output")" = 404 ]
	run req "$URL/nosuchctr/state"
	[ "$(code "$output")" = 404 ]
	run req "$URL/ctl"
	[ "$(code "$output")" = 405 ]
	run req -X DELETE "$URL/"
	[ "$(code "$output")" = 405 ]
	run req -X POST --data-binary x "$URL/features"
	[ "$(code "$output")" = 405 ]
	run req --path-as-is "$URL/../state"
	[ "$(code "$output")" = 400 ]
}

@test "http: malformed requests are 400, oversized ones 413 and 431" {
	mount_http
	run raw 'garbage\r\n\r\n'
	echo "$output"
	[[ "$output" == "HTTP/1.1 400 "* ]]
	run raw 'GET /v1/ HTTP/9.9\r\n\r\n'
	[[ "$output" == "HTTP/1.1 400 "* ]]
	run raw 'GET /v1/ HTTP/1.1\r\nContent-Length: x\r\n\r\n'
	[[ "$output" == "HTTP/1.1 400 "* ]]
	run curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --request-target 'no-slash' "$URL/"
	[ "$output" = 404 ]
	head -c 70000 /dev/zero | tr '\0' 'a' >"$FS_TMP/big"
	run req -X POST --data-binary @"$FS_TMP/big" "$URL/ctl"
	[ "$(code "$output")" = 413 ]
	run req -H "X-Big: $(head -c 17000 /dev/zero | tr '\0' b)" "$URL/"
	[ "$(code "$output")" = 431 ]
	# the daemon still serves
	run req "$URL/"
	[ "$(code "$output")" = 200 ]
}

# start_with_conf: runs ocifs with $CONF on a fresh $MNT in the foreground of
# `run` (for start-ups that must fail); fs_umount still cleans up.
start_with_conf() {
	MNT="$(mktemp -d /tmp/ocifs-mnt.XXXXXX)"
	FS_TMP="$(mktemp -d /tmp/ocifs-fstest.XXXXXX)"
	export MNT FS_TMP
	run timeout -k 1 10 "$OCIFS" --root "$ROOT" --config "$CONF" "$MNT"
	echo "status $status: $output"
}

@test "http: a port in use makes ocifs fail with a line naming the port" {
	python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(30)' "$PORT" 3>&- &
	fs_bg_add $!
	sleep 0.3
	jq -n --argjson p "$PORT" '{Port: $p}' >"$CONF"
	start_with_conf
	[ "$status" -ne 0 ]
	[[ "$output" == *"port $PORT"* ]]
	[[ "$output" == *"Address already in use"* ]]
	[ "$(wc -l <<<"$output")" = 1 ]
	! _fs_mounted "$MNT"
}

@test "http: a non-loopback Bind without a Token is a config error" {
	jq -n --argjson p "$PORT" '{Port: $p, Bind: "0.0.0.0"}' >"$CONF"
	start_with_conf
	[ "$status" -ne 0 ]
	[[ "$output" == *"Bind: a non-loopback address needs a Token"* ]]
	! _fs_mounted "$MNT"
}
