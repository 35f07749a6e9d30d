/* Cgroups: host layout detection and the public cgroup_* API (cgroup.h).
 *
 * The layout is found on every call (cheap: one statfs and one read of
 * /proc/self/mountinfo) so that nothing is cached across threads:
 *   pure v2  /sys/fs/cgroup is cgroup2;
 *   hybrid   v1 controllers under /sys/fs/cgroup/<name> and cgroup2 at
 *            /sys/fs/cgroup/unified (this is where cgroup.kill lives);
 *   pure v1  v1 controllers only.
 * v1 mounts are deduplicated by device number, so co-mounted controllers
 * ("cpu,cpuacct" with its cpu and cpuacct symlinks) count once.  The named
 * hierarchy name=systemd is included, as runc does.  Version-specific work
 * goes through the drivers of cgroup_internal.h.
 *
 * Rootless mode (end of file): a tree the caller cannot write is skipped
 * when no limit is asked, refused when one is (docs/DESIGN.md "Rootless").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "ocifs/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif


/* ---------- layout detection ---------- */

static const char *const v1_controllers[] = {
	"cpuset", "cpu", "cpuacct", "blkio", "io", "memory", "devices", "freezer",
	"net_cls", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc", "debug",
};

static bool is_v1_controller(const char *opt)
{
	if (strncmp(opt, "name=", 5) == 0)
		return opt[5] != '\0';
	for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++)
		if (strcmp(opt, v1_controllers[i]) == 0)
			return true;
	return false;
}

bool cg_hier_has(const struct cg_hier *h, const char *controller)
{
	size_t len = strlen(controller);

	for (const char *p = h->controllers; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t l = comma ? (size_t)(comma - p) : strlen(p);
		if (l == len && strncmp(p, controller, len) == 0)
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}

void cg_hosts_free(struct cg_hosts *hosts)
{
	for (size_t i = 0; i < hosts->n; i++) {
		free(hosts->v[i].mnt);
		free(hosts->v[i].controllers);
	}
	free(hosts->v);
	hosts->v = NULL;
	hosts->n = 0;
}

static void add_hier(struct cg_hosts *hosts, int version, const char *mnt, char *controllers)
{
	struct cg_hier *h;

	hosts->v = xrealloc(hosts->v, (hosts->n + 1) * sizeof(*hosts->v));
	h = &hosts->v[hosts->n++];
	h->version = version;
	h->mnt = xstrdup(mnt);
	h->controllers = controllers ? controllers : xstrdup("");
	h->unified_only = false;
	h->drv = version == 2 ? &cg_driver_v2 : &cg_driver_v1;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static bool under_cg_root(const char *mnt)
{
	size_t l = strlen(CG_ROOT);
	return strncmp(mnt, CG_ROOT, l) == 0 && (mnt[l] == '\0' || mnt[l] == '/');
}

/* Reads the cgroup mounts under /sys/fs/cgroup from /proc/self/mountinfo. */
static int scan_mountinfo(struct cg_hosts *hosts, ocifs_error *err)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	cleanup_free char *line = NULL;
	cleanup_free unsigned long *devs = NULL;
	size_t cap = 0, ndevs = 0;

	if (!f)
		return ocifs_error_set(err, errno, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *tok[64], *save = NULL, *fstype = NULL, *opts = NULL;
		char *fields[5];
		unsigned maj, min;
		int nt = 0;
		bool dup = false;
		char *ctl = NULL;
		size_t ctl_len = 0;

		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(line, " ", &save); t && nt < (int)ARRAY_SIZE(tok);
		     t = strtok_r(NULL, " ", &save))
			tok[nt++] = t;
		for (int i = 6; i < nt; i++) {
			if (strcmp(tok[i], "-") != 0)
				continue;
			if (i + 3 < nt) {
				fstype = tok[i + 1];
				opts = tok[i + 3];
			}
			break;
		}
		if (!fstype || !opts)
			continue;
		memcpy(fields, tok, sizeof(fields));
		if (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0)
			continue;
		unescape(fields[4]);
		if (!under_cg_root(fields[4]))
			continue;
		if (strcmp(fstype, "cgroup2") == 0) {
			if (strcmp(fields[4], CG_ROOT) == 0)
				continue;
			for (size_t i = 0; i < hosts->n; i++)
				dup = dup || hosts->v[i].version == 2;
			if (!dup)
				add_hier(hosts, 2, fields[4], NULL);
			continue;
		}
		if (sscanf(fields[2], "%u:%u", &maj, &min) != 2)
			continue;
		for (size_t i = 0; i < ndevs; i++)
			dup = dup || devs[i] == makedev(maj, min);
		if (dup)
			continue;
		for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			if (!is_v1_controller(o))
				continue;
			ctl = xrealloc(ctl, ctl_len + strlen(o) + 2);
			ctl_len += (size_t)sprintf(ctl + ctl_len, "%s%s", ctl_len ? "," : "", o);
		}
		if (!ctl)
			continue;
		devs = xrealloc(devs, (ndevs + 1) * sizeof(*devs));
		devs[ndevs++] = makedev(maj, min);
		add_hier(hosts, 1, fields[4], ctl);
	}
	return 0;
}

