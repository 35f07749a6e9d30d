/* Helpers shared by the cgroup drivers (declared in cgroup_internal.h):
 * the default device rules, and reading/writing cgroup files with errors
 * that name the JSON path of the value being written. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "ocifs/util.h"

/* ---------- default devices ---------- */

#define WILD (-1)
const struct oci_device_rule cg_default_device_rules[] = {
	{ true, 'c', WILD, WILD, "m" },   /* mknod of any char device */
	{ true, 'b', WILD, WILD, "m" },   /* mknod of any block device */
	{ true, 'c', 1, 3, "rwm" },       /* /dev/null */
	{ true, 'c', 1, 5, "rwm" },       /* /dev/zero */
	{ true, 'c', 1, 7, "rwm" },       /* /dev/full */
	{ true, 'c', 1, 8, "rwm" },       /* /dev/random */
	{ true, 'c', 1, 9, "rwm" },       /* /dev/urandom */
	{ true, 'c', 5, 0, "rwm" },       /* /dev/tty */
	{ true, 'c', 5, 1, "rwm" },       /* /dev/console */
	{ true, 'c', 5, 2, "rwm" },       /* /dev/ptmx */
	{ true, 'c', 136, WILD, "rwm" },  /* /dev/pts/N */
};
const size_t cg_n_default_device_rules = ARRAY_SIZE(cg_default_device_rules);

size_t cg_effective_device_rules(const struct oci_config *cfg, struct oci_device_rule **out)
{
	static const struct oci_device_rule deny_all = { false, 'a', -1, -1, "rwm" };
	size_t n_cfg = cfg && cfg->has_linux ? cfg->lx.n_device_rules : 0;
	size_t n = 1 + n_cfg + cg_n_default_device_rules;
	struct oci_device_rule *v = xcalloc(n, sizeof(*v));

	v[0] = deny_all;
	if (n_cfg)
		memcpy(v + 1, cfg->lx.device_rules, n_cfg * sizeof(*v));
	memcpy(v + 1 + n_cfg, cg_default_device_rules,
	       cg_n_default_device_rules * sizeof(*v));
	*out = v;
	return n;
}

/* ---------- small file helpers ---------- */

void cg_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cg_read(const char *dir, const char *file, char **out, ocifs_error *err)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	size_t len;

	if (read_file(p, out, &len, err) < 0)
		return -1;
	while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == ' '))
		(*out)[--len] = '\0';
	return 0;
}

int cg_write(const char *dir, const char *file, const char *val, ocifs_error *err)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(val);
	ssize_t w;

	if (fd < 0)
		return ocifs_error_set(err, errno, "open %s", p);
	do
		w = write(fd, val, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return ocifs_error_set(err, errno, "write \"%s\" to %s", val, p);
	if ((size_t)w != len)
		return ocifs_error_set(err, EIO, "write \"%s\" to %s: short write", val, p);
	return 0;
}

int cg_put(const char *dir, const char *file, const char *val, const char *jpath,
	   ocifs_error *err)
{
	if (cg_write(dir, file, val, err) == 0)
		return 0;
	if (err->code == ENOENT || err->code == EOPNOTSUPP || err->code == ENOTSUP)
		return ocifs_error_set(err, ENOTSUP, "%s: not supported by this kernel (%s %s)",
				       jpath, err->code == ENOENT ? "no" : "cannot write", file);
	return ocifs_error_prefix(err, "%s", jpath);
}

int cg_put_int(const char *dir, const char *file, int64_t val, const char *jpath,
	       ocifs_error *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)val);
	return cg_put(dir, file, buf, jpath, err);
}

int cg_put_pids(const char *dir, int64_t limit, ocifs_error *err)
{
	if (limit < 0)
		return cg_put(dir, "pids.max", "max", "linux.resources.pids.limit", err);
	return cg_put_int(dir, "pids.max", limit, "linux.resources.pids.limit", err);
}

char *cg_rdma_line(const struct oci_rdma_limit *l)
{
	char h[32] = "max", o[32] = "max";

	if (!l->has_hca_handles && !l->has_hca_objects)
		return NULL;
	if (l->has_hca_handles)
		snprintf(h, sizeof(h), "%lld", (long long)l->hca_handles);
	if (l->has_hca_objects)
		snprintf(o, sizeof(o), "%lld", (long long)l->hca_objects);
	return xasprintf("%s hca_handle=%s hca_object=%s", l->device, h, o);
}

bool cg_has_file(const char *dir, const char *file)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);

	return access(p, F_OK) == 0;
}

int cg_collect_pids(const char *dir, bool recursive, pid_t **v, size_t *n,
		    size_t *cap, ocifs_error *err)
{
	cleanup_free char *buf = NULL;
	DIR *d;
	struct dirent *de;

	if (cg_read(dir, "cgroup.procs", &buf, err) < 0)
		return -1;
	for (char *s = buf, *end; *s; s = end) {
		long pid = strtol(s, &end, 10);
		if (end == s) {
			end = s + 1;
			continue;
		}
		if (pid <= 0)
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*v = xrealloc(*v, *cap * sizeof(**v));
		}
		(*v)[(*n)++] = (pid_t)pid;
	}
	if (!recursive)
		return 0;
	d = opendir(dir);
	if (!d)
		return ocifs_error_set(err, errno, "opendir %s", dir);
	while ((de = readdir(d))) {
		cleanup_free char *sub = NULL;
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = xasprintf("%s/%s", dir, de->d_name);
		if (cg_collect_pids(sub, true, v, n, cap, err) < 0 && err->code != ENOENT) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}
