/* A default config.json, as `ocirun spec` writes it (like `runc spec`).
 *
 * The rootless variant follows `runc spec --rootless`: a user namespace
 * mapping the caller's uid and gid to 0, no network namespace (the host's is
 * kept), /sys bind-mounted read-only instead of a new sysfs, no cgroup mount,
 * no gid=5 on devpts and no linux.resources.
 *
 * linux.resources carries only the device rule: the other resource limits
 * are not applied by this build and would be refused.
 */
#include <stdbool.h>
#include <unistd.h>

#include <jansson.h>

#include "ocifs/engine.h"
#include "ocifs/util.h"

static const char *const default_caps[] = {
	"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
};

static const char *const masked_paths[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/sys/firmware", "/proc/scsi",
};

static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

#define STRINGS(...) \
	strings((const char *const[]){ __VA_ARGS__ }, \
		sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static json_t *mount(const char *dest, const char *type, const char *src,
		     json_t *options)
{
	json_t *m = json_pack("{s:s,s:s,s:s}", "destination", dest,
			      "type", type, "source", src);

	if (options)
		json_object_set_new(m, "options", options);
	return m;
}

static json_t *process(void)
{
	json_t *caps = json_object();

	json_object_set_new(caps, "bounding", strings(default_caps, ARRAY_SIZE(default_caps)));
	json_object_set_new(caps, "effective", strings(default_caps, ARRAY_SIZE(default_caps)));
	json_object_set_new(caps, "permitted", strings(default_caps, ARRAY_SIZE(default_caps)));

	return json_pack("{s:b,s:{s:i,s:i},s:o,s:o,s:s,s:o,s:[{s:s,s:i,s:i}],s:b}",
			 "terminal", 1,
			 "user", "uid", 0, "gid", 0,
			 "args", STRINGS("sh"),
			 "env", STRINGS("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
					"TERM=xterm"),
			 "cwd", "/",
			 "capabilities", caps,
			 "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
			 "noNewPrivileges", 1);
}

static json_t *mounts(bool rootless)
{
	json_t *a = json_array();
	json_t *devpts_opts = STRINGS("nosuid", "noexec", "newinstance",
				      "ptmxmode=0666", "mode=0620");

	if (!rootless)
		json_array_append_new(devpts_opts, json_string("gid=5"));

	json_array_append_new(a, mount("/proc", "proc", "proc", NULL));
	json_array_append_new(a, mount("/dev", "tmpfs", "tmpfs",
				       STRINGS("nosuid", "strictatime", "mode=755", "size=65536k")));
	json_array_append_new(a, mount("/dev/pts", "devpts", "devpts", devpts_opts));
	json_array_append_new(a, mount("/dev/shm", "tmpfs", "shm",
				       STRINGS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
	json_array_append_new(a, mount("/dev/mqueue", "mqueue", "mqueue",
				       STRINGS("nosuid", "noexec", "nodev")));
	if (rootless) {
		json_array_append_new(a, mount("/sys", "none", "/sys",
					       STRINGS("rbind", "nosuid", "noexec", "nodev", "ro")));
	} else {
		json_array_append_new(a, mount("/sys", "sysfs", "sysfs",
					       STRINGS("nosuid", "noexec", "nodev", "ro")));
		json_array_append_new(a, mount("/sys/fs/cgroup", "cgroup", "cgroup",
					       STRINGS("nosuid", "noexec", "nodev", "relatime", "ro")));
	}
	return a;
}

static json_t *namespaces(bool rootless)
{
	json_t *a = json_array();
	const char *const rootful[] = { "pid", "network", "ipc", "uts", "mount", "cgroup" };
	const char *const unpriv[] = { "pid", "ipc", "uts", "mount", "cgroup", "user" };
	const char *const *v = rootless ? unpriv : rootful;
	size_t n = rootless ? ARRAY_SIZE(unpriv) : ARRAY_SIZE(rootful);

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s}", "type", v[i]));
	return a;
}

static json_t *linux_section(bool rootless)
{
	json_t *lx = json_object();

	if (!rootless)
		json_object_set_new(lx, "resources",
				    json_pack("{s:[{s:b,s:s}]}", "devices",
					      "allow", 0, "access", "rwm"));
	else {
		json_object_set_new(lx, "uidMappings",
				    json_pack("[{s:i,s:I,s:i}]", "containerID", 0,
					      "hostID", (json_int_t)geteuid(), "size", 1));
		json_object_set_new(lx, "gidMappings",
				    json_pack("[{s:i,s:I,s:i}]", "containerID", 0,
					      "hostID", (json_int_t)getegid(), "size", 1));
	}
	json_object_set_new(lx, "namespaces", namespaces(rootless));
	json_object_set_new(lx, "maskedPaths", strings(masked_paths, ARRAY_SIZE(masked_paths)));
	json_object_set_new(lx, "readonlyPaths", strings(readonly_paths, ARRAY_SIZE(readonly_paths)));
	return lx;
}

char *ocifs_spec_json(bool rootless)
{
	json_t *doc = json_object();
	char *text;

	json_object_set_new(doc, "ociVersion", json_string(OCIFS_OCI_VERSION));
	json_object_set_new(doc, "process", process());
	json_object_set_new(doc, "root", json_pack("{s:s,s:b}", "path", "rootfs", "readonly", 1));
	json_object_set_new(doc, "hostname", json_string("ocifs"));
	json_object_set_new(doc, "mounts", mounts(rootless));
	json_object_set_new(doc, "linux", linux_section(rootless));

	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}
