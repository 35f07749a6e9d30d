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
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "ocifs/util.h"

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
	cleanup_free struct oci_device_rule *rules = NULL;
	size_t n = cg_effective_device_rules(cfg, &rules);
	size_t n_cfg = n - 1 - cg_n_default_device_rules;

	/* rules[0] is "deny everything", then the config's, then the defaults */
	for (size_t i = 0; i < n; i++) {
		if (write_rule(dir, &rules[i], err) == 0)
			continue;
		if (i == 0)
			return -1;
		if (i <= n_cfg)
			return ocifs_error_prefix(err, "linux.resources.devices[%zu]", i - 1);
		return ocifs_error_prefix(err, "default devices");
	}
	return 0;
}

/* ---- resources ---- */

#define MEM "linux.resources.memory"
#define CPU "linux.resources.cpu"
#define BLKIO "linux.resources.blockIO"

/* memory.limit_in_bytes and memory.memsw.limit_in_bytes (swap = memory +
 * swap): the kernel keeps memsw >= limit at every moment, so when the limit
 * goes up past the current memsw, memsw has to be written first. */
static int v1_memory_limits(const char *dir, const struct oci_memory_res *m, ocifs_error *err)
{
	ocifs_error first;

	if (!m->has_swap)
		return m->has_limit ? cg_put_int(dir, "memory.limit_in_bytes", m->limit,
						 MEM ".limit", err)
				    : 0;
	if (m->has_limit && cg_put_int(dir, "memory.limit_in_bytes", m->limit, MEM ".limit",
				       &first) == 0)
		return cg_put_int(dir, "memory.memsw.limit_in_bytes", m->swap, MEM ".swap", err);
	if (cg_put_int(dir, "memory.memsw.limit_in_bytes", m->swap, MEM ".swap", err) < 0)
		return -1;
	return m->has_limit ? cg_put_int(dir, "memory.limit_in_bytes", m->limit, MEM ".limit",
					 err)
			    : 0;
}

static int v1_memory(const char *dir, const struct oci_memory_res *m, bool update,
		     ocifs_error *err)
{
	if (m->has_kernel) /* gone from 6.x kernels; never silently ignored */
		return ocifs_error_set(err, ENOTSUP, MEM ".kernel: not supported by this kernel");
	if (update && m->check_before_update && m->has_limit && m->limit > 0) {
		cleanup_free char *usage = NULL;

		if (cg_read(dir, "memory.usage_in_bytes", &usage, err) < 0)
			return ocifs_error_prefix(err, MEM ".checkBeforeUpdate");
		if (strtoll(usage, NULL, 10) > m->limit)
			return ocifs_error_set(err, EBUSY,
					       MEM ".limit: %lld is below the current usage %s",
					       (long long)m->limit, usage);
	}
	if (m->has_use_hierarchy &&
	    cg_put(dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0",
		   MEM ".useHierarchy", err) < 0)
		return -1;
	if (v1_memory_limits(dir, m, err) < 0)
		return -1;
	if (m->has_reservation &&
	    cg_put_int(dir, "memory.soft_limit_in_bytes", m->reservation, MEM ".reservation",
		       err) < 0)
		return -1;
	if (m->has_kernel_tcp &&
	    cg_put_int(dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, MEM ".kernelTCP",
		       err) < 0)
		return -1;
	if (m->has_swappiness &&
	    cg_put_int(dir, "memory.swappiness", m->swappiness, MEM ".swappiness", err) < 0)
		return -1;
	if (m->has_disable_oom_killer && m->disable_oom_killer &&
	    cg_put(dir, "memory.oom_control", "1", MEM ".disableOOMKiller", err) < 0)
		return -1;
	return 0;
}

static int v1_cpu(const char *dir, const struct oci_cpu_res *c, ocifs_error *err)
{
	if (c->has_shares && cg_put_int(dir, "cpu.shares", c->shares, CPU ".shares", err) < 0)
		return -1;
	/* period first: the quota is checked against it */
	if (c->has_period &&
	    cg_put_int(dir, "cpu.cfs_period_us", c->period, CPU ".period", err) < 0)
		return -1;
	if (c->has_quota && cg_put_int(dir, "cpu.cfs_quota_us", c->quota, CPU ".quota", err) < 0)
		return -1;
	if (c->has_burst && cg_put_int(dir, "cpu.cfs_burst_us", c->burst, CPU ".burst", err) < 0)
		return -1;
	if (c->has_realtime_period &&
	    cg_put_int(dir, "cpu.rt_period_us", c->realtime_period, CPU ".realtimePeriod",
		       err) < 0)
		return -1;
	if (c->has_realtime_runtime &&
	    cg_put_int(dir, "cpu.rt_runtime_us", c->realtime_runtime, CPU ".realtimeRuntime",
		       err) < 0)
		return -1;
	if (c->has_idle && cg_put_int(dir, "cpu.idle", c->idle, CPU ".idle", err) < 0)
		return -1;
	return 0;
}

static int v1_cpuset(const char *dir, const struct oci_cpu_res *c, ocifs_error *err)
{
	if (c->cpus && cg_put(dir, "cpuset.cpus", c->cpus, CPU ".cpus", err) < 0)
		return -1;
	if (c->mems && cg_put(dir, "cpuset.mems", c->mems, CPU ".mems", err) < 0)
		return -1;
	return 0;
}

