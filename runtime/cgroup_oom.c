/* OOM notifications of a container's memory cgroup (`ocirun events`, the
 * filesystem's `events` files), as runc reports them:
 *   v1  an eventfd registered on memory.oom_control through
 *       cgroup.event_control: the kernel adds 1 to it on each OOM of the
 *       cgroup, and 1 more when the cgroup is removed (which we discount);
 *   v2  inotify (IN_MODIFY) on memory.events: the kernel notifies every
 *       change of the file, and the new OOMs are how much its `oom` (or
 *       `oom_kill`, whichever rose more) counter rose since the last read.
 * The v1 memory hierarchy is used when the host mounts one (v1 and hybrid
 * hosts), else the cgroup2 directory that has memory.events (pure v2).
 * Either way the handle's fd is non-blocking and close-on-exec, readable
 * while OOMs are pending; ocifs_oom_read consumes them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"
#include "state.h"

struct ocifs_oom {
	int version;        /* 1: eventfd, 2: inotify on memory.events */
	int fd;
	char *dir;          /* the container's memory cgroup directory */
	uint64_t oom;       /* v2: memory.events counters last seen */
	uint64_t oom_kill;
	bool gone_seen;     /* v1: the removal's wake-up was discounted */
};

void ocifs_oom_close(struct ocifs_oom *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	free(o->dir);
	free(o);
}

static void oom_freep(struct ocifs_oom **o)
{
	ocifs_oom_close(*o);
}

int ocifs_oom_fd(const struct ocifs_oom *o)
{
	return o->fd;
}

