/* Cgroup statistics (`ocirun events --stats`, the filesystem's `stats`
 * file), shaped like runc's events --stats data:
 *   {"cpu":{"usage":{"total","percpu","kernel","user"},"throttling":{...}},
 *    "memory":{"usage":{"usage","max","limit","failcnt"},"raw":{memory.stat}},
 *    "pids":{"current","limit"},
 *    "blkio":{"ioServiceBytesRecursive":[...],"ioServicedRecursive":[...]}}
 * Each controller is read from its v1 hierarchy when the host mounts one
 * (/sys/fs/cgroup/<controller>), else from the cgroup2 tree (pure v2, or
 * /sys/fs/cgroup/unified on hybrid hosts).  Missing controllers and files
 * are omitted.  CPU times are nanoseconds, as in runc.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <jansson.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "ocifs/engine.h"
#include "state.h"
#include "ocifs/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The container's directory in the v1 hierarchy of controller (NULL when
 * the host has none or the cgroup is missing there); caller frees. */
static char *v1_dir(bool pure_v2, const char *controller, const char *path)
{
	char *d;

	if (pure_v2)
		return NULL;
	d = xasprintf("%s/%s%s", CG_ROOT, controller, path);
	if (is_dir(d))
		return d;
	free(d);
	return NULL;
}

/* The container's directory in the cgroup2 tree, or NULL. */
static char *v2_dir(bool pure_v2, const char *path)
{
	char *d = pure_v2 ? xasprintf("%s%s", CG_ROOT, path)
			  : xasprintf("%s/unified%s", CG_ROOT, path);
	if (is_dir(d))
		return d;
	free(d);
	return NULL;
}

/* dir/file as one unsigned number; false when missing or not a number
 * ("max" gives false unless max_val is set, then *v = max_val). */
static bool read_u64(const char *dir, const char *file, uint64_t *v, bool allow_max,
		     uint64_t max_val)
{
	cleanup_free char *s = NULL;
	ocifs_error err = { 0 };
	char *end;

	if (!dir || cg_read(dir, file, &s, &err) < 0)
		return false;
	if (allow_max && strcmp(s, "max") == 0) {
		*v = max_val;
		return true;
	}
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && end != s && (*end == '\0' || *end == '\n');
}

static void set_u64(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

/* "key value" lines of dir/file into a new object (NULL when missing);
 * each value multiplied by mult. */
static json_t *read_kv(const char *dir, const char *file, uint64_t mult)
{
	cleanup_free char *s = NULL;
	ocifs_error err = { 0 };
	json_t *o;
	char *save = NULL;

	if (!dir || cg_read(dir, file, &s, &err) < 0)
		return NULL;
	o = json_object();
	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[128];
		unsigned long long v;
		if (sscanf(line, "%127s %llu", key, &v) == 2)
			set_u64(o, key, (uint64_t)v * mult);
	}
	return o;
}

static uint64_t kv_get(json_t *o, const char *key)
{
	json_t *v = o ? json_object_get(o, key) : NULL;
	return v ? (uint64_t)json_integer_value(v) : 0;
}

/* Sets parent[key] to v, an object or array, when it holds something;
 * drops it otherwise (runc leaves empty groups out). */
static void add_nonempty(json_t *parent, const char *key, json_t *v)
{
	size_t n = json_is_array(v) ? json_array_size(v) : json_object_size(v);

	if (v && n > 0)
		json_object_set_new(parent, key, v);
	else
		json_decref(v);
}