static int v1_blkio(const char *dir, const struct oci_blkio_res *io, ocifs_error *err)
{
	static const char *const throttle_files[OCI_THROTTLE__COUNT] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	};
	static const char *const throttle_keys[OCI_THROTTLE__COUNT] = {
		"throttleReadBpsDevice", "throttleWriteBpsDevice",
		"throttleReadIOPSDevice", "throttleWriteIOPSDevice",
	};
	/* CFQ's blkio.weight, or BFQ's blkio.bfq.weight on newer kernels */
	const char *wfile = cg_has_file(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
	char jpath[96], buf[96];

	if (io->has_weight && cg_put_int(dir, wfile, io->weight, BLKIO ".weight", err) < 0)
		return -1;
	if (io->has_leaf_weight &&
	    cg_put_int(dir, "blkio.leaf_weight", io->leaf_weight, BLKIO ".leafWeight", err) < 0)
		return -1;
	for (size_t i = 0; i < io->n_weight_devices; i++) {
		const struct oci_weight_device *d = &io->weight_devices[i];

		snprintf(jpath, sizeof(jpath), BLKIO ".weightDevice[%zu]", i);
		if (d->has_weight) {
			snprintf(buf, sizeof(buf), "%lld:%lld %lld", (long long)d->major,
				 (long long)d->minor, (long long)d->weight);
			if (cg_put(dir, strcmp(wfile, "blkio.weight") == 0 ? "blkio.weight_device"
									   : wfile,
				   buf, jpath, err) < 0)
				return -1;
		}
		if (d->has_leaf_weight) {
			snprintf(buf, sizeof(buf), "%lld:%lld %lld", (long long)d->major,
				 (long long)d->minor, (long long)d->leaf_weight);
			if (cg_put(dir, "blkio.leaf_weight_device", buf, jpath, err) < 0)
				return -1;
		}
	}
	for (int k = 0; k < OCI_THROTTLE__COUNT; k++) {
		for (size_t i = 0; i < io->n_throttle[k]; i++) {
			const struct oci_throttle_device *d = &io->throttle[k][i];

			snprintf(jpath, sizeof(jpath), BLKIO ".%s[%zu]", throttle_keys[k], i);
			snprintf(buf, sizeof(buf), "%lld:%lld %lld", (long long)d->major,
				 (long long)d->minor, (long long)d->rate);
			if (cg_put(dir, throttle_files[k], buf, jpath, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int v1_hugetlb(const char *dir, const struct oci_resources *r, ocifs_error *err)
{
	for (size_t i = 0; i < r->n_hugepages; i++) {
		cleanup_free char *file =
			xasprintf("hugetlb.%s.limit_in_bytes", r->hugepages[i].page_size);
		char jpath[80];

		snprintf(jpath, sizeof(jpath), "linux.resources.hugepageLimits[%zu]", i);
		if (cg_put_int(dir, file, r->hugepages[i].limit, jpath, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_net(const struct cg_hier *h, const char *dir, const struct oci_resources *r,
		  ocifs_error *err)
{
	if (cg_hier_has(h, "net_cls") && r->has_class_id &&
	    cg_put_int(dir, "net_cls.classid", r->class_id, "linux.resources.network.classID",
		       err) < 0)
		return -1;
	if (!cg_hier_has(h, "net_prio"))
		return 0;
	for (size_t i = 0; i < r->n_net_priorities; i++) {
		cleanup_free char *line = xasprintf("%s %s", r->net_priorities[i].key,
						    r->net_priorities[i].value);
		char jpath[80];

		snprintf(jpath, sizeof(jpath), "linux.resources.network.priorities[%zu]", i);
		if (cg_put(dir, "net_prio.ifpriomap", line, jpath, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_set_resources(const struct cg_hier *h, const char *dir,
			    const struct oci_resources *r, bool update, ocifs_error *err)
{
	if (!r)
		return 0;
	if (r->has_memory && cg_hier_has(h, "memory") && v1_memory(dir, &r->memory, update, err) < 0)
		return -1;
	if (r->has_cpu && cg_hier_has(h, "cpu") && v1_cpu(dir, &r->cpu, err) < 0)
		return -1;
	if (r->has_cpu && cg_hier_has(h, "cpuset") && v1_cpuset(dir, &r->cpu, err) < 0)
		return -1;
	/* pids.limit 0 leaves the limit as it is (runc does the same) */
	if (r->has_pids && r->pids_limit != 0 && cg_hier_has(h, "pids") &&
	    cg_put_pids(dir, r->pids_limit, err) < 0)
		return -1;
	if (r->has_blkio && cg_hier_has(h, "blkio") && v1_blkio(dir, &r->blkio, err) < 0)
		return -1;
	if (cg_hier_has(h, "hugetlb") && v1_hugetlb(dir, r, err) < 0)
		return -1;
	if (v1_net(h, dir, r, err) < 0)
		return -1;
	for (size_t i = 0; cg_hier_has(h, "rdma") && i < r->n_rdma; i++) {
		cleanup_free char *line = cg_rdma_line(&r->rdma[i]);

		if (line && cg_put(dir, "rdma.max", line, "linux.resources.rdma", err) < 0)
			return -1;
	}
	return 0;
}

static int v1_apply(const struct cg_hier *h, const char *dir, const struct oci_config *cfg,
		    ocifs_error *err)
{
	if (cg_hier_has(h, "devices") && v1_apply_devices(dir, cfg, err) < 0)
		return -1;
	if (cfg && cfg->has_linux)
		return v1_set_resources(h, dir, cfg->lx.resources, false, err);
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
	.set_resources = v1_set_resources,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
	.kill = NULL, /* no cgroup.kill in v1 */
	.populated = v1_populated,
};
