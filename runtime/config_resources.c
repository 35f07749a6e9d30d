/* linux.resources of config.json, other than "devices" (config_linux.c):
 * memory, cpu, pids, blockIO, hugepageLimits, network, rdma, unified
 * (config-linux.md "Control groups").  Also the standalone parser used by
 * `update` for a resources object.  Every error names its JSON path,
 * "linux.resources.memory.limit: must be an integer".  What the host can
 * apply is decided by the cgroup drivers, not here.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ocifs/config.h"
#include "ocifs/util.h"

#include "config_internal.h"

#define RES "linux.resources"
#define U16_MAX 65535LL
#define U32_MAX 4294967295LL

/* An optional integer member; *has tells whether it was there. */
static int opt_int(json_t *o, const char *base, const char *key, int64_t min, int64_t max,
		   bool *has, int64_t *out, ocifs_error *err)
{
	return cfg_int(o, base, key, false, min, max, has, out, err);
}

static int opt_bool(json_t *o, const char *base, const char *key, bool *has, bool *out,
		    ocifs_error *err)
{
	json_t *v = json_object_get(o, key);

	*has = v && !json_is_null(v);
	return cfg_bool(o, base, key, out, err);
}

static int parse_memory(json_t *res, struct oci_resources *r, ocifs_error *err)
{
	const char *b = RES ".memory";
	struct oci_memory_res *m = &r->memory;
	json_t *o;

	if (cfg_object(res, RES, "memory", &o, err) < 0)
		return -1;
	if (!o)
		return 0;
	r->has_memory = true;
	if (opt_int(o, b, "limit", -1, INT64_MAX, &m->has_limit, &m->limit, err) < 0 ||
	    opt_int(o, b, "reservation", -1, INT64_MAX, &m->has_reservation, &m->reservation,
		    err) < 0 ||
	    opt_int(o, b, "swap", -1, INT64_MAX, &m->has_swap, &m->swap, err) < 0 ||
	    opt_int(o, b, "kernel", -1, INT64_MAX, &m->has_kernel, &m->kernel, err) < 0 ||
	    opt_int(o, b, "kernelTCP", -1, INT64_MAX, &m->has_kernel_tcp, &m->kernel_tcp,
		    err) < 0 ||
	    opt_int(o, b, "swappiness", 0, 100, &m->has_swappiness, &m->swappiness, err) < 0 ||
	    opt_bool(o, b, "disableOOMKiller", &m->has_disable_oom_killer,
		     &m->disable_oom_killer, err) < 0 ||
	    opt_bool(o, b, "useHierarchy", &m->has_use_hierarchy, &m->use_hierarchy, err) < 0 ||
	    opt_bool(o, b, "checkBeforeUpdate", &m->has_check_before_update,
		     &m->check_before_update, err) < 0)
		return -1;
	/* swap is memory+swap: below the memory limit it means nothing */
	if (m->has_limit && m->has_swap && m->limit > 0 && m->swap > 0 && m->swap < m->limit)
		return ocifs_error_set(err, 0,
				       "%s.swap: %lld is below memory.limit %lld (swap is memory+swap)",
				       b, (long long)m->swap, (long long)m->limit);
	return 0;
}

