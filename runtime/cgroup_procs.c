/* Cgroups: the processes of a container's cgroup, signals, freezing and
 * destruction (the public functions of cgroup.h not in cgroup.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "ocifs/util.h"

#define DESTROY_WAIT_MS 5000
#define RMDIR_RETRIES 50

/* ---------- processes and signals ---------- */

/* The hierarchy to read processes from: cgroup2, else pids, devices,
 * memory, else any; only hierarchies where the cgroup exists. */
static const struct cg_hier *best_hier(const struct cg_hosts *hosts, const char *path)
{
	static const char *const pref[] = { "pids", "devices", "memory", "freezer" };
	const struct cg_hier *best = NULL;
	int best_rank = 100;

	for (size_t i = 0; i < hosts->n; i++) {
		const struct cg_hier *h = &hosts->v[i];
		cleanup_free char *dir = cg_hier_dir(h, path);
		int rank = 50;

		if (h->version == 2)
			rank = 0;
		for (size_t j = 0; rank == 50 && j < ARRAY_SIZE(pref); j++)
			if (cg_hier_has(h, pref[j]))
				rank = (int)j + 1;
		if (rank < best_rank && cg_dir_exists(dir)) {
			best = h;
			best_rank = rank;
		}
	}
	return best;
}

static int pids_in(const struct cg_hosts *hosts, const char *path, pid_t **pids,
		   size_t *n, ocifs_error *err)
{
	const struct cg_hier *h = best_hier(hosts, path);
	cleanup_free char *dir = NULL;
	size_t cap = 0;

	*pids = NULL;
	*n = 0;
	if (!h)
		return 0; /* no such cgroup: no processes */
	dir = cg_hier_dir(h, path);
	if (cg_collect_pids(dir, true, pids, n, &cap, err) < 0) {
		if (err->code == ENOENT)
			return 0; /* removed meanwhile */
		free(*pids);
		*pids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int cgroup_pids(const char *path, pid_t **pids, size_t *n, ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };

	*pids = NULL;
	*n = 0;
	if (cg_check_path(path, err) < 0 || cg_hosts_load(&hosts, err) < 0)
		return -1;
	if (pids_in(&hosts, path, pids, n, err) < 0)
		return ocifs_error_prefix(err, "cgroup %s", path);
	return 0;
}

static int signal_pids(const struct cg_hosts *hosts, const char *path, int sig,
		       ocifs_error *err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n;

	if (pids_in(hosts, path, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			return ocifs_error_set(err, errno, "kill %d", (int)pids[i]);
	return 0;
}

/* Freezes with the first hierarchy that has a freezer, v1 first.  Returns
 * 1 done, 0 no freezer anywhere, -1 error. */
static int freeze_any(const struct cg_hosts *hosts, const char *path, ocifs_error *err)
{
	for (int pass = 1; pass <= 2; pass++) {
		for (size_t i = 0; i < hosts->n; i++) {
			const struct cg_hier *h = &hosts->v[i];
			cleanup_free char *dir = cg_hier_dir(h, path);
			int r;

			if (h->version != pass || !cg_dir_exists(dir))
				continue;
			r = h->drv->freeze(h, dir, true, err);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

/* Thaws every freezer that holds the cgroup frozen. */
static int thaw_all(const struct cg_hosts *hosts, const char *path, ocifs_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < hosts->n; i++) {
		const struct cg_hier *h = &hosts->v[i];
		cleanup_free char *dir = cg_hier_dir(h, path);

		if (!cg_dir_exists(dir) || h->drv->is_frozen(h, dir) <= 0)
			continue;
		if (h->drv->freeze(h, dir, false, err) < 0)
			rc = -1;
	}
	return rc;
}

static int signal_all(const struct cg_hosts *hosts, const char *path, int sig,
		      ocifs_error *err)
{
	int frozen, rc;

	if (sig != SIGKILL)
		return signal_pids(hosts, path, sig, err);

	for (size_t i = 0; i < hosts->n; i++) {
		const struct cg_hier *h = &hosts->v[i];
		cleanup_free char *dir = cg_hier_dir(h, path);
		int r;

		if (!h->drv->kill || !cg_dir_exists(dir))
			continue;
		r = h->drv->kill(h, dir, err);
		if (r < 0)
			return -1;
		if (r > 0) /* killed; a v1 freezer would keep them from dying */
			return thaw_all(hosts, path, err);
	}
	/* No cgroup.kill: freeze so nothing forks or exits under us. */
	frozen = freeze_any(hosts, path, err);
	if (frozen < 0)
		return -1;
	rc = signal_pids(hosts, path, SIGKILL, err);
	if (thaw_all(hosts, path, rc < 0 ? &(ocifs_error){ 0 } : err) < 0)
		rc = -1;
	return rc;
}

int cgroup_signal_all(const char *path, int sig, ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };

	if (cg_check_path(path, err) < 0 || cg_hosts_load(&hosts, err) < 0)
		return -1;
	if (signal_all(&hosts, path, sig, err) < 0)
		return ocifs_error_prefix(err, "cgroup %s", path);
	return 0;
}

int cgroup_freeze(const char *path, bool frozen, ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };
	int r;

	if (cg_check_path(path, err) < 0 || cg_hosts_load(&hosts, err) < 0)
		return -1;
	if (!frozen)
		r = thaw_all(&hosts, path, err);
	else if ((r = freeze_any(&hosts, path, err)) == 0)
		r = ocifs_error_set(err, ENOTSUP, "no freezer for this cgroup");
	if (r < 0)
		return ocifs_error_prefix(err, "cgroup %s", path);
	return 0;
}

/* The freezer that freeze_any would use decides: the first one (v1 before
 * v2) that answers.  One file read, not one per hierarchy. */
bool cgroup_is_frozen(const char *path)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };
	ocifs_error err;

	if (cg_check_path(path, &err) < 0 || cg_hosts_load(&hosts, &err) < 0)
		return false;
	for (int pass = 1; pass <= 2; pass++) {
		for (size_t i = 0; i < hosts.n; i++) {
			const struct cg_hier *h = &hosts.v[i];
			cleanup_free char *dir = NULL;
			int r;

			if (h->version != pass)
				continue;
			dir = cg_hier_dir(h, path);
			r = h->drv->is_frozen(h, dir);
			if (r >= 0)
				return r == 1;
		}
	}
	return false;
}

/* ---------- destroy ---------- */

static int populated(const struct cg_hosts *hosts, const char *path, ocifs_error *err)
{
	for (size_t i = 0; i < hosts->n; i++) {
		const struct cg_hier *h = &hosts->v[i];
		cleanup_free char *dir = cg_hier_dir(h, path);
		int r = h->drv->populated(h, dir, err);

		if (r < 0 && err->code == ENOENT)
			continue;
		if (r != 0)
			return r;
	}
	return 0;
}

static int rmdir_retry(const char *dir, ocifs_error *err)
{
	for (int i = 0;; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || i >= RMDIR_RETRIES)
			return ocifs_error_set(err, errno, "rmdir %s", dir);
		cg_sleep_ms(i < 10 ? 2 : 20);
	}
}

