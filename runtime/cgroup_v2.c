/* cgroup v2 driver: the unified tree (/sys/fs/cgroup on pure v2 hosts,
 * /sys/fs/cgroup/unified on hybrid ones, where it carries no controllers
 * but still gives cgroup.kill, cgroup.freeze and cgroup.events).
 *
 * Devices: v2 has no devices files; on a pure v2 host the effective rule
 * list (the same as v1's: deny all, linux.resources.devices, the defaults)
 * becomes an eBPF program attached to the container's cgroup
 * (cgroup_bpf.c) in `apply`, before any process enters; `update` leaves it
 * alone.  On hybrid hosts the v1 devices controller does the filtering and
 * nothing is attached here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_bpf.h"
#include "cgroup_internal.h"
#include "ocifs/util.h"

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

/* Enables in the parent of dir every controller the parent has
 * (cgroup.controllers) and has not enabled yet (cgroup.subtree_control),
 * so that dir gets the controllers' files.  The container's own cgroup
 * never gets a subtree_control of its own (no internal processes).  On a
 * hybrid host the tree has no controllers and this writes nothing.  One
 * write for all; if the kernel refuses one (a controller busy elsewhere),
 * each is tried alone and the refused ones are left out: a limit that then
 * needs them fails in set_resources with its JSON path. */
static int v2_init_level(const struct cg_hier *h, const char *dir, ocifs_error *err)
{
	cleanup_free char *parent = NULL, *avail = NULL, *on = NULL, *want = NULL;
	size_t len = 0;
	char *slash, *save = NULL;
	ocifs_error ignored;

	if (strcmp(dir, h->mnt) == 0)
		return 0;
	parent = xstrdup(dir);
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	if (cg_read(parent, "cgroup.controllers", &avail, err) < 0)
		return err->code == ENOENT ? 0 : -1;
	if (cg_read(parent, "cgroup.subtree_control", &on, err) < 0)
		return err->code == ENOENT ? 0 : -1;
	want = xcalloc(1, strlen(avail) * 2 + 2);
	for (char *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		bool enabled = false;
		size_t cl = strlen(c);

		for (const char *p = on; (p = strstr(p, c)); p += cl)
			if ((p == on || p[-1] == ' ' || p[-1] == '\n') &&
			    (p[cl] == '\0' || p[cl] == ' ' || p[cl] == '\n'))
				enabled = true;
		if (!enabled)
			len += (size_t)sprintf(want + len, "%s+%s", len ? " " : "", c);
	}
	if (len == 0 || cg_write(parent, "cgroup.subtree_control", want, &ignored) == 0)
		return 0;
	save = NULL;
	for (char *c = strtok_r(want, " ", &save); c; c = strtok_r(NULL, " ", &save))
		cg_write(parent, "cgroup.subtree_control", c, &ignored);
	return 0;
}

/* ---- resources ---- */

#define RES "linux.resources"
#define MEM RES ".memory"
#define CPU RES ".cpu"
#define BLKIO RES ".blockIO"

static int not_on_v2(const char *jpath, ocifs_error *err)
{
	return ocifs_error_set(err, ENOTSUP, "%s: not supported on cgroup v2", jpath);
}

static int put_max(const char *dir, const char *file, int64_t v, const char *jpath,
		   ocifs_error *err)
{
	return v < 0 ? cg_put(dir, file, "max", jpath, err) : cg_put_int(dir, file, v, jpath, err);
}

/* OCI swap is memory+swap (the v1 memsw limit); v2's memory.swap.max is
 * swap alone.  -1 (unlimited) stays -1; so does an unset swap when the
 * memory limit is unlimited. */
static int v2_swap_value(const struct oci_memory_res *m, int64_t *out, ocifs_error *err)
{
	int64_t limit = m->has_limit ? m->limit : 0;

	if (m->swap == -1 || (limit == -1 && m->swap == 0)) {
		*out = -1;
		return 0;
	}
	if (m->swap == 0) {
		*out = 0;
		return 0;
	}
	if (limit <= 0)
		return ocifs_error_set(err, EINVAL,
				       MEM ".swap: needs memory.limit on cgroup v2 (swap is memory+swap)");
	if (m->swap < limit)
		return ocifs_error_set(err, EINVAL, MEM ".swap: below memory.limit");
	*out = m->swap - limit;
	return 0;
}

