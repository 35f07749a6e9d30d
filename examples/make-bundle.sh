#!/bin/bash
# make-bundle.sh — build an OCI bundle with a busybox root filesystem.
#
#   examples/make-bundle.sh DIR [-- ARGS...]
#
# Makes DIR/rootfs from Debian's busybox-static (/bin/busybox plus a symlink
# in /bin for every applet it provides, a minimal /etc) and DIR/config.json:
# the same configuration `runc spec` writes (namespaces, mounts, masked and
# read-only paths, capabilities, a read-only root) except that the process has
# no terminal, runs ARGS (default: sh) and the hostname is "ocifs".
# Running it again on the same DIR gives the same result.
set -euo pipefail

usage() {
	echo "usage: $0 DIR [-- ARGS...]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
case "$1" in -h | --help) usage ;; esac
dir="$1"
shift
if [ $# -gt 0 ]; then
	[ "$1" = "--" ] || usage
	shift
fi
[ $# -gt 0 ] || set -- sh

busybox="${BUSYBOX:-/bin/busybox}"
die() {
	echo "make-bundle.sh: $*" >&2
	exit 1
}
command -v jq >/dev/null || die "jq is missing: apt-get install jq"
[ -x "$busybox" ] || die "$busybox is missing: apt-get install busybox-static"
# Debian's dynamically linked "busybox" package also installs /bin/busybox,
# but that one cannot run in a rootfs without a libc.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked: apt-get install busybox-static"
fi

rootfs="$dir/rootfs"
mkdir -p "$rootfs"
for d in bin sbin usr/bin usr/sbin etc proc sys dev tmp root home/user \
	run var/tmp mnt; do
	mkdir -p "$rootfs/$d"
done
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chmod 700 "$rootfs/root"

install -m 0755 "$busybox" "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
	[ "$applet" = busybox ] && continue
	ln -sfn busybox "$rootfs/bin/$applet"
done

cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
user:x:1000:
EOF
chown 1000:1000 "$rootfs/home/user"
echo ocifs >"$rootfs/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$rootfs/etc/hosts"

# The runtime-spec configuration: `runc spec`'s defaults with terminal false,
# hostname "ocifs" and the given arguments.
args_json="$(jq -cn '$ARGS.positional' --args -- "$@")"
jq --argjson args "$args_json" '.process.args = $args' >"$dir/config.json.tmp" <<'EOF'
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "sh" ],
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm"
    ],
    "cwd": "/",
    "capabilities": {
      "bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
    },
    "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": true },
  "hostname": "ocifs",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                   "mode=0620", "gid=5" ] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
      "options": [ "nosuid", "noexec", "nodev" ] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": [ "nosuid", "noexec", "nodev", "ro" ] },
    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
      "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] }
  ],
  "linux": {
    "resources": {
      "devices": [ { "allow": false, "access": "rwm" } ]
    },
    "namespaces": [
      { "type": "pid" },
      { "type": "network" },
      { "type": "ipc" },
      { "type": "uts" },
      { "type": "mount" }
    ],
    "maskedPaths": [
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
      "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
    ],
    "readonlyPaths": [
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
    ]
  }
}
EOF
mv "$dir/config.json.tmp" "$dir/config.json"
echo "bundle ready: $dir"
