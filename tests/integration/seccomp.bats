#!/usr/bin/env bats
# linux.seccomp (config-linux.md "Seccomp"): the filter applies to the
# container process and to exec'd processes; actions, errnoRet, argument
# comparisons, a refused action, and SCMP_ACT_NOTIFY reaching a listener.

bats_require_minimum_version 1.5.0
load helpers

: "${SECCOMP_LISTENER:=$OCIFS_BUILD/tests/seccomp_listener}"

setup() {
	setup_bundle
	LISTENER_PID=
	# a writable /tmp: the root is read-only
	cfg '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev"]}]'
}

teardown() {
	if [ -n "$LISTENER_PID" ]; then
		kill "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
	fi
	teardown_bundle
}

run_ctr() {
	run --separate-stderr rt run --bundle "$BUNDLE" "$CID" </dev/null
}

# mkdir and mkdirat fail with errno $1; everything else is allowed
deny_mkdir() {
	cfg --argjson e "$1" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"syscalls": [{"names": ["mkdir", "mkdirat", "no_such_syscall_ocifs"],
			"action": "SCMP_ACT_ERRNO", "errnoRet": $e}]}'
}

@test "seccomp: a rule makes mkdir fail with the configured errno, other calls work" {
	deny_mkdir 13
	cfg '.process.args = ["sh", "-c", "mkdir /tmp/d; echo rc=$?; echo hello; ls -d /tmp"]'
	run_ctr
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"Permission denied"* ]]
	[ "${lines[0]}" = rc=1 ]
	[ "${lines[1]}" = hello ]
	[ "${lines[2]}" = /tmp ]
}

@test "seccomp: errnoRet 1 gives EPERM; ERRNO without errnoRet is EPERM too" {
	deny_mkdir 1
	cfg '.process.args = ["mkdir", "/tmp/d"]'
	run_ctr
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Operation not permitted"* ]]
	cfg 'del(.linux.seccomp.syscalls[0].errnoRet)'
	CID="${CID}b" run_ctr
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Operation not permitted"* ]]
}

@test "seccomp: defaultAction SCMP_ACT_ERRNO with an allow-list" {
	# everything a busybox sh running echo needs, and not mkdir (the second
	# half is for runc, whose Go runtime makes more calls after loading)
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
		"syscalls": [{"names": ["execve", "brk", "mmap", "munmap", "mprotect",
			"arch_prctl", "set_tid_address", "set_robust_list", "rseq",
			"prlimit64", "getuid", "geteuid", "getgid", "getegid", "getpid",
			"getppid", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
			"write", "writev", "read", "exit", "exit_group", "ioctl",
			"fcntl", "close", "open", "openat", "stat", "newfstatat", "fstat",
			"lstat", "statx", "uname", "getcwd", "access", "readlink",
			"wait4", "clone", "fork", "vfork", "dup2", "capset", "sendmsg",
			"getrandom", "sysinfo", "lseek", "futex", "poll",
			"nanosleep", "sched_yield", "sigaltstack", "gettid", "tgkill",
			"madvise", "close_range", "getdents64", "pipe2", "epoll_pwait",
			"epoll_ctl", "epoll_create1", "fstatfs", "prctl", "setgroups",
			"setresuid", "setresgid", "capget", "openat2", "faccessat2"],
			"action": "SCMP_ACT_ALLOW"}]}'
	cfg '.process.args = ["sh", "-c", "echo allowed; mkdir /tmp/d 2>&1; echo done"]'
	run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = allowed ]
	[[ "${lines[1]}" == *"Function not implemented"* ]]
	[ "${lines[2]}" = done ]
}