static int parse_cpu(json_t *res, struct oci_resources *r, ocifs_error *err)
{
	const char *b = RES ".cpu";
	struct oci_cpu_res *c = &r->cpu;
	json_t *o;

	if (cfg_object(res, RES, "cpu", &o, err) < 0)
		return -1;
	if (!o)
		return 0;
	r->has_cpu = true;
	if (opt_int(o, b, "shares", 0, INT64_MAX, &c->has_shares, &c->shares, err) < 0 ||
	    opt_int(o, b, "quota", -1, INT64_MAX, &c->has_quota, &c->quota, err) < 0 ||
	    opt_int(o, b, "burst", 0, INT64_MAX, &c->has_burst, &c->burst, err) < 0 ||
	    opt_int(o, b, "period", 0, INT64_MAX, &c->has_period, &c->period, err) < 0 ||
	    opt_int(o, b, "realtimeRuntime", -1, INT64_MAX, &c->has_realtime_runtime,
		    &c->realtime_runtime, err) < 0 ||
	    opt_int(o, b, "realtimePeriod", 0, INT64_MAX, &c->has_realtime_period,
		    &c->realtime_period, err) < 0 ||
	    cfg_string(o, b, "cpus", false, &c->cpus, err) < 0 ||
	    cfg_string(o, b, "mems", false, &c->mems, err) < 0 ||
	    opt_int(o, b, "idle", 0, 1, &c->has_idle, &c->idle, err) < 0)
		return -1;
	/* "" leaves the cpuset alone, as runc does */
	if (c->cpus && !c->cpus[0]) {
		free(c->cpus);
		c->cpus = NULL;
	}
	if (c->mems && !c->mems[0]) {
		free(c->mems);
		c->mems = NULL;
	}
	return 0;
}

static int parse_pids(json_t *res, struct oci_resources *r, ocifs_error *err)
{
	json_t *o;

	if (cfg_object(res, RES, "pids", &o, err) < 0)
		return -1;
	if (!o)
		return 0;
	if (cfg_int(o, RES ".pids", "limit", true, INT64_MIN, INT64_MAX, NULL, &r->pids_limit,
		    err) < 0)
		return -1;
	r->has_pids = true;
	return 0;
}

/* Array `key` of objects under `base`: allocates n elements of `size` and
 * calls one() on each with its path. */
typedef int (*elem_fn)(json_t *v, const char *path, void *elem, ocifs_error *err);

static int parse_array(json_t *o, const char *base, const char *key, size_t size, void **out,
		       size_t *n, elem_fn one, ocifs_error *err)
{
	char abase[CFG_PATH_MAX], path[CFG_PATH_MAX];
	json_t *arr, *v;
	size_t i;

	if (cfg_array(o, base, key, &arr, err) < 0)
		return -1;
	if (!arr || json_array_size(arr) == 0)
		return 0;
	cfg_path_key(abase, base, key);
	*out = xcalloc(json_array_size(arr), size);
	json_array_foreach (arr, i, v) {
		cfg_path_idx(path, abase, i);
		if (!json_is_object(v))
			return ocifs_error_set(err, 0, "%s: must be an object", path);
		(*n)++;
		if (one(v, path, (char *)*out + i * size, err) < 0)
			return -1;
	}
	return 0;
}

static int dev_ids(json_t *v, const char *path, int64_t *major, int64_t *minor,
		   ocifs_error *err)
{
	return cfg_int(v, path, "major", true, 0, U32_MAX, NULL, major, err) < 0 ||
			       cfg_int(v, path, "minor", true, 0, U32_MAX, NULL, minor, err) < 0
		       ? -1
		       : 0;
}

static int parse_weight_dev(json_t *v, const char *path, void *elem, ocifs_error *err)
{
	struct oci_weight_device *d = elem;

	if (dev_ids(v, path, &d->major, &d->minor, err) < 0 ||
	    opt_int(v, path, "weight", 0, U16_MAX, &d->has_weight, &d->weight, err) < 0 ||
	    opt_int(v, path, "leafWeight", 0, U16_MAX, &d->has_leaf_weight, &d->leaf_weight,
		    err) < 0)
		return -1;
	return 0;
}

static int parse_throttle_dev(json_t *v, const char *path, void *elem, ocifs_error *err)
{
	struct oci_throttle_device *d = elem;

	if (dev_ids(v, path, &d->major, &d->minor, err) < 0 ||
	    cfg_int(v, path, "rate", true, 0, INT64_MAX, NULL, &d->rate, err) < 0)
		return -1;
	return 0;
}

