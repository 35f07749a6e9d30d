#!/usr/bin/env bats
# Hooks (config.md "POSIX-platform Hooks", runtime.md "Lifecycle"): order,
# the state on stdin, args/env, timeout and the failure rules.
#
# Every hook here is hook.sh NAME: it appends NAME to $SHARED/hooks.log and
# saves its stdin to $SHARED/NAME.json.  startContainer hooks resolve in the
# container, so a copy lives at /hook.sh in the rootfs and logs to /shared.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_bundle
	share_dir
	cat >"$BUNDLE/hook.sh" <<-'EOF'
		#!/bin/sh
		echo "$1" >> "$LOGDIR/hooks.log"
		cat > "$LOGDIR/$1.json"
	EOF
	chmod 755 "$BUNDLE/hook.sh"
	cp "$BUNDLE/hook.sh" "$BUNDLE/rootfs/hook.sh"
}

teardown() {
	teardown_bundle
}

# hook NAME: a host hook entry; ctr_hook NAME: one resolved in the container
hook() {
	jq -cn --arg p "$BUNDLE/hook.sh" --arg n "$1" --arg d "$SHARED" \
		'{path: $p, args: ["hook.sh", $n],
		  env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LOGDIR=" + $d]}'
}
ctr_hook() {
	jq -cn --arg n "$1" \
		'{path: "/hook.sh", args: ["hook.sh", $n], env: ["PATH=/bin", "LOGDIR=/shared"]}'
}

hooks_log() {
	tr '\n' ' ' 2>/dev/null <"$SHARED/hooks.log"
}

@test "hooks run in lifecycle order, each kind in listed order" {
	cfg --argjson p1 "$(hook prestart1)" --argjson p2 "$(hook prestart2)" \
		--argjson cr "$(hook createRuntime)" --argjson cc "$(hook createContainer)" \
		--argjson sc "$(ctr_hook startContainer)" --argjson ps "$(hook poststop)" \
		'.hooks = {prestart: [$p1, $p2], createRuntime: [$cr],
		  createContainer: [$cc], startContainer: [$sc], poststop: [$ps]}'
	cfg '.process.args = ["sh", "-c", "echo process >> /shared/hooks.log"]'
	create_ctr
	[ "$(hooks_log)" = "prestart1 prestart2 createRuntime createContainer " ]
	rt start "$CID"
	wait_status "$CID" stopped
	[ "$(hooks_log)" = "prestart1 prestart2 createRuntime createContainer startContainer process " ]
	rt delete "$CID"
	[ "$(hooks_log)" = "prestart1 prestart2 createRuntime createContainer startContainer process poststop " ]
}

@test "poststart runs after the process started, before start returns" {
	is_ocirun || skip "runc runs poststart hooks during create"
	cfg --argjson p "$(hook poststart)" --argjson sc "$(ctr_hook startContainer)" \
		'.hooks = {startContainer: [$sc], poststart: [$p]}'
	cfg '.process.args = ["sleep", "100"]'
	create_ctr
	[ "$(hooks_log)" = "" ]
	rt start "$CID"
	[ "$(hooks_log)" = "startContainer poststart " ]
	[ "$(jq -r .status "$SHARED/poststart.json")" = running ]
	[ "$(jq -r .pid "$SHARED/poststart.json")" = "$(ctr_pid "$CID")" ]
}

@test "all six hook kinds in the spec's exact order" {
	is_ocirun || skip "runc runs poststart hooks during create"
	cfg --argjson pr "$(hook prestart)" --argjson cr "$(hook createRuntime)" \
		--argjson cc "$(hook createContainer)" --argjson sc "$(ctr_hook startContainer)" \
		--argjson pst "$(hook poststart)" --argjson ps "$(hook poststop)" \
		'.hooks = {prestart: [$pr], createRuntime: [$cr], createContainer: [$cc],
		  startContainer: [$sc], poststart: [$pst], poststop: [$ps]}'
	cfg '.process.args = ["true"]'
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped
	rt delete "$CID"
	[ "$(hooks_log)" = "prestart createRuntime createContainer startContainer poststart poststop " ]
}

@test "hooks get the container state on stdin" {
	cfg --argjson pr "$(hook prestart)" --argjson cr "$(hook createRuntime)" \
		--argjson cc "$(hook createContainer)" --argjson sc "$(ctr_hook startContainer)" \
		--argjson ps "$(hook poststop)" \
		'.hooks = {prestart: [$pr], createRuntime: [$cr], createContainer: [$cc],
		  startContainer: [$sc], poststop: [$ps]}'
	cfg '.annotations = {"org.ocifs.test": "yes"} | .process.args = ["true"]'
	create_ctr
	pid="$(ctr_pid "$CID")"
	rt start "$CID"
	wait_status "$CID" stopped
	rt delete "$CID"
	for h in prestart createRuntime createContainer startContainer poststop; do
		f="$SHARED/$h.json"
		[ "$(jq -r .id "$f")" = "$CID" ]
		[ "$(jq -r .bundle "$f")" = "$BUNDLE" ]
		[ -n "$(jq -r .ociVersion "$f")" ]
	done
	for h in prestart createRuntime createContainer; do
		[ "$(jq -r .status "$SHARED/$h.json")" = creating ]
	done
	[ "$(jq -r .pid "$SHARED/prestart.json")" = "$pid" ]
	[ "$(jq -r .pid "$SHARED/createRuntime.json")" = "$pid" ]
	[ "$(jq -r .status "$SHARED/startContainer.json")" = created ]
	[ "$(jq -r .status "$SHARED/poststop.json")" = stopped ]
	if is_ocirun; then
		[ "$(jq -r '.annotations["org.ocifs.test"]' "$SHARED/prestart.json")" = yes ]
	fi
}

