/* cgroup v1 driver: one hierarchy per mounted controller set.
 *
 * cpuset: a new cgroup starts with empty cpuset.cpus/cpuset.mems and
 * refuses tasks (ENOSPC) until they are filled, so each level inherits
 * its parent's.  devices: the container's allow-list is built as runc
 * and crun build it: "a" to devices.deny (deny everything), then
 * linux.resources.devices in listed order, then the default devices
 * (null, zero, full, random, urandom, tty, console, ptmx, pts, mknod of
 * anything).  The defaults come last so that the usual leading
 * {"allow": false, "access": "rwm"} rule does not take away /dev/null.
 * freezer: freezer.state FROZEN/THAWED, waiting for FREEZING to settle.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_internal.h"
#include "util.h"

#define FREEZE_TIMEOUT_MS 2000

static int v1_init_level(const struct cg_hier *h, const char *dir, ocifs_error *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	cleanup_free char *parent = NULL;
	char *slash;

	if (!cg_hier_has(h, "cpuset") || strcmp(dir, h->mnt) == 0)
		return 0;
	parent = xstrdup(dir);
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		cleanup_free char *mine = NULL, *theirs = NULL;

		if (cg_read(dir, files[i], &mine, err) < 0)
			return -1;
		if (mine[0])
			continue;
		if (cg_read(parent, files[i], &theirs, err) < 0 ||
		    cg_write(dir, files[i], theirs, err) < 0)
			return -1;
	}
	return 0;
}

/* "c 1:3 rwm", "b *:* m", "a" */
static void format_rule(const struct oci_device_rule *r, char *buf, size_t len)
{
	char type = r->type ? r->type : 'a';
	char maj[24], min[24];

	if (type == 'a') {
		snprintf(buf, len, "a");
		return;
	}
	if (r->major < 0)
		snprintf(maj, sizeof(maj), "*");
	else
		snprintf(maj, sizeof(maj), "%lld", (long long)r->major);
	if (r->minor < 0)
		snprintf(min, sizeof(min), "*");
	else
		snprintf(min, sizeof(min), "%lld", (long long)r->minor);
	snprintf(buf, len, "%c %s:%s %s", type, maj, min, r->access[0] ? r->access : "rwm");
}

static int write_rule(const char *dir, const struct oci_device_rule *r, ocifs_error *err)
{
	char buf[80];

	format_rule(r, buf, sizeof(buf));
	return cg_write(dir, r->allow ? "devices.allow" : "devices.deny", buf, err);
}

static int v1_apply_devices(const char *dir, const struct oci_config *cfg, ocifs_error *err)
{
	if (cg_write(dir, "devices.deny", "a", err) < 0)
		return -1;
	if (cfg && cfg->has_linux) {
		for (size_t i = 0; i < cfg->lx.n_device_rules; i++)
			if (write_rule(dir, &cfg->lx.device_rules[i], err) < 0)
				return ocifs_error_prefix(err, "linux.resources.devices[%zu]", i);
	}
	for (size_t i = 0; i < cg_n_default_device_rules; i++)
		if (write_rule(dir, &cg_default_device_rules[i], err) < 0)
			return ocifs_error_prefix(err, "default devices");
	return 0;
}

static int v1_apply(const struct cg_hier *h, const char *dir, const struct oci_config *cfg,
		    ocifs_error *err)
{
	if (cg_hier_has(h, "devices") && v1_apply_devices(dir, cfg, err) < 0)
		return -1;
	/* memory, cpu, pids, blkio, hugetlb ...: one branch each, later. */
	return 0;
}

static int v1_freeze(const struct cg_hier *h, const char *dir, bool frozen, ocifs_error *err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	long long deadline = now_ms() + FREEZE_TIMEOUT_MS;
	long nap = 1;

	if (!cg_hier_has(h, "freezer"))
		return 0;
	for (;;) {
		cleanup_free char *state = NULL;

		if (cg_write(dir, "freezer.state", want, err) < 0 ||
		    cg_read(dir, "freezer.state", &state, err) < 0)
			return -1;
		if (strcmp(state, want) == 0)
			return 1;
		if (now_ms() >= deadline) {
			if (frozen) {
				ocifs_error ignored;
				cg_write(dir, "freezer.state", "THAWED", &ignored);
			}
			return ocifs_error_set(err, EBUSY, "%s/freezer.state: still %s after %d ms",
					       dir, state, FREEZE_TIMEOUT_MS);
		}
		/* FREEZING: writing FROZEN again retries the tasks that were busy */
		cg_sleep_ms(nap);
		if (nap < 16)
			nap *= 2;
	}
}

static int v1_is_frozen(const struct cg_hier *h, const char *dir)
{
	cleanup_free char *state = NULL;
	ocifs_error err;

	if (!cg_hier_has(h, "freezer"))
		return -1;
	if (cg_read(dir, "freezer.state", &state, &err) < 0)
		return -1;
	return strcmp(state, "FROZEN") == 0;
}

static int v1_populated(const struct cg_hier *h, const char *dir, ocifs_error *err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0, cap = 0;

	(void)h;
	if (cg_collect_pids(dir, true, &pids, &n, &cap, err) < 0)
		return -1;
	return n > 0;
}

const struct cg_driver cg_driver_v1 = {
	.version = 1,
	.init_level = v1_init_level,
	.apply = v1_apply,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
	.kill = NULL, /* no cgroup.kill in v1 */
	.populated = v1_populated,
};