static void cpu_stats(json_t *root, bool v2only, const char *path)
{
	cleanup_free char *acct = v1_dir(v2only, "cpuacct", path);
	cleanup_free char *cpu = v1_dir(v2only, "cpu", path);
	cleanup_free char *u = NULL;
	json_t *o = json_object(), *usage = json_object(), *thr = NULL, *st;
	uint64_t v;

	if (acct) {
		cleanup_free char *s = NULL;
		ocifs_error err = { 0 };
		long ticks = sysconf(_SC_CLK_TCK);
		uint64_t ns_per_tick = ticks > 0 ? 1000000000ULL / (uint64_t)ticks : 10000000ULL;

		if (read_u64(acct, "cpuacct.usage", &v, false, 0))
			set_u64(usage, "total", v);
		if (cg_read(acct, "cpuacct.usage_percpu", &s, &err) == 0) {
			json_t *a = json_array();
			char *p = s, *end;
			for (;;) {
				unsigned long long x = strtoull(p, &end, 10);
				if (end == p)
					break;
				json_array_append_new(a, json_integer((json_int_t)x));
				p = end;
			}
			json_object_set_new(usage, "percpu", a);
		}
		st = read_kv(acct, "cpuacct.stat", ns_per_tick);
		if (st) {
			set_u64(usage, "kernel", kv_get(st, "system"));
			set_u64(usage, "user", kv_get(st, "user"));
			json_decref(st);
		}
		thr = read_kv(cpu, "cpu.stat", 1);
	} else if ((u = v2_dir(v2only, path))) {
		st = read_kv(u, "cpu.stat", 1);
		if (st) {
			set_u64(usage, "total", kv_get(st, "usage_usec") * 1000);
			set_u64(usage, "kernel", kv_get(st, "system_usec") * 1000);
			set_u64(usage, "user", kv_get(st, "user_usec") * 1000);
			if (json_object_get(st, "nr_periods")) {
				thr = json_object();
				set_u64(thr, "nr_periods", kv_get(st, "nr_periods"));
				set_u64(thr, "nr_throttled", kv_get(st, "nr_throttled"));
				set_u64(thr, "throttled_usec", kv_get(st, "throttled_usec"));
			}
			json_decref(st);
		}
	}
	if (thr && json_object_get(thr, "nr_periods")) {
		json_t *t = json_object();
		set_u64(t, "periods", kv_get(thr, "nr_periods"));
		set_u64(t, "throttledPeriods", kv_get(thr, "nr_throttled"));
		if (json_object_get(thr, "throttled_time"))
			set_u64(t, "throttledTime", kv_get(thr, "throttled_time"));
		else
			set_u64(t, "throttledTime", kv_get(thr, "throttled_usec") * 1000);
		json_object_set_new(o, "throttling", t);
	}
	json_decref(thr);
	add_nonempty(o, "usage", usage);
	add_nonempty(root, "cpu", o);
}

/* One v1 memory counter set (prefix "memory.memsw." ...) as o[key]. */
static void mem_v1_entry(json_t *o, const char *dir, const char *key, const char *prefix)
{
	static const char *const files[][2] = {
		{ "usage_in_bytes", "usage" }, { "max_usage_in_bytes", "max" },
		{ "limit_in_bytes", "limit" }, { "failcnt", "failcnt" },
	};
	json_t *e = json_object();
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		cleanup_free char *f = xasprintf("%s%s", prefix, files[i][0]);
		if (read_u64(dir, f, &v, false, 0))
			set_u64(e, files[i][1], v);
	}
	add_nonempty(o, key, e);
}

static void memory_stats(json_t *root, bool v2only, const char *path)
{
	cleanup_free char *m = v1_dir(v2only, "memory", path);
	cleanup_free char *u = NULL;
	json_t *o = json_object(), *usage = json_object(), *raw = NULL;
	uint64_t v;

	if (m) {
		if (read_u64(m, "memory.usage_in_bytes", &v, false, 0))
			set_u64(usage, "usage", v);
		if (read_u64(m, "memory.max_usage_in_bytes", &v, false, 0))
			set_u64(usage, "max", v);
		if (read_u64(m, "memory.limit_in_bytes", &v, false, 0))
			set_u64(usage, "limit", v);
		if (read_u64(m, "memory.failcnt", &v, false, 0))
			set_u64(usage, "failcnt", v);
		mem_v1_entry(o, m, "swap", "memory.memsw.");
		mem_v1_entry(o, m, "kernel", "memory.kmem.");
		mem_v1_entry(o, m, "kernelTCP", "memory.kmem.tcp.");
		raw = read_kv(m, "memory.stat", 1);
		if (raw)
			json_object_set_new(o, "cache", json_integer(
				(json_int_t)kv_get(raw, "cache")));
	} else if ((u = v2_dir(v2only, path)) && cg_has_file(u, "memory.current")) {
		if (read_u64(u, "memory.current", &v, false, 0))
			set_u64(usage, "usage", v);
		if (read_u64(u, "memory.peak", &v, false, 0))
			set_u64(usage, "max", v);
		if (read_u64(u, "memory.max", &v, true, UINT64_MAX >> 1))
			set_u64(usage, "limit", v);
		raw = read_kv(u, "memory.events", 1);
		if (raw)
			set_u64(usage, "failcnt", kv_get(raw, "max"));
		json_decref(raw);
		raw = read_kv(u, "memory.stat", 1);
		if (raw)
			json_object_set_new(o, "cache", json_integer(
				(json_int_t)kv_get(raw, "file")));
	}
	add_nonempty(o, "usage", usage);
	add_nonempty(o, "raw", raw);
	add_nonempty(root, "memory", o);
}