@test "hooks get their args and env, not the runtime's environment" {
	cat >"$BUNDLE/args.sh" <<-'EOF'
		#!/bin/sh
		echo "$1|$2|$FOO|${OCIFS_HOST_ONLY:-unset}" > "$LOGDIR/args"
	EOF
	chmod 755 "$BUNDLE/args.sh"
	export OCIFS_HOST_ONLY=leak
	cfg --arg p "$BUNDLE/args.sh" --arg d "$SHARED" \
		'.hooks.prestart = [{path: $p, args: ["args.sh", "a b", "c"],
		  env: ["PATH=/bin:/usr/bin", "FOO=bar", "LOGDIR=" + $d]}]'
	create_ctr
	[ "$(cat "$SHARED/args")" = "a b|c|bar|unset" ]
}

@test "a hook that does not read stdin does not break the runtime" {
	# a state bigger than a pipe buffer: the runtime's write hits a closed pipe
	head -c 200000 /dev/zero | tr '\0' a >"$BUNDLE/big"
	cfg --rawfile big "$BUNDLE/big" '.annotations = {"big": $big}'
	rm "$BUNDLE/big"
	cfg '.hooks = {prestart: [{path: "/bin/true"}], createRuntime: [{path: "/bin/true"}],
		poststop: [{path: "/bin/true"}]}'
	cfg '.process.args = ["true"]'
	create_ctr
	[ "$(rt state "$CID" | jq -r .status)" = created ]
	rt start "$CID"
	wait_status "$CID" stopped
	rt delete "$CID"
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "hook timeout: a slow hook is killed and create fails" {
	cat >"$BUNDLE/slow.sh" <<-EOF
		#!/bin/sh
		echo \$\$ > "$BUNDLE/slow.pid"
		exec sleep 30
	EOF
	chmod 755 "$BUNDLE/slow.sh"
	cfg --arg p "$BUNDLE/slow.sh" '.hooks.prestart = [{path: $p, timeout: 1}]'
	start=$SECONDS
	run rt create --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[ $((SECONDS - start)) -lt 10 ]
	pid_gone "$(cat "$BUNDLE/slow.pid")"
	run rt state "$CID"
	[ "$status" -ne 0 ]
	[ -z "$(rt list -q)" ]
}

@test "a failing prestart, createRuntime or createContainer hook fails create, leaves nothing" {
	for kind in prestart createRuntime createContainer; do
		cp "$BUNDLE/config.json" "$BUNDLE/config.orig"
		rm -f "$SHARED/hooks.log"
		cfg --arg k "$kind" '.hooks[$k] = [{path: "/bin/false"}]'
		cfg --argjson ps "$(hook poststop)" '.hooks.poststop = [$ps]'
		cfg '.process.args = ["sh", "-c", "touch /shared/ran"]'
		run rt create --bundle "$BUNDLE" "$CID" </dev/null
		[ "$status" -ne 0 ]
		# spec: destroy the container (lifecycle step 12), then poststop
		[ "$(hooks_log)" = "poststop " ]
		run rt state "$CID"
		[ "$status" -ne 0 ]
		[ -z "$(rt list -q)" ]
		[ ! -e "$SHARED/ran" ]
		for p in /proc/[0-9]*; do
			[[ "$(readlink "$p/root" 2>/dev/null)" != "$BUNDLE"* ]]
		done
		mv "$BUNDLE/config.orig" "$BUNDLE/config.json"
	done
}

@test "a failing startContainer hook fails start, the process never runs" {
	cfg '.hooks.startContainer = [{path: "/bin/false"}]'
	cfg --argjson ps "$(hook poststop)" '.hooks.poststop = [$ps]'
	cfg '.process.args = ["sh", "-c", "touch /shared/ran"]'
	create_ctr
	run rt start "$CID"
	# runc's start returns 0 here: its init fails after start signalled it
	is_ocirun && [ "$status" -ne 0 ]
	sleep 0.2
	[ ! -e "$SHARED/ran" ]
	status_now="$(rt state "$CID" 2>/dev/null | jq -r .status || true)"
	[ "$status_now" != running ]
	if is_ocirun; then
		# spec: stop and destroy the container (step 12), then poststop
		run rt state "$CID"
		[ "$status" -ne 0 ]
		[ "$(hooks_log)" = "poststop " ]
	fi
}

@test "a failing poststop hook is logged and the remaining poststop hooks run" {
	is_ocirun || skip "runc skips the remaining poststop hooks"
	cfg --argjson ps "$(hook poststop2)" \
		'.hooks.poststop = [{path: "/bin/false"}, $ps]'
	cfg '.process.args = ["true"]'
	create_ctr
	rt start "$CID"
	wait_status "$CID" stopped
	run --separate-stderr rt delete "$CID"
	[ "$status" -eq 0 ]
	[ -n "$stderr" ]
	[ "$(hooks_log)" = "poststop2 " ]
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "a failing poststart hook is logged, the container keeps running" {
	is_ocirun || skip "runc runs poststart hooks during create"
	cfg --argjson p "$(hook poststart2)" \
		'.hooks.poststart = [{path: "/bin/false"}, $p]'
	cfg '.process.args = ["sleep", "100"]'
	create_ctr
	run --separate-stderr rt start "$CID"
	[ "$status" -eq 0 ]
	[ -n "$stderr" ]
	[ "$(hooks_log)" = "poststart2 " ]
	[ "$(rt state "$CID" | jq -r .status)" = running ]
}
