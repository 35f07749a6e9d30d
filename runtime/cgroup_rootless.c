/* Rootless operation (docs/DESIGN.md, "Rootless"): whether this process
 * runs rootless, and whether a container may then go without a cgroup
 * (no limits asked for and a cgroup tree the caller cannot write).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "ocifs/util.h"

/* Set once by the front end (`ocirun --rootless`); auto by default, which
 * is what the filesystem daemon gets. */
static enum cgroup_rootless rootless_mode = CGROUP_ROOTLESS_AUTO;

void cgroup_set_rootless(enum cgroup_rootless mode)
{
	rootless_mode = mode;
}

/* In a user namespace unless /proc/self/uid_map is the initial namespace's
 * identity map of every uid ("0 0 4294967295"). */
bool cgroup_in_userns(void)
{
	cleanup_fclose FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long long inside, outside, len;

	if (!f)
		return false;
	if (fscanf(f, "%llu %llu %llu", &inside, &outside, &len) != 3)
		return false;
	return !(inside == 0 && outside == 0 && len == 4294967295ULL);
}

bool cgroup_is_rootless(void)
{
	/* a process does not change user namespace behind our back: read
	 * uid_map once (0 = not known yet, 1 = no, 2 = yes) */
	static int userns;
	int u;

	if (rootless_mode != CGROUP_ROOTLESS_AUTO)
		return rootless_mode == CGROUP_ROOTLESS_TRUE;
	if (geteuid() != 0)
		return true;
	u = __atomic_load_n(&userns, __ATOMIC_RELAXED);
	if (u == 0) {
		u = cgroup_in_userns() ? 2 : 1;
		__atomic_store_n(&userns, u, __ATOMIC_RELAXED);
	}
	return u == 2;
}

/* JSON path of the first limit r asks for (devices are not in r), or NULL. */
static const char *first_limit(const struct oci_resources *r)
{
	if (!r)
		return NULL;
	if (r->has_memory)
		return "linux.resources.memory";
	if (r->has_cpu)
		return "linux.resources.cpu";
	if (r->has_pids)
		return "linux.resources.pids";
	if (r->has_blkio)
		return "linux.resources.blockIO";
	if (r->n_hugepages)
		return "linux.resources.hugepageLimits";
	if (r->has_class_id || r->n_net_priorities)
		return "linux.resources.network";
	if (r->n_rdma)
		return "linux.resources.rdma";
	if (r->n_unified)
		return "linux.resources.unified";
	return NULL;
}

/* Whether we may make path in h: its deepest existing level must be a
 * directory we can write and search.  Sets *where to that level. */
static bool hier_writable(const struct cg_hier *h, const char *path, char **where)
{
	char *dir = cg_hier_dir(h, path);
	size_t base = strlen(h->mnt);

	*where = dir;
	while (!cg_dir_exists(dir)) {
		char *slash = strrchr(dir + base, '/');

		if (!slash)
			return false; /* not even the hierarchy root */
		*slash = '\0';
	}
	return faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0;
}

int cgroup_rootless_check(const char *path, const struct oci_config *cfg, ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };
	const char *limit;

	if (!cgroup_is_rootless())
		return 1;
	if (cg_check_path(path, err) < 0 || cg_hosts_load(&hosts, err) < 0)
		return -1;
	for (size_t i = 0; i < hosts.n; i++) {
		cleanup_free char *where = NULL;

		if (hier_writable(&hosts.v[i], path, &where))
			continue;
		limit = cfg && cfg->has_linux ? first_limit(cfg->lx.resources) : NULL;
		if (!limit)
			return 0;
		ocifs_error_set(err, 0, "%s: rootless: uid %d cannot write the cgroup tree "
				"(%s), so no limit can be set; delegate it or drop the limits",
				limit, (int)geteuid(), where);
		err->code = EPERM;
		return -1;
	}
	return 1;
}