static void pids_stats(json_t *root, bool v2only, const char *path)
{
	cleanup_free char *p = v1_dir(v2only, "pids", path);
	cleanup_free char *u = NULL;
	json_t *o = json_object();
	uint64_t v;

	if (!p && (u = v2_dir(v2only, path)) && cg_has_file(u, "pids.current"))
		p = u, u = NULL;
	if (p) {
		if (read_u64(p, "pids.current", &v, false, 0))
			set_u64(o, "current", v);
		/* "max" (no limit) is left out, as runc does */
		if (read_u64(p, "pids.max", &v, false, 0))
			set_u64(o, "limit", v);
	}
	add_nonempty(root, "pids", o);
}

static void blkio_add(json_t *arr, unsigned maj, unsigned min, const char *op, uint64_t v)
{
	json_t *e = json_object();
	set_u64(e, "major", maj);
	set_u64(e, "minor", min);
	json_object_set_new(e, "op", json_string(op));
	set_u64(e, "value", v);
	json_array_append_new(arr, e);
}

/* v1 "MAJ:MIN Op VALUE" lines ("Total N" skipped). */
static json_t *blkio_v1(const char *dir, const char *file)
{
	cleanup_free char *s = NULL;
	ocifs_error err = { 0 };
	json_t *a;
	char *save = NULL;

	if (cg_read(dir, file, &s, &err) < 0)
		return NULL;
	a = json_array();
	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		char op[32];
		unsigned long long v;
		if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
			blkio_add(a, maj, min, op, (uint64_t)v);
	}
	return a;
}

static void blkio_stats(json_t *root, bool v2only, const char *path)
{
	cleanup_free char *b = v1_dir(v2only, "blkio", path);
	cleanup_free char *u = NULL;
	json_t *o = json_object();

	if (b) {
		add_nonempty(o, "ioServiceBytesRecursive",
			  blkio_v1(b, "blkio.throttle.io_service_bytes"));
		add_nonempty(o, "ioServicedRecursive", blkio_v1(b, "blkio.throttle.io_serviced"));
	} else if ((u = v2_dir(v2only, path)) && cg_has_file(u, "io.stat")) {
		cleanup_free char *s = NULL;
		ocifs_error err = { 0 };
		json_t *bytes = json_array(), *ios = json_array();
		char *save = NULL;

		if (cg_read(u, "io.stat", &s, &err) == 0) {
			/* "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" */
			for (char *line = strtok_r(s, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save)) {
				unsigned maj, min;
				int off = 0;
				char *p;
				if (sscanf(line, "%u:%u%n", &maj, &min, &off) != 2)
					continue;
				for (p = line + off; *p;) {
					char key[32];
					unsigned long long v;
					int n = 0;
					if (sscanf(p, " %31[^=]=%llu%n", key, &v, &n) != 2 || n == 0)
						break;
					p += n;
					if (strcmp(key, "rbytes") == 0)
						blkio_add(bytes, maj, min, "Read", v);
					else if (strcmp(key, "wbytes") == 0)
						blkio_add(bytes, maj, min, "Write", v);
					else if (strcmp(key, "rios") == 0)
						blkio_add(ios, maj, min, "Read", v);
					else if (strcmp(key, "wios") == 0)
						blkio_add(ios, maj, min, "Write", v);
				}
			}
		}
		add_nonempty(o, "ioServiceBytesRecursive", bytes);
		add_nonempty(o, "ioServicedRecursive", ios);
	}
	add_nonempty(root, "blkio", o);
}

int cgroup_stats(const char *path, char **json, ocifs_error *err)
{
	struct statfs sfs;
	bool v2only;
	json_t *root;

	*json = NULL;
	if (statfs(CG_ROOT, &sfs) < 0)
		return ocifs_error_set(err, errno, "statfs %s", CG_ROOT);
	v2only = (unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC;
	root = json_object();
	cpu_stats(root, v2only, path);
	memory_stats(root, v2only, path);
	pids_stats(root, v2only, path);
	blkio_stats(root, v2only, path);
	*json = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!*json)
		return ocifs_error_set(err, ENOMEM, "cgroup stats: encoding JSON");
	return 0;
}

int ocifs_stats(const char *root, const char *id, char **json, ocifs_error *err)
{
	struct state_rec r;
	int ret = 0;

	*json = NULL;
	if (state_read(root, id, &r, err) < 0)
		return -1;
	if (state_status(&r) == OCIFS_STOPPED)
		ret = ocifs_error_set(err, EBUSY, "container is stopped, not running");
	else if (!r.cgroup)
		*json = xstrdup("{}");
	else
		ret = cgroup_stats(r.cgroup, json, err);
	state_rec_clear(&r);
	return ret;
}