static int hosts_scan(struct cg_hosts *hosts, ocifs_error *err)
{
	struct statfs sfs;

	hosts->v = NULL;
	hosts->n = 0;
	if (statfs(CG_ROOT, &sfs) < 0)
		return ocifs_error_set(err, errno, "statfs %s", CG_ROOT);
	if ((unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC) {
		hosts->layout = CG_LAYOUT_V2;
		add_hier(hosts, 2, CG_ROOT, NULL);
		hosts->v[0].unified_only = true;
		return 0;
	}
	if (scan_mountinfo(hosts, err) < 0) {
		cg_hosts_free(hosts);
		return -1;
	}
	hosts->layout = CG_LAYOUT_V1;
	for (size_t i = 0; i < hosts->n; i++)
		if (hosts->v[i].version == 2)
			hosts->layout = CG_LAYOUT_HYBRID;
	if (hosts->n == 0)
		return ocifs_error_set(err, ENOTSUP, "no cgroup hierarchy mounted under %s",
				       CG_ROOT);
	return 0;
}

/* The layout is scanned once per process and copied out to each caller:
 * hierarchies are mounted at boot, and parsing mountinfo on every call cost
 * 60 us of each `state` read.  A long-lived daemon therefore needs a
 * restart after the host remounts its cgroup hierarchies. */
static pthread_mutex_t hosts_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cg_hosts hosts_cache;
static bool hosts_cached;

int cg_hosts_load(struct cg_hosts *hosts, ocifs_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&hosts_mu);
	if (!hosts_cached) {
		rc = hosts_scan(&hosts_cache, err);
		hosts_cached = rc == 0;
	}
	hosts->v = NULL;
	hosts->n = 0;
	if (rc == 0) {
		hosts->layout = hosts_cache.layout;
		for (size_t i = 0; i < hosts_cache.n; i++) {
			const struct cg_hier *c = &hosts_cache.v[i];
			add_hier(hosts, c->version, c->mnt, xstrdup(c->controllers));
			hosts->v[i].unified_only = c->unified_only;
		}
	}
	pthread_mutex_unlock(&hosts_mu);
	return rc;
}


/* A path we are willing to make or remove: absolute, normalised, not the
 * hierarchy root, no "." or ".." components. */
