/* cgroup v2 driver: the unified tree (/sys/fs/cgroup on pure v2 hosts,
 * /sys/fs/cgroup/unified on hybrid ones, where it carries no controllers
 * but still gives cgroup.kill, cgroup.freeze and cgroup.events).
 *
 * Devices: v2 has no devices files; the allow-list is an eBPF program
 * attached to the cgroup (BPF_CGROUP_DEVICE), not written yet.  On a pure
 * v2 host a device list that asks for more than the default is refused
 * rather than silently ignored.  On hybrid hosts the v1 devices
 * controller does the filtering.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_internal.h"
#include "util.h"

#define FREEZE_TIMEOUT_MS 2000

/* Value of `key` in a flat-keyed file such as cgroup.events, -1 if absent. */
static int events_value(const char *dir, const char *key, ocifs_error *err)
{
	cleanup_free char *buf = NULL;
	size_t klen = strlen(key);

	if (cg_read(dir, "cgroup.events", &buf, err) < 0)
		return -1;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return atoi(line + klen + 1);
		line = nl ? nl + 1 : NULL;
	}
	return ocifs_error_set(err, ENOENT, "%s/cgroup.events: no \"%s\"", dir, key);
}

static int v2_init_level(const struct cg_hier *h, const char *dir, ocifs_error *err)
{
	/* Later: enable the configured controllers in the parent's
	 * cgroup.subtree_control. */
	(void)h;
	(void)dir;
	(void)err;
	return 0;
}

static int v2_apply(const struct cg_hier *h, const char *dir, const struct oci_config *cfg,
		    ocifs_error *err)
{
	(void)dir;
	if (h->unified_only && !cg_device_rules_are_default(cfg)) {
		ocifs_error_set(err, 0, "linux.resources.devices: not supported on cgroup v2 yet");
		err->code = ENOTSUP;
		return -1;
	}
	/* memory.max, cpu.max, pids.max ...: later. */
	return 0;
}

static int v2_freeze(const struct cg_hier *h, const char *dir, bool frozen, ocifs_error *err)
{
	long long deadline = now_ms() + FREEZE_TIMEOUT_MS;
	long nap = 1;

	(void)h;
	if (cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0) {
		if (err->code == ENOENT && !frozen)
			return 0;
		/* no cgroup.freeze (kernel < 5.2): no freezer here */
		return err->code == ENOENT ? 0 : -1;
	}
	for (;;) {
		int v = events_value(dir, "frozen", err);
		if (v < 0)
			return -1;
		if (v == (frozen ? 1 : 0))
			return 1;
		if (now_ms() >= deadline) {
			if (frozen) {
				ocifs_error ignored;
				cg_write(dir, "cgroup.freeze", "0", &ignored);
			}
			return ocifs_error_set(err, EBUSY, "%s: not %s after %d ms", dir,
					       frozen ? "frozen" : "thawed", FREEZE_TIMEOUT_MS);
		}
		cg_sleep_ms(nap);
		if (nap < 16)
			nap *= 2;
	}
}

static int v2_is_frozen(const struct cg_hier *h, const char *dir)
{
	cleanup_free char *v = NULL;
	ocifs_error err;

	(void)h;
	if (cg_read(dir, "cgroup.freeze", &v, &err) < 0)
		return -1;
	return strcmp(v, "1") == 0;
}

static int v2_kill(const struct cg_hier *h, const char *dir, ocifs_error *err)
{
	(void)h;
	if (cg_write(dir, "cgroup.kill", "1", err) < 0)
		return err->code == ENOENT ? 0 : -1; /* kernel < 5.14 */
	return 1;
}

static int v2_populated(const struct cg_hier *h, const char *dir, ocifs_error *err)
{
	int v;

	(void)h;
	v = events_value(dir, "populated", err);
	return v < 0 ? -1 : v != 0;
}

const struct cg_driver cg_driver_v2 = {
	.version = 2,
	.init_level = v2_init_level,
	.apply = v2_apply,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
	.kill = v2_kill,
	.populated = v2_populated,
};