int ocifs_oom_parse_events(const char *text, uint64_t *oom, uint64_t *oom_kill)
{
	bool seen = false;

	*oom = *oom_kill = 0;
	for (const char *p = text; p && *p;) {
		char key[32];
		unsigned long long v;

		if (sscanf(p, "%31s %llu", key, &v) == 2) {
			if (strcmp(key, "oom") == 0)
				*oom = v, seen = true;
			else if (strcmp(key, "oom_kill") == 0)
				*oom_kill = v, seen = true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return seen ? 0 : -1;
}

/* v2: the counters of dir/memory.events. */
static int read_events(const char *dir, uint64_t *oom, uint64_t *oom_kill, ocifs_error *err)
{
	cleanup_free char *s = NULL;

	if (cg_read(dir, "memory.events", &s, err) < 0)
		return -1;
	if (ocifs_oom_parse_events(s, oom, oom_kill) < 0)
		return ocifs_error_set(err, EINVAL, "%s/memory.events: no oom counters", dir);
	return 0;
}

/* The container's memory cgroup directory and its version: the v1 memory
 * hierarchy when the host mounts one, else a cgroup2 tree where the
 * cgroup has memory.events.  ENOTSUP when there is none. */
static int memory_dir(const char *path, char **dir, int *version, ocifs_error *err)
{
	cleanup_hosts struct cg_hosts hosts = { 0 };
	char *d = NULL;

	if (cg_hosts_load(&hosts, err) < 0)
		return -1;
	for (size_t i = 0; i < hosts.n && !d; i++) {
		const struct cg_hier *h = &hosts.v[i];
		if (h->version == 1 && cg_hier_has(h, "memory")) {
			d = cg_hier_dir(h, path);
			*version = 1;
		}
	}
	for (size_t i = 0; i < hosts.n && !d; i++) {
		const struct cg_hier *h = &hosts.v[i];
		if (h->version == 2) {
			d = cg_hier_dir(h, path);
			*version = 2;
			if (!cg_has_file(d, "memory.events")) {
				free(d);
				d = NULL;
			}
		}
	}
	if (!d)
		return ocifs_error_set(err, ENOTSUP,
				       "cgroup %s: no memory controller for OOM events", path);
	if (!cg_dir_exists(d)) {
		ocifs_error_set(err, ENOTSUP, "no memory cgroup: %s does not exist", d);
		free(d);
		return -1;
	}
	*dir = d;
	return 0;
}

/* v1: an eventfd for memory.oom_control, registered in cgroup.event_control. */
static int open_v1(struct ocifs_oom *o, ocifs_error *err)
{
	cleanup_free char *path = xasprintf("%s/memory.oom_control", o->dir);
	cleanup_close int ctl = open(path, O_RDONLY | O_CLOEXEC);
	char line[64];

	if (ctl < 0)
		return ocifs_error_set(err, errno == ENOENT ? ENOTSUP : errno, "open %s", path);
	o->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (o->fd < 0)
		return ocifs_error_set(err, errno, "eventfd");
	/* the kernel keeps its own reference to the eventfd; ctl may close */
	snprintf(line, sizeof(line), "%d %d", o->fd, ctl);
	return cg_write(o->dir, "cgroup.event_control", line, err);
}

/* v2: inotify on memory.events, then its counters as they are now (after
 * the watch is set, so no change is missed). */
static int open_v2(struct ocifs_oom *o, ocifs_error *err)
{
	cleanup_free char *path = xasprintf("%s/memory.events", o->dir);

	o->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (o->fd < 0)
		return ocifs_error_set(err, errno, "inotify_init1");
	if (inotify_add_watch(o->fd, path, IN_MODIFY) < 0)
		return ocifs_error_set(err, errno, "inotify_add_watch %s", path);
	return read_events(o->dir, &o->oom, &o->oom_kill, err);
}

int ocifs_oom_open(const char *root, const char *id, struct ocifs_oom **out,
		   ocifs_error *err)
{
	_cleanup_(oom_freep) struct ocifs_oom *o = NULL;
	struct state_rec r;
	int rc;

	*out = NULL;
	if (state_read(root, id, &r, err) < 0)
		return -1;
	if (state_status(&r) == OCIFS_STOPPED)
		rc = ocifs_error_set(err, EBUSY, "container is stopped, not running");
	else if (!r.cgroup)
		rc = ocifs_error_set(err, ENOTSUP, "container has no cgroup for OOM events");
	else {
		o = xcalloc(1, sizeof(*o));
		o->fd = -1;
		rc = memory_dir(r.cgroup, &o->dir, &o->version, err);
	}
	state_rec_clear(&r);
	if (rc < 0)
		return -1;
	if ((o->version == 1 ? open_v1(o, err) : open_v2(o, err)) < 0)
		return ocifs_error_prefix(err, "OOM events");
	*out = steal_ptr(&o);
	return 0;
}

/* v1: the eventfd's counter, less the wake-up that the removal of the
 * cgroup gives (once the directory is gone). */
static int read_v1(struct ocifs_oom *o, uint64_t *count, ocifs_error *err)
{
	uint64_t v = 0;
	ssize_t n = read(o->fd, &v, sizeof(v));

	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return ocifs_error_set(err, errno, "OOM events: read eventfd");
	if (n != (ssize_t)sizeof(v))
		v = 0;
	if (v > 0 && !o->gone_seen && !cg_dir_exists(o->dir)) {
		o->gone_seen = true;
		v--;
	}
	*count = v;
	return 0;
}

/* v2: drains the inotify events, then how far the counters rose. */
static int read_v2(struct ocifs_oom *o, uint64_t *count, ocifs_error *err)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint64_t oom, kill, d1, d2;
	ocifs_error rerr = { 0 };
	ssize_t n;

	while ((n = read(o->fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return ocifs_error_set(err, errno, "OOM events: read inotify");
	if (read_events(o->dir, &oom, &kill, &rerr) < 0)
		return 0; /* the cgroup is gone: nothing more will come */
	d1 = oom > o->oom ? oom - o->oom : 0;
	d2 = kill > o->oom_kill ? kill - o->oom_kill : 0;
	o->oom = oom;
	o->oom_kill = kill;
	*count = d1 > d2 ? d1 : d2;
	return 0;
}

int ocifs_oom_read(struct ocifs_oom *o, uint64_t *count, ocifs_error *err)
{
	*count = 0;
	return o->version == 1 ? read_v1(o, count, err) : read_v2(o, count, err);
}