int cg_check_path(const char *path, ocifs_error *err)
{
	if (!path || path[0] != '/')
		return ocifs_error_set(err, EINVAL, "cgroup %s: not an absolute path",
				       path ? path : "(null)");
	if (strlen(path) >= PATH_MAX / 2)
		return ocifs_error_set(err, ENAMETOOLONG, "cgroup %.64s...", path);
	if (strcmp(path, "/") == 0)
		return ocifs_error_set(err, 0, "cgroup /: refusing to use the hierarchy root");
	for (const char *s = path; *s;) {
		size_t l;
		while (*s == '/')
			s++;
		l = strcspn(s, "/");
		if ((l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.') ||
		    (l == 0 && *s))
			return ocifs_error_set(err, 0, "cgroup %s: \".\" or \"..\" in path", path);
		s += l;
	}
	return 0;
}

char *cg_hier_dir(const struct cg_hier *h, const char *path)
{
	return xasprintf("%s%s", h->mnt, path);
}

bool cg_dir_exists(const char *dir)
{
	struct stat st;
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---------- create ---------- */

/* mkdir every level of path in h, calling init_level on each, top-down.
 * *made = length of the path prefix that existed before (levels below it
 * are ours to remove on failure), or strlen(path) when nothing was made. */
static int make_levels(const struct cg_hier *h, const char *path, size_t *made,
		       ocifs_error *err)
{
	size_t plen = strlen(path);

	*made = plen;
	for (int attempt = 0;; attempt++) {
		cleanup_free char *dir = cg_hier_dir(h, path);
		size_t base = strlen(h->mnt);
		int rc = 0;

		for (size_t i = 1, start = 0; i <= plen && rc == 0; i++) {
			if (path[i] != '/' && path[i] != '\0')
				continue;
			dir[base + i] = '\0';
			if (mkdir(dir, 0755) == 0) {
				if (*made == plen)
					*made = start; /* path[0..start) existed */
			} else if (errno == ENOENT && attempt < 5) {
				/* a concurrent destroy removed an empty ancestor */
				rc = 1;
				break;
			} else if (errno != EEXIST) {
				rc = ocifs_error_set(err, errno, "mkdir %s", dir);
				break;
			}
			if (h->drv->init_level && h->drv->init_level(h, dir, err) < 0)
				rc = -1;
			dir[base + i] = path[i];
			start = i;
		}
		if (rc <= 0)
			return rc;
		*made = plen;
	}
}

/* Removes path's levels deeper than `made` (see make_levels). */
static void unmake_levels(const struct cg_hier *h, const char *path, size_t made)
{
	cleanup_free char *dir = cg_hier_dir(h, path);
	size_t base = strlen(h->mnt);
	size_t end = strlen(path);

	while (end > made) {
		dir[base + end] = '\0';
		rmdir(dir);
		while (end > 0 && path[end - 1] != '/')
			end--;
		if (end > 0)
			end--;
	}
}

static int write_pid(const struct cg_hier *h, const char *path, pid_t pid, ocifs_error *err)
{
	cleanup_free char *dir = cg_hier_dir(h, path);
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return cg_write(dir, "cgroup.procs", buf, err);
}

/* The cgroup of pid in hierarchy h, from /proc/PID/cgroup (caller frees). */
static char *proc_cgroup_of(pid_t pid, const struct cg_hier *h)
{
	char p[64];
	cleanup_fclose FILE *f = NULL;
	cleanup_free char *line = NULL;
	size_t cap = 0;

	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
	f = fopen(p, "re");
	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		bool match;

		if (!c2)
			continue;
		*c2 = '\0';
		line[strcspn(c2 + 1, "\n") + (size_t)(c2 + 1 - line)] = '\0';
		if (h->version == 2) {
			match = strncmp(line, "0:", 2) == 0 && c1[1] == '\0';
		} else {
			/* same set of controllers */
			size_t n = 0;
			match = c1[1] != '\0';
			for (char *save = NULL, *o = strtok_r(c1 + 1, ",", &save); o && match;
			     o = strtok_r(NULL, ",", &save), n++)
				match = cg_hier_has(h, o);
			if (match) {
				size_t m = 1;
				for (const char *s = h->controllers; *s; s++)
					m += *s == ',';
				match = m == n;
			}
		}
		if (match)
			return xstrdup(c2 + 1);
	}
	return NULL;
}

/* ---------- resources ---------- */

static bool any_v1_has(const struct cg_hosts *hosts, const char *controller)
{
	for (size_t i = 0; i < hosts->n; i++)
		if (hosts->v[i].version == 1 && cg_hier_has(&hosts->v[i], controller))
			return true;
	return false;
}

/* On v1 and hybrid hosts every limit asked for needs a v1 hierarchy that
 * carries its controller, and `unified` needs a cgroup2 tree; on pure v2
 * the driver finds out from the files. */
static int check_controllers(const struct cg_hosts *hosts, const struct oci_resources *r,
			     ocifs_error *err)
{
	const struct oci_cpu_res *c;
	struct {
		bool wanted;
		const char *controller, *jpath;
	} need[9];
	size_t n = 0;

	if (!r || hosts->layout == CG_LAYOUT_V2)
		return 0;
	c = &r->cpu;
	need[n++] = (typeof(need[0])){ r->has_memory, "memory", "linux.resources.memory" };
	need[n++] = (typeof(need[0])){ r->has_cpu && (c->has_shares || c->has_quota ||
						      c->has_period || c->has_burst ||
						      c->has_realtime_runtime ||
						      c->has_realtime_period || c->has_idle),
				       "cpu", "linux.resources.cpu" };
	need[n++] = (typeof(need[0])){ r->has_cpu && (c->cpus || c->mems), "cpuset",
				       "linux.resources.cpu" };
	need[n++] = (typeof(need[0])){ r->has_pids && r->pids_limit != 0, "pids",
				       "linux.resources.pids" };
	need[n++] = (typeof(need[0])){ r->has_blkio, "blkio", "linux.resources.blockIO" };
	need[n++] = (typeof(need[0])){ r->n_hugepages > 0, "hugetlb",
				       "linux.resources.hugepageLimits" };
	need[n++] = (typeof(need[0])){ r->has_class_id, "net_cls",
				       "linux.resources.network.classID" };
	need[n++] = (typeof(need[0])){ r->n_net_priorities > 0, "net_prio",
				       "linux.resources.network.priorities" };
	need[n++] = (typeof(need[0])){ r->n_rdma > 0, "rdma", "linux.resources.rdma" };
	for (size_t i = 0; i < n; i++)
		if (need[i].wanted && !any_v1_has(hosts, need[i].controller))
			return ocifs_error_set(err, ENOTSUP,
					       "%s: no %s cgroup controller on this host",
					       need[i].jpath, need[i].controller);
	if (r->n_unified > 0 && hosts->layout == CG_LAYOUT_V1)
		return ocifs_error_set(err, ENOTSUP, "linux.resources.unified: needs cgroup v2");
	return 0;
}

int cgroup_update(const char *path, const struct oci_resources *res, ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };
	bool any = false;

	if (cg_check_path(path, err) < 0 || cg_hosts_load(&hosts, err) < 0)
		return -1;
	if (check_controllers(&hosts, res, err) < 0)
		return -1;
	for (size_t i = 0; i < hosts.n; i++) {
		const struct cg_hier *h = &hosts.v[i];
		cleanup_free char *dir = cg_hier_dir(h, path);

		if (!cg_dir_exists(dir))
			continue;
		any = true;
		if (h->drv->set_resources && h->drv->set_resources(h, dir, res, true, err) < 0)
			return ocifs_error_prefix(err, "cgroup %s", path);
	}
	if (!any)
		return ocifs_error_set(err, ENOENT, "cgroup %s: does not exist", path);
	return 0;
}