/* rmdir dir and every cgroup below it, deepest first. */
static int rm_tree(const char *dir, ocifs_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : ocifs_error_set(err, errno, "opendir %s", dir);
	while (rc == 0 && (de = readdir(d))) {
		cleanup_free char *sub = NULL;
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = xasprintf("%s/%s", dir, de->d_name);
		rc = rm_tree(sub, err);
	}
	closedir(d);
	return rc < 0 ? -1 : rmdir_retry(dir, err);
}

int cgroup_destroy(const char *path, ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };
	long long deadline, next_kill;
	bool any = false;
	int rc = 0;

	if (cg_check_path(path, err) < 0 || cg_hosts_load(&hosts, err) < 0)
		return -1;
	for (size_t i = 0; i < hosts.n && !any; i++) {
		cleanup_free char *dir = cg_hier_dir(&hosts.v[i], path);
		any = cg_dir_exists(dir);
	}
	if (!any)
		return 0;

	if (signal_all(&hosts, path, SIGKILL, err) < 0)
		return ocifs_error_prefix(err, "cgroup %s", path);
	deadline = now_ms() + DESTROY_WAIT_MS;
	next_kill = now_ms() + 500;
	for (long ms = 1;; ms = ms < 32 ? ms * 2 : ms) {
		int r = populated(&hosts, path, err);
		if (r < 0)
			return ocifs_error_prefix(err, "cgroup %s", path);
		if (r == 0)
			break;
		if (now_ms() >= deadline)
			return ocifs_error_set(err, EBUSY, "cgroup %s: still has processes after %d s",
					       path, DESTROY_WAIT_MS / 1000);
		if (now_ms() >= next_kill) { /* something forked in between */
			ocifs_error ignored;
			signal_all(&hosts, path, SIGKILL, &ignored);
			next_kill = now_ms() + 500;
		}
		cg_sleep_ms(ms);
	}

	for (size_t i = hosts.n; i-- > 0;) {
		const struct cg_hier *h = &hosts.v[i];
		cleanup_free char *dir = cg_hier_dir(h, path);
		size_t base = strlen(h->mnt);

		if (rm_tree(dir, err) < 0) {
			rc = -1;
			continue;
		}
		/* Empty ancestors go too, up to (not including) the hierarchy
		 * root; the first one still in use (ENOTEMPTY, EBUSY) stops it. */
		for (char *slash = strrchr(dir + base, '/'); slash && slash > dir + base;
		     slash = strrchr(dir + base, '/')) {
			*slash = '\0';
			if (rmdir(dir) < 0)
				break;
		}
	}
	if (rc < 0)
		return ocifs_error_prefix(err, "cgroup %s", path);
	return 0;
}