static int v2_memory(const char *dir, const struct oci_memory_res *m, bool update,
		     ocifs_error *err)
{
	int64_t swap = -1;

	if (m->has_kernel)
		return ocifs_error_set(err, ENOTSUP, MEM ".kernel: not supported by this kernel");
	if (m->has_kernel_tcp)
		return not_on_v2(MEM ".kernelTCP", err);
	if (m->has_swappiness)
		return not_on_v2(MEM ".swappiness", err);
	if (m->has_disable_oom_killer && m->disable_oom_killer)
		return not_on_v2(MEM ".disableOOMKiller", err);
	if (m->has_use_hierarchy && !m->use_hierarchy) /* v2 is always hierarchical */
		return not_on_v2(MEM ".useHierarchy", err);
	if (update && m->check_before_update && m->has_limit && m->limit > 0) {
		cleanup_free char *usage = NULL;

		if (cg_read(dir, "memory.current", &usage, err) < 0)
			return ocifs_error_prefix(err, MEM ".checkBeforeUpdate");
		if (strtoll(usage, NULL, 10) > m->limit)
			return ocifs_error_set(err, EBUSY,
					       MEM ".limit: %lld is below the current usage %s",
					       (long long)m->limit, usage);
	}
	if (m->has_swap && v2_swap_value(m, &swap, err) < 0)
		return -1;
	if (m->has_limit && put_max(dir, "memory.max", m->limit, MEM ".limit", err) < 0)
		return -1;
	if (m->has_swap && put_max(dir, "memory.swap.max", swap, MEM ".swap", err) < 0)
		return -1;
	if (m->has_reservation &&
	    put_max(dir, "memory.low", m->reservation, MEM ".reservation", err) < 0)
		return -1;
	return 0;
}

/* A v1 weight in lo..hi (clamped) to a v2 weight in 1..10000, linearly:
 * cpu.shares 2..262144 to cpu.weight, blkio.weight 10..1000 to io.weight. */
static int64_t v1_to_v2_weight(int64_t w, int64_t lo, int64_t hi)
{
	if (w < lo)
		w = lo;
	if (w > hi)
		w = hi;
	return 1 + ((w - lo) * 9999) / (hi - lo);
}


static int v2_cpu(const char *dir, const struct oci_cpu_res *c, ocifs_error *err)
{
	if ((c->has_realtime_runtime && c->realtime_runtime != 0) ||
	    (c->has_realtime_period && c->realtime_period != 0))
		return not_on_v2(CPU ".realtimeRuntime", err);
	if (c->has_shares && c->shares != 0 &&
	    cg_put_int(dir, "cpu.weight", v1_to_v2_weight(c->shares, 2, 262144), CPU ".shares",
		       err) < 0)
		return -1;
	/* cpu.max is "QUOTA PERIOD": what is not given is kept */
	if ((c->has_quota && c->quota != 0) || (c->has_period && c->period != 0)) {
		cleanup_free char *cur = NULL;
		char quota[32] = "max", period[32] = "100000", line[80];
		ocifs_error ignored;

		if (cg_read(dir, "cpu.max", &cur, &ignored) == 0)
			sscanf(cur, "%31s %31s", quota, period);
		if (c->has_quota && c->quota > 0)
			snprintf(quota, sizeof(quota), "%lld", (long long)c->quota);
		else if (c->has_quota && c->quota < 0)
			snprintf(quota, sizeof(quota), "max");
		if (c->has_period && c->period != 0)
			snprintf(period, sizeof(period), "%lld", (long long)c->period);
		snprintf(line, sizeof(line), "%s %s", quota, period);
		if (cg_put(dir, "cpu.max", line, c->has_quota ? CPU ".quota" : CPU ".period",
			   err) < 0)
			return -1;
	}
	if (c->has_burst && cg_put_int(dir, "cpu.max.burst", c->burst, CPU ".burst", err) < 0)
		return -1;
	if (c->has_idle && cg_put_int(dir, "cpu.idle", c->idle, CPU ".idle", err) < 0)
		return -1;
	if (c->cpus && cg_put(dir, "cpuset.cpus", c->cpus, CPU ".cpus", err) < 0)
		return -1;
	if (c->mems && cg_put(dir, "cpuset.mems", c->mems, CPU ".mems", err) < 0)
		return -1;
	return 0;
}


