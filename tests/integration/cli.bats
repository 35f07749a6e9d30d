#!/usr/bin/env bats
# The command line: global options, spec, features, list, error reporting and
# the validation of bad configurations (each one refused, nothing created).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
	[ -z "${OTHER_ROOT:-}" ] || rm -rf "$OTHER_ROOT"
}

# one_error_line WORD...: $stderr is exactly one line, "ocirun: ...",
# containing every WORD (ocirun only; runc's messages differ)
one_error_line() {
	is_ocirun || return 0
	local w
	if [ "$(printf '%s\n' "$stderr" | grep -c .)" -ne 1 ] || [[ "$stderr" != ocirun:* ]]; then
		echo "want one 'ocirun:' line on stderr, got: $stderr" >&2
		return 1
	fi
	for w in "$@"; do
		if [[ "$stderr" != *"$w"* ]]; then
			echo "stderr lacks '$w': $stderr" >&2
			return 1
		fi
	done
}

# bad_config WORD FILTER: the edited config is refused at create with an
# error naming WORD (the JSON path), and no container is left
bad_config() {
	cfg "$2"
	run --separate-stderr rt create --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	one_error_line "$1"
	run rt state "$CID"
	[ "$status" -ne 0 ]
	[ -z "$(rt list -q)" ]
}

@test "--version and --help succeed" {
	run -0 "$OCIRUN" --version
	[ -n "$output" ]
	run -0 "$OCIRUN" --help
	[[ "$output" == *create* ]]
	[[ "$output" == *start* ]]
}

@test "an unknown command fails" {
	run --separate-stderr "$OCIRUN" --root "$ROOT" no-such-command
	[ "$status" -ne 0 ]
	one_error_line no-such-command
}

@test "errors: one line naming the container, the operation and the cause" {
	for op in state start delete; do
		run --separate-stderr rt "$op" nosuchctr
		[ "$status" -ne 0 ]
		one_error_line nosuchctr "$op"
	done
	run --separate-stderr rt kill nosuchctr KILL
	[ "$status" -ne 0 ]
	one_error_line nosuchctr kill
	cfg '.process.args = ["sleep", "100"]'
	create_ctr
	rt start "$CID"
	run --separate-stderr rt start "$CID"
	[ "$status" -ne 0 ]
	one_error_line "$CID" start running
}

@test "--log-format json: errors are JSON lines in the --log file" {
	run "$OCIRUN" --root "$ROOT" --log "$BUNDLE/log" --log-format json state nosuchctr
	[ "$status" -ne 0 ]
	jq -e 'select(.level == "error") | .msg | length > 0' "$BUNDLE/log"
}

@test "spec: writes a default config.json, refuses to overwrite one" {
	mkdir "$BUNDLE/spec"
	run -0 rt spec --bundle "$BUNDLE/spec"
	f="$BUNDLE/spec/config.json"
	jq -e '.ociVersion | test("^[0-9]+\\.[0-9]+\\.[0-9]+")' "$f"
	jq -e '.process.args | length > 0' "$f"
	jq -e '.root.path == "rootfs"' "$f"
	jq -e '[.linux.namespaces[].type] | index("mount") != null' "$f"
	cp "$f" "$BUNDLE/spec/orig"
	run rt spec --bundle "$BUNDLE/spec"
	[ "$status" -ne 0 ]
	cmp "$f" "$BUNDLE/spec/orig"
}

@test "spec: the default config runs" {
	mkdir "$BUNDLE/spec"
	rt spec --bundle "$BUNDLE/spec"
	mv "$BUNDLE/rootfs" "$BUNDLE/spec/rootfs"
	jq '.process.terminal = false | .process.args = ["echo", "from-spec"]' \
		"$BUNDLE/spec/config.json" >"$BUNDLE/spec/c" && mv "$BUNDLE/spec/c" "$BUNDLE/spec/config.json"
	run -0 rt run --bundle "$BUNDLE/spec" "$CID" </dev/null
	[ "$output" = from-spec ]
}

@test "features: a truthful features document" {
	run -0 rt features
	jq -e '.ociVersionMin and .ociVersionMax' <<<"$output"
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		jq -e --arg h "$h" '.hooks | index($h) != null' <<<"$output"
	done
	for ns in pid network mount ipc uts user cgroup; do
		jq -e --arg ns "$ns" '.linux.namespaces | index($ns) != null' <<<"$output"
	done
	jq -e '.mountOptions | index("ro") != null and index("bind") != null' <<<"$output"
	if is_ocirun; then
		jq -e '.ociVersionMax == "1.3.0"' <<<"$output"
		jq -e '.linux.namespaces | index("time") != null' <<<"$output"
	fi
}

@test "list: empty root" {
	run -0 rt list -q
	[ -z "$output" ]
	run -0 rt list --format json
	[ "$(jq length <<<"$output")" -eq 0 ]
}

@test "--root: containers live in their state root only" {
	OTHER_ROOT="$(mktemp -d /tmp/ocifs-root.XXXXXX)"
	create_ctr
	run "$OCIRUN" --root "$OTHER_ROOT" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(rt list -q)" = "$CID" ]
}

@test "bad config: missing config.json" {
	rm "$BUNDLE/config.json"
	run --separate-stderr rt create --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	one_error_line config.json
	[ -z "$(rt list -q)" ]
}

@test "bad config: not JSON" {
	echo '{"ociVersion": "1.0.2", ' >"$BUNDLE/config.json"
	run --separate-stderr rt create --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	one_error_line config.json
	[ -z "$(rt list -q)" ]
}

@test "bad config: empty process.args" {
	bad_config process.args '.process.args = []'
}

@test "bad config: relative process.cwd" {
	bad_config process.cwd '.process.cwd = "tmp"'
}

@test "bad config: negative process.user.uid" {
	bad_config process.user.uid '.process.user.uid = -1'
}

@test "bad config: hostname not a string" {
	bad_config hostname '.hostname = 5'
}

@test "bad config: missing root.path" {
	bad_config root.path '.root.path = "no-such-dir"'
}

@test "bad config: unknown namespace type" {
	bad_config linux.namespaces '.linux.namespaces += [{"type": "bogus"}]'
}

@test "bad config: duplicate namespace type" {
	bad_config linux.namespaces '.linux.namespaces += [{"type": "pid"}]'
}

@test "bad config: unknown rlimit type" {
	bad_config process.rlimits '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
}

@test "bad config: duplicate rlimit type" {
	is_ocirun || skip "runc accepts duplicate rlimits"
	bad_config process.rlimits '.process.rlimits += [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}]'
}

@test "bad config: ociVersion not SemVer" {
	is_ocirun || skip "runc accepts any ociVersion"
	bad_config ociVersion '.ociVersion = "banana"'
}

@test "bad config: unknown capability name" {
	is_ocirun || skip "runc ignores unknown capabilities"
	bad_config CAP_BOGUS '.process.capabilities.bounding += ["CAP_BOGUS"]'
	one_error_line process.capabilities
}