/* Rootless with a delegated tree: v1 devices.deny/allow need CAP_SYS_ADMIN
 * even in a cgroup we own.  As in runc, the allow-list is then not applied:
 * an unprivileged user namespace cannot mknod, and only host nodes the
 * user may open already are bind-mounted. */
static bool rootless_skips_apply(const struct cg_hier *h)
{
	return h->version == 1 && strcmp(h->controllers, "devices") == 0 && cgroup_is_rootless();
}

int cgroup_create(const char *path, const struct oci_config *cfg, pid_t pid,
		  ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };
	cleanup_free size_t *made = NULL;
	cleanup_free char **orig = NULL;
	size_t done = 0, entered = 0;
	int rc = 0;

	if (cg_check_path(path, err) < 0 || cg_hosts_load(&hosts, err) < 0)
		return -1;
	if (cfg && cfg->has_linux && check_controllers(&hosts, cfg->lx.resources, err) < 0)
		return -1;
	made = xcalloc(hosts.n, sizeof(*made));
	orig = xcalloc(hosts.n, sizeof(*orig));

	for (; done < hosts.n; done++) {
		const struct cg_hier *h = &hosts.v[done];
		cleanup_free char *dir = cg_hier_dir(h, path);

		if (make_levels(h, path, &made[done], err) < 0) {
			done++; /* it may have made some levels */
			rc = -1;
			break;
		}
		if (h->drv->apply && !rootless_skips_apply(h) && h->drv->apply(h, dir, cfg, err) < 0) {
			done++; /* undo this one too */
			rc = -1;
			break;
		}
	}
	if (rc == 0 && pid > 0) {
		for (size_t i = 0; i < hosts.n; i++)
			orig[i] = proc_cgroup_of(pid, &hosts.v[i]);
		for (; entered < hosts.n; entered++) {
			if (write_pid(&hosts.v[entered], path, pid, err) < 0) {
				rc = -1;
				break;
			}
		}
		/* undo: put pid back where it was, so our dirs can go */
		for (size_t i = 0; rc < 0 && i < entered; i++) {
			ocifs_error ignored;
			if (orig[i] && orig[i][0] == '/')
				write_pid(&hosts.v[i], orig[i], pid, &ignored);
		}
	}
	if (rc < 0)
		for (size_t i = done; i-- > 0;)
			unmake_levels(&hosts.v[i], path, made[i]);
	for (size_t i = 0; i < hosts.n; i++)
		free(orig[i]);
	if (rc < 0)
		return ocifs_error_prefix(err, "cgroup %s", path);
	return 0;
}