static int parse_blkio(json_t *res, struct oci_resources *r, ocifs_error *err)
{
	static const char *const throttle_keys[OCI_THROTTLE__COUNT] = {
		"throttleReadBpsDevice", "throttleWriteBpsDevice",
		"throttleReadIOPSDevice", "throttleWriteIOPSDevice",
	};
	const char *b = RES ".blockIO";
	struct oci_blkio_res *io = &r->blkio;
	json_t *o;

	if (cfg_object(res, RES, "blockIO", &o, err) < 0)
		return -1;
	if (!o)
		return 0;
	r->has_blkio = true;
	if (opt_int(o, b, "weight", 0, U16_MAX, &io->has_weight, &io->weight, err) < 0 ||
	    opt_int(o, b, "leafWeight", 0, U16_MAX, &io->has_leaf_weight, &io->leaf_weight,
		    err) < 0 ||
	    parse_array(o, b, "weightDevice", sizeof(struct oci_weight_device),
			(void **)&io->weight_devices, &io->n_weight_devices, parse_weight_dev,
			err) < 0)
		return -1;
	for (int k = 0; k < OCI_THROTTLE__COUNT; k++)
		if (parse_array(o, b, throttle_keys[k], sizeof(struct oci_throttle_device),
				(void **)&io->throttle[k], &io->n_throttle[k], parse_throttle_dev,
				err) < 0)
			return -1;
	return 0;
}

/* "64KB", "2MB", "1GB": what the kernel names its hugetlb files with. */
static bool page_size_valid(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	return digits > 0 && digits < 8 && s[0] != '0' &&
	       (strcmp(s + digits, "KB") == 0 || strcmp(s + digits, "MB") == 0 ||
		strcmp(s + digits, "GB") == 0);
}