static int v2_io(const char *dir, const struct oci_blkio_res *io, ocifs_error *err)
{
	static const char *const keys[OCI_THROTTLE__COUNT] = { "rbps", "wbps", "riops", "wiops" };
	static const char *const names[OCI_THROTTLE__COUNT] = {
		"throttleReadBpsDevice", "throttleWriteBpsDevice",
		"throttleReadIOPSDevice", "throttleWriteIOPSDevice",
	};
	/* BFQ takes blkio's scale as it is; io.weight needs converting */
	bool bfq = cg_has_file(dir, "io.bfq.weight");
	const char *wfile = bfq ? "io.bfq.weight" : "io.weight";
	char jpath[96], buf[96];

	if (io->has_leaf_weight)
		return not_on_v2(BLKIO ".leafWeight", err);
	if (io->has_weight && io->weight != 0 &&
	    cg_put_int(dir, wfile, bfq ? io->weight : v1_to_v2_weight(io->weight, 10, 1000),
		       BLKIO ".weight", err) < 0)
		return -1;
	for (size_t i = 0; i < io->n_weight_devices; i++) {
		const struct oci_weight_device *d = &io->weight_devices[i];

		snprintf(jpath, sizeof(jpath), BLKIO ".weightDevice[%zu]", i);
		if (d->has_leaf_weight)
			return not_on_v2(jpath, err);
		if (!d->has_weight)
			continue;
		snprintf(buf, sizeof(buf), "%lld:%lld %lld", (long long)d->major,
			 (long long)d->minor,
			 (long long)(bfq ? d->weight : v1_to_v2_weight(d->weight, 10, 1000)));
		if (cg_put(dir, wfile, buf, jpath, err) < 0)
			return -1;
	}
	for (int k = 0; k < OCI_THROTTLE__COUNT; k++) {
		for (size_t i = 0; i < io->n_throttle[k]; i++) {
			const struct oci_throttle_device *d = &io->throttle[k][i];

			snprintf(jpath, sizeof(jpath), BLKIO ".%s[%zu]", names[k], i);
			if (d->rate == 0) /* 0 = no limit, as on v1 */
				snprintf(buf, sizeof(buf), "%lld:%lld %s=max", (long long)d->major,
					 (long long)d->minor, keys[k]);
			else
				snprintf(buf, sizeof(buf), "%lld:%lld %s=%lld", (long long)d->major,
					 (long long)d->minor, keys[k], (long long)d->rate);
			if (cg_put(dir, "io.max", buf, jpath, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* `unified`: each key is a file of the container's cgroup, written as is.
 * On a hybrid host the file must exist in the (controller-less) tree. */
static int v2_unified(const char *dir, const struct oci_resources *r, ocifs_error *err)
{
	char jpath[160];

	for (size_t i = 0; i < r->n_unified; i++) {
		const struct oci_kv *kv = &r->unified[i];

		snprintf(jpath, sizeof(jpath), RES ".unified[\"%.64s\"]", kv->key);
		if (!cg_has_file(dir, kv->key))
			return ocifs_error_set(err, ENOTSUP,
					       "%s: no such file in this host's cgroup v2 tree%s",
					       jpath, " (is its controller enabled?)");
		if (cg_put(dir, kv->key, kv->value, jpath, err) < 0)
			return -1;
	}
	return 0;
}

static int v2_set_resources(const struct cg_hier *h, const char *dir,
			    const struct oci_resources *r, bool update, ocifs_error *err)
{
	if (!r)
		return 0;
	/* hybrid: the v1 hierarchies carry the controllers */
	if (!h->unified_only)
		return v2_unified(dir, r, err);
	if (r->has_memory && v2_memory(dir, &r->memory, update, err) < 0)
		return -1;
	if (r->has_cpu && v2_cpu(dir, &r->cpu, err) < 0)
		return -1;
	if (r->has_pids && r->pids_limit != 0 && cg_put_pids(dir, r->pids_limit, err) < 0)
		return -1;
	if (r->has_blkio && v2_io(dir, &r->blkio, err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_hugepages; i++) {
		cleanup_free char *file = xasprintf("hugetlb.%s.max", r->hugepages[i].page_size);
		char jpath[80];

		snprintf(jpath, sizeof(jpath), RES ".hugepageLimits[%zu]", i);
		if (cg_put_int(dir, file, r->hugepages[i].limit, jpath, err) < 0)
			return -1;
	}
	if (r->has_class_id || r->n_net_priorities)
		return not_on_v2(RES ".network", err);
	for (size_t i = 0; i < r->n_rdma; i++) {
		cleanup_free char *line = cg_rdma_line(&r->rdma[i]);

		if (line && cg_put(dir, "rdma.max", line, RES ".rdma", err) < 0)
			return -1;
	}
	return v2_unified(dir, r, err);
}

/* The device filter of a pure v2 host (see the top of the file). */
static int v2_apply_devices(const char *dir, const struct oci_config *cfg, ocifs_error *err)
{
	cleanup_free struct oci_device_rule *rules = NULL;
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n;

	if (fd < 0)
		return ocifs_error_set(err, errno, "open %s", dir);
	n = cg_effective_device_rules(cfg, &rules);
	if (cgroup_bpf_devices_attach(fd, rules, n, err) < 0)
		return ocifs_error_prefix(err, "linux.resources.devices: %s", dir);
	return 0;
}

static int v2_apply(const struct cg_hier *h, const char *dir, const struct oci_config *cfg,
		    ocifs_error *err)
{
	if (h->unified_only && v2_apply_devices(dir, cfg, err) < 0)
		return -1;
	if (cfg && cfg->has_linux)
		return v2_set_resources(h, dir, cfg->lx.resources, false, err);
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
	.set_resources = v2_set_resources,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
	.kill = v2_kill,
	.populated = v2_populated,
};