int cgroup_join_self_v1(const char *path, ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };

	if (cg_check_path(path, err) < 0 || cg_hosts_load(&hosts, err) < 0)
		return -1;
	for (size_t i = 0; i < hosts.n; i++) {
		cleanup_free char *dir = NULL;

		if (hosts.v[i].version != 1)
			continue;
		dir = cg_hier_dir(&hosts.v[i], path);
		/* "0" = the writer itself; a single thread moving itself skips
		 * the global threadgroup lock (cgroup_procs_write_start) */
		if (cg_write(dir, "tasks", "0", err) < 0)
			return ocifs_error_prefix(err, "cgroup %s", path);
	}
	return 0;
}

int cgroup_open_unified(const char *path, ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };

	if (cg_check_path(path, err) < 0 || cg_hosts_load(&hosts, err) < 0)
		return -1;
	for (size_t i = 0; i < hosts.n; i++) {
		cleanup_free char *dir = NULL;
		int fd;

		if (hosts.v[i].version != 2)
			continue;
		dir = cg_hier_dir(&hosts.v[i], path);
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return ocifs_error_set(err, errno, "cgroup %s: open %s", path, dir);
		return fd;
	}
	return ocifs_error_set(err, ENOENT, "cgroup %s: the host has no cgroup2 tree", path);
}

int cgroup_enter(const char *path, pid_t pid, ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };

	if (cg_check_path(path, err) < 0 || cg_hosts_load(&hosts, err) < 0)
		return -1;
	for (size_t i = 0; i < hosts.n; i++)
		if (write_pid(&hosts.v[i], path, pid, err) < 0)
			return ocifs_error_prefix(err, "cgroup %s", path);
	return 0;
}