static int parse_hugepage(json_t *v, const char *path, void *elem, ocifs_error *err)
{
	char ppath[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	struct oci_hugepage_limit *h = elem;

	if (cfg_string(v, path, "pageSize", true, &h->page_size, err) < 0)
		return -1;
	if (!page_size_valid(h->page_size)) {
		cfg_path_key(ppath, path, "pageSize");
		return ocifs_error_set(err, 0, "%s: %s must be a size such as \"2MB\" or \"1GB\"",
				       ppath, cfg_q(q, h->page_size));
	}
	return cfg_int(v, path, "limit", true, 0, INT64_MAX, NULL, &h->limit, err);
}

static int parse_priority(json_t *v, const char *path, void *elem, ocifs_error *err)
{
	char ppath[CFG_PATH_MAX];
	struct oci_kv *kv = elem;
	int64_t prio;

	if (cfg_string(v, path, "name", true, &kv->key, err) < 0 ||
	    cfg_int(v, path, "priority", true, 0, U32_MAX, NULL, &prio, err) < 0)
		return -1;
	if (!kv->key[0] || strpbrk(kv->key, " \t\n/")) {
		cfg_path_key(ppath, path, "name");
		return ocifs_error_set(err, 0, "%s: not an interface name", ppath);
	}
	kv->value = xasprintf("%lld", (long long)prio);
	return 0;
}

static int parse_network(json_t *res, struct oci_resources *r, ocifs_error *err)
{
	const char *b = RES ".network";
	json_t *o;

	if (cfg_object(res, RES, "network", &o, err) < 0)
		return -1;
	if (!o)
		return 0;
	return opt_int(o, b, "classID", 0, U32_MAX, &r->has_class_id, &r->class_id, err) < 0 ||
			       parse_array(o, b, "priorities", sizeof(struct oci_kv),
					   (void **)&r->net_priorities, &r->n_net_priorities,
					   parse_priority, err) < 0
		       ? -1
		       : 0;
}

static int parse_rdma(json_t *res, struct oci_resources *r, ocifs_error *err)
{
	char path[CFG_PATH_MAX], q[CFG_QUOTE_MAX];
	const char *dev;
	json_t *o, *v;

	if (cfg_object(res, RES, "rdma", &o, err) < 0)
		return -1;
	if (!o || json_object_size(o) == 0)
		return 0;
	r->rdma = xcalloc(json_object_size(o), sizeof(*r->rdma));
	json_object_foreach (o, dev, v) {
		struct oci_rdma_limit *l = &r->rdma[r->n_rdma++];

		snprintf(path, sizeof(path), RES ".rdma[%s]", cfg_q(q, dev));
		l->device = xstrdup(dev);
		if (!json_is_object(v))
			return ocifs_error_set(err, 0, "%s: must be an object", path);
		if (!dev[0] || strpbrk(dev, " \t\n"))
			return ocifs_error_set(err, 0, "%s: not a device name", path);
		if (opt_int(v, path, "hcaHandles", 0, U32_MAX, &l->has_hca_handles,
			    &l->hca_handles, err) < 0 ||
		    opt_int(v, path, "hcaObjects", 0, U32_MAX, &l->has_hca_objects,
			    &l->hca_objects, err) < 0)
			return -1;
	}
	return 0;
}

/* Keys are file names of the container's cgroup directory. */
static int parse_unified(json_t *res, struct oci_resources *r, ocifs_error *err)
{
	char q[CFG_QUOTE_MAX];
	const char *key;
	json_t *o, *v;

	if (cfg_object(res, RES, "unified", &o, err) < 0)
		return -1;
	if (!o || json_object_size(o) == 0)
		return 0;
	r->unified = xcalloc(json_object_size(o), sizeof(*r->unified));
	json_object_foreach (o, key, v) {
		if (!json_is_string(v))
			return ocifs_error_set(err, 0, RES ".unified[%s]: must be a string",
					       cfg_q(q, key));
		if (!key[0] || key[0] == '.' || strchr(key, '/') || !strchr(key, '.') ||
		    strncmp(key, "cgroup.", 7) == 0)
			return ocifs_error_set(err, 0,
					       RES ".unified[%s]: not a controller file name",
					       cfg_q(q, key));
		r->unified[r->n_unified].key = xstrdup(key);
		r->unified[r->n_unified++].value = xstrdup(json_string_value(v));
	}
	return 0;
}

int cfg_resources_from_json(json_t *res, struct oci_resources **out, ocifs_error *err)
{
	struct oci_resources *r = xcalloc(1, sizeof(*r));

	*out = r;
	if (parse_memory(res, r, err) < 0 || parse_cpu(res, r, err) < 0 ||
	    parse_pids(res, r, err) < 0 || parse_blkio(res, r, err) < 0 ||
	    parse_array(res, RES, "hugepageLimits", sizeof(struct oci_hugepage_limit),
			(void **)&r->hugepages, &r->n_hugepages, parse_hugepage, err) < 0 ||
	    parse_network(res, r, err) < 0 || parse_rdma(res, r, err) < 0 ||
	    parse_unified(res, r, err) < 0)
		return -1;
	return 0;
}

static void kv_free(struct oci_kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

void ocifs_resources_free(struct oci_resources *r)
{
	if (!r)
		return;
	free(r->cpu.cpus);
	free(r->cpu.mems);
	free(r->blkio.weight_devices);
	for (int k = 0; k < OCI_THROTTLE__COUNT; k++)
		free(r->blkio.throttle[k]);
	for (size_t i = 0; i < r->n_hugepages; i++)
		free(r->hugepages[i].page_size);
	free(r->hugepages);
	kv_free(r->net_priorities, r->n_net_priorities);
	for (size_t i = 0; i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	kv_free(r->unified, r->n_unified);
	free(r);
}

int ocifs_resources_parse(const char *json, size_t len, struct oci_resources **out,
			  ocifs_error *err)
{
	json_t *root;
	int r;

	*out = NULL;
	ocifs_error_clear(err);
	root = cfg_json_load(json, len, RES, err);
	if (!root)
		return -1;
	r = cfg_resources_from_json(root, out, err);
	json_decref(root);
	if (r < 0) {
		cfg_error_sanitize(err);
		ocifs_resources_free(*out);
		*out = NULL;
	}
	return r;
}