@test "seccomp: an argument comparison (socket with domain AF_INET6 only)" {
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
			"args": [{"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]}]}'
	# AF_INET6 (10) is refused with EAFNOSUPPORT; an AF_INET socket is made
	# (connecting fails later: the new network namespace has no route)
	cfg '.process.args = ["sh", "-c", "nc ::1 1 2>&1; echo; nc 127.0.0.1 1 2>&1"]'
	run_ctr
	[ "$status" -ne 0 ]
	[[ "${lines[0]}" == *"socket: Address family not supported"* ]]
	[[ "${lines[1]}" == *"127.0.0.1"* ]]
	[[ "${lines[1]}" != *"not supported"* ]]
}

@test "seccomp: SCMP_CMP_MASKED_EQ and an OR of the same argument" {
	# personality(PER_LINUX32 = 8) is refused; socket(AF_INET or AF_INET6)
	# is refused, socket(AF_NETLINK) is not
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
			"args": [{"index": 0, "value": 255, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]},
			{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
			"args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
				 {"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]}]}'
	cfg '.process.args = ["sh", "-c", "linux32 true; echo p=$?; nc 127.0.0.1 1 2>&1; nc ::1 1 2>&1; ip link show lo"]'
	run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = p=1 ]
	[[ "$stderr" == *"Invalid argument"* ]]
	[[ "${lines[1]}" == *"socket: Address family not supported"* ]]
	[[ "${lines[2]}" == *"socket: Address family not supported"* ]]
	[[ "${lines[3]}" == *"lo:"* ]]
}

@test "seccomp: SCMP_ACT_KILL_PROCESS ends the process with SIGSYS (exit 159)" {
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	cfg '.process.args = ["mkdir", "/tmp/d"]'
	run_ctr
	[ "$status" -eq 159 ]
}

@test "seccomp: noNewPrivileges false and CAP_SYS_ADMIN dropped: loaded, and not kept" {
	deny_mkdir 13
	cfg '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}'
	cfg '.process.args = ["sh", "-c", "grep -E \"^(CapEff|CapPrm|NoNewPrivs|Seccomp):\" /proc/self/status; mkdir /tmp/d; echo rc=$?"]'
	run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"CapEff:	0000000000000000"* ]]
	[[ "$output" == *"CapPrm:	0000000000000000"* ]]
	[[ "$output" == *"NoNewPrivs:	0"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *"rc=1"* ]]
}

@test "seccomp: exec'd processes are filtered too" {
	deny_mkdir 13
	cfg '.process.args = ["sleep", "100"]'
	start_bg "$CID"
	run --separate-stderr rt exec "$CID" mkdir /tmp/d
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Permission denied"* ]]
	run rt exec "$CID" sh -c 'echo exec-ok; grep ^Seccomp: /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exec-ok ]
	[[ "${lines[1]}" == *2 ]]
}

@test "seccomp: a bad action is refused at create with the JSON path" {
	is_ocirun || skip "ocirun's own message"
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["rmdir"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["chdir"], "action": "SCMP_ACT_FOO"}]}'
	run create_ctr
	[ "$status" -ne 0 ]
	grep -q 'linux.seccomp.syscalls\[2\].action: unknown action "SCMP_ACT_FOO"' "$BUNDLE/stderr"
	[ -z "$(rt list -q)" ]
}

@test "seccomp: SCMP_ACT_NOTIFY reaches the listener with the seccomp state" {
	local sock="$BUNDLE/agent.sock" st="$BUNDLE/agent.state"
	"$SECCOMP_LISTENER" "$sock" "$st" 95 3>&- &
	LISTENER_PID=$!
	wait_file "$sock"
	cfg --arg s "$sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": $s, "listenerMetadata": "meta-42",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	cfg '.process.args = ["sh", "-c", "mkdir /tmp/d; echo rc=$?"]'
	run_ctr
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"Not supported"* ]] || [[ "$stderr" == *"not supported"* ]]
	[ "${lines[0]}" = rc=1 ]
	jq -e --arg id "$CID" '.ociVersion and .fds == ["seccompFd"] and .metadata == "meta-42"
		and .pid > 0 and .state.id == $id' "$st"
	grep -q '^nr ' "$st.log"
}

@test "seccomp: a compiled filter is cached per profile and the cached one still filters" {
	is_ocirun || skip "ocirun's cache"
	deny_mkdir 13
	cfg '.process.args = ["sh", "-c", "mkdir /tmp/d 2>&1; echo rc=$?"]'
	run_ctr
	[ "${lines[1]}" = rc=1 ]
	entries=("$ROOT"/.cache/seccomp/*.bpf)
	[ "${#entries[@]}" -eq 1 ]
	[ "$(stat -c %a "${entries[0]}")" = 600 ]
	head -n1 "${entries[0]}" | grep -q '^ocifs-seccomp-cache 1 libseccomp '
	before="$(stat -c %Y.%i "${entries[0]}")"
	# the same profile again: served from the cache (not rewritten), same effect
	CID="${CID}b" run_ctr
	[[ "${lines[0]}" == *"Permission denied"* ]]
	[ "${lines[1]}" = rc=1 ]
	[ "$(stat -c %Y.%i "${entries[0]}")" = "$before" ]
	# another errno: another profile, another entry, its own effect
	deny_mkdir 1
	CID="${CID}c" run_ctr
	[[ "${lines[0]}" == *"Operation not permitted"* ]]
	[ "$(ls "$ROOT"/.cache/seccomp | wc -l)" -eq 2 ]
	# the cache is not a container
	[ -z "$(rt list -q)" ]
}

@test "seccomp: a cache entry whose key does not match is ignored and rewritten" {
	is_ocirun || skip "ocirun's cache"
	deny_mkdir 13
	cfg '.process.args = ["sh", "-c", "mkdir /tmp/d 2>&1; echo rc=$?"]'
	run_ctr
	entry="$(ls "$ROOT"/.cache/seccomp/*.bpf)"
	# same file name, another key: as after a hash collision
	sed -i '1s/libseccomp/libseccomX/' "$entry"
	CID="${CID}b" run_ctr
	[[ "${lines[0]}" == *"Permission denied"* ]]
	head -n1 "$entry" | grep -q 'libseccomp '
}
