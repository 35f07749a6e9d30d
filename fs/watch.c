/* The watcher thread: learns of every status change, whoever made it.
 *
 * One epoll over
 *   - an inotify fd: the state root (ids appearing and vanishing) and each
 *     ROOT/ID directory: state.json replaced (IN_MOVED_TO, the engine writes
 *     it by rename) or removed, ROOT/ID/exit written (the keeper's note of
 *     an init's exit status), and the directory itself closed after being
 *     opened for reading (IN_CLOSE_NOWRITE with no name): every engine
 *     operation holds a flock on an fd of ROOT/ID, so its close marks the end
 *     of any operation, including pause/resume, which change no file here;
 *   - one pidfd per live init (created, running, paused): readable when the
 *     init exits, whoever its parent is;
 *   - alongside each pidfd, the container's OOM handle (ocifs_oom_open: an
 *     eventfd on v1 memory.oom_control, inotify on v2 memory.events),
 *     readable when its memory cgroup hits OOM: an {"type":"oom"} event;
 *   - an eventfd that asks the thread to stop.
 * Keeper notices (exec start/exit, init exit) and finished ctl commands come
 * in through watch_keeper_notice() and watch_changed() on other threads.
 *
 * watch_changed() re-reads the container (tree_refresh) and turns what
 * changed into an event line (events.c) and a notifier job (notify.c).
 * Calls are serialised so events of one container come out in order.  A
 * pidfd is opened after the refresh that saw the pid alive and is followed
 * by one more refresh, so an init that died (and whose pid may have been
 * reused) in between is never watched in its place.  OOMs pending on a
 * container are read (under w->mu) and emitted before its state events and
 * before its OOM handle is closed with the pidfd, so an OOM that kills the
 * init comes out before the "stopped" state.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon.h"
#include "ocifs/util.h"

#define TAG_INOTIFY 1ULL
#define TAG_STOP 2ULL
#define TAG_PIDFD 3ULL
#define TAG_OOM 4ULL
#define TAG(kind, idx, gen) (((kind) << 56) | ((uint64_t)(idx) << 32) | (uint32_t)(gen))

#define ROOT_MASK (IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR)
#define DIR_MASK (IN_MOVED_TO | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_DELETE | \
		  IN_DELETE_SELF | IN_ONLYDIR)

struct wentry {
	bool used;
	char id[129];
	int wd;                 /* inotify watch on ROOT/ID, -1 none */
	int pidfd;              /* -1 none */
	pid_t pid;              /* what pidfd refers to */
	uint32_t gen;           /* tags the pidfd (and oom) in epoll */
	struct ocifs_oom *oom;  /* OOM notifications, with the pidfd; NULL none */
};

struct watcher {
	pthread_t thread;
	bool running;
	int ep, ino, evfd;
	int root_wd;
	pthread_mutex_t mu;     /* ents, epoll registrations */
	struct wentry *ents;
	size_t n_ents;
	uint32_t gen;
	pthread_mutex_t change_mu; /* serialises watch_changed */
	bool stopped;           /* (change_mu) watch_stop ran: no more watches */
	_Atomic bool busy;      /* between epoll_wait's return and the batch's end */
	_Atomic bool live;      /* the first resync is done, the thread runs */
};

/* A small set of ids (the changes seen in one batch). */
struct idset {
	char (*v)[129];
	size_t n, cap;
};

static void idset_add(struct idset *s, const char *id)
{
	if (!ocifs_id_valid(id))
		return;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], id))
			return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	snprintf(s->v[s->n++], sizeof(s->v[0]), "%s", id);
}

/* ---- entries (w->mu held) ---- */

static struct wentry *ent_find(struct watcher *w, const char *id)
{
	for (size_t i = 0; i < w->n_ents; i++)
		if (w->ents[i].used && !strcmp(w->ents[i].id, id))
			return &w->ents[i];
	return NULL;
}

static struct wentry *ent_get(struct watcher *w, const char *id)
{
	struct wentry *e = ent_find(w, id);
	size_t i;

	if (e)
		return e;
	for (i = 0; i < w->n_ents && w->ents[i].used; i++)
		;
	if (i == w->n_ents) {
		size_t n = w->n_ents ? 2 * w->n_ents : 64;
		w->ents = xrealloc(w->ents, n * sizeof(*w->ents));
		memset(w->ents + w->n_ents, 0, (n - w->n_ents) * sizeof(*w->ents));
		w->n_ents = n;
	}
	e = &w->ents[i];
	e->used = true;
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->wd = -1;
	e->pidfd = -1;
	e->pid = 0;
	e->oom = NULL;
	return e;
}

static void ent_maybe_free(struct wentry *e)
{
	if (e->wd < 0 && e->pidfd < 0)
		e->used = false;
}

static void ent_close_oom(struct watcher *w, struct wentry *e)
{
	if (!e->oom)
		return;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, ocifs_oom_fd(e->oom), NULL);
	ocifs_oom_close(e->oom);
	e->oom = NULL;
}

/* OOMs pending on the entry's handle (0 when none).  A handle that fails
 * to read is dropped, so that a level-triggered epoll cannot spin on it. */
static uint64_t ent_oom_read(struct watcher *w, struct wentry *e)
{
	ocifs_error err = { 0 };
	uint64_t n = 0;

	if (e->oom && ocifs_oom_read(e->oom, &n, &err) < 0)
		ent_close_oom(w, e);
	return n;
}

/* Closes the entry's OOM handle; returns the OOMs still pending on it. */
static uint64_t ent_drop_oom(struct watcher *w, struct wentry *e)
{
	uint64_t n = ent_oom_read(w, e);

	ent_close_oom(w, e);
	return n;
}

/* Drops the pidfd and the OOM handle; returns the OOMs that were pending,
 * for the caller to emit once w->mu is released. */
static uint64_t ent_drop_pidfd(struct watcher *w, struct wentry *e)
{
	uint64_t n = ent_drop_oom(w, e);

	if (e->pidfd < 0)
		return n;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, e->pidfd, NULL);
	close(e->pidfd);
	e->pidfd = -1;
	e->pid = 0;
	return n;
}

/* True when fd lies in the upper half of the fd limit: OOM handles then
 * give way, so that the pidfds (which status tracking needs) never run
 * out of fds because of them (fds are allocated lowest first). */
static bool fd_budget_spent(int fd)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	       (rlim_t)fd >= rl.rlim_cur / 2;
}

/* Opens the container's OOM handle with a new pidfd (same gen in its tag).
 * A container without a memory cgroup simply has none. */
static void ent_open_oom(struct daemon *d, struct watcher *w, struct wentry *e)
{
	struct epoll_event ev = {
		.events = EPOLLIN,
		.data.u64 = TAG(TAG_OOM, (uint64_t)(e - w->ents), e->gen),
	};
	ocifs_error err = { 0 };

	if (ocifs_oom_open(d->root, e->id, &e->oom, &err) < 0) {
		if (d->debug)
			fprintf(stderr, "ocifs: %s: no OOM events: %s\n", e->id, err.msg);
		return;
	}
	if (fd_budget_spent(ocifs_oom_fd(e->oom)) ||
	    epoll_ctl(w->ep, EPOLL_CTL_ADD, ocifs_oom_fd(e->oom), &ev) < 0) {
		if (d->debug)
			fprintf(stderr, "ocifs: %s: no OOM events: fd budget spent or epoll "
				"failed\n", e->id);
		ocifs_oom_close(e->oom);
		e->oom = NULL;
	}
}

/* Watches ROOT/ID (before its state is read, so no change is missed). */
static void watch_dir(struct daemon *d, struct watcher *w, const char *id)
{
	char path[PATH_MAX];
	struct wentry *e;
	int wd;

	snprintf(path, sizeof(path), "%s/%s", d->root, id);
	wd = inotify_add_watch(w->ino, path, DIR_MASK);
	if (wd < 0)
		return;
	pthread_mutex_lock(&w->mu);
	e = ent_get(w, id);
	e->wd = wd;
	pthread_mutex_unlock(&w->mu);
}

/* What the cache says of one container (taken under d->lock). */
struct snap {
	bool present;
	enum ocifs_status status;
	pid_t pid;
	bool has_exit_status;
	int exit_status;
};

static void take_snap(struct daemon *d, const char *id, struct snap *s)
{
	struct ctr *c;

	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&d->lock);
	c = tree_find(d, id);
	if (c) {
		s->present = true;
		s->status = c->status;
		s->pid = c->pid;
		s->has_exit_status = c->has_exit_status;
		s->exit_status = c->exit_status;
	}
	pthread_mutex_unlock(&d->lock);
}

/* Arms, re-arms or drops the container's pidfd (and OOM handle).  Returns
 * true when the caller must refresh again (a pidfd was just opened, or the
 * pid is gone).  *ooms = OOMs pending on a dropped handle, to emit. */
static bool pidfd_sync(struct daemon *d, struct watcher *w, const char *id,
		       const struct snap *s, uint64_t *ooms)
{
	bool want = s->present && s->pid > 0 &&
		    (s->status == OCIFS_CREATED || s->status == OCIFS_RUNNING ||
		     s->status == OCIFS_PAUSED);
	struct wentry *e;
	bool again = false;
	int fd;

	*ooms = 0;
	pthread_mutex_lock(&w->mu);
	e = want ? ent_get(w, id) : ent_find(w, id);
	if (!e)
		goto out;
	if (want && e->pidfd >= 0 && e->pid == s->pid)
		goto out;
	*ooms = ent_drop_pidfd(w, e);
	if (!want) {
		ent_maybe_free(e);
		goto out;
	}
	fd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (fd < 0) {
		again = errno == ESRCH;
		ent_maybe_free(e);
		goto out;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	e->pidfd = fd;
	e->pid = s->pid;
	e->gen = ++w->gen;
	{
		struct epoll_event ev = {
			.events = EPOLLIN,
			.data.u64 = TAG(TAG_PIDFD, (uint64_t)(e - w->ents), e->gen),
		};
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			ent_drop_pidfd(w, e);
		else
			ent_open_oom(d, w, e);
	}
	again = true;
out:
	pthread_mutex_unlock(&w->mu);
	return again;
}

/* ---- event lines ---- */

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

static void emit_state(struct daemon *d, const char *type, const char *id, const struct snap *s)
{
	char json[512], when[64], exitst[32] = "";

	now_rfc3339(when, sizeof(when));
	if (s->has_exit_status)
		snprintf(exitst, sizeof(exitst), ",\"exitStatus\":%d", s->exit_status);
	snprintf(json, sizeof(json),
		 "{\"type\":\"%s\",\"id\":\"%s\",\"status\":\"%s\",\"pid\":%d%s,\"time\":\"%s\"}",
		 type, id, ocifs_status_name(s->status), (int)s->pid, exitst, when);
	events_emit(d, id, json);
}

/* n {"type":"oom"} lines (runc's events, plus the time). */
static void emit_oom(struct daemon *d, const char *id, uint64_t n)
{
	char json[256], when[64];

	if (!n)
		return;
	now_rfc3339(when, sizeof(when));
	snprintf(json, sizeof(json), "{\"type\":\"oom\",\"id\":\"%s\",\"time\":\"%s\"}",
		 id, when);
	for (; n > 0; n--)
		events_emit(d, id, json);
}

/* Emits the OOMs pending on the container's handle (before a state event
 * that the OOM may have caused). */
static void oom_poll(struct daemon *d, struct watcher *w, const char *id)
{
	struct wentry *e;
	uint64_t n = 0;

	pthread_mutex_lock(&w->mu);
	e = ent_find(w, id);
	if (e)
		n = ent_oom_read(w, e);
	pthread_mutex_unlock(&w->mu);
	emit_oom(d, id, n);
}

static void emit_delete(struct daemon *d, const char *id)
{
	char json[256], when[64];

	now_rfc3339(when, sizeof(when));
	snprintf(json, sizeof(json), "{\"type\":\"delete\",\"id\":\"%s\",\"time\":\"%s\"}", id, when);
	events_emit(d, id, json);
}

void watch_changed(struct daemon *d, const char *id)
{
	struct watcher *w = d->watcher, *held = w;

	if (!id || !ocifs_id_valid(id))
		return;
	if (held) {
		pthread_mutex_lock(&held->change_mu);
		if (held->stopped)
			w = NULL;
	}
	for (int round = 0; round < 3; round++) {
		int bits = tree_refresh(d, id);
		struct snap s;
		uint64_t ooms = 0;
		bool again;

		if ((bits & TREE_APPEARED) && w)
			watch_dir(d, w, id);
		take_snap(d, id, &s);
		if (w)
			oom_poll(d, w, id);
		if (bits & TREE_VANISHED) {
			emit_delete(d, id);
			notify_vanished(d, id);
		}
		if ((bits & TREE_APPEARED) && s.present) {
			emit_state(d, "create", id, &s);
			notify_appeared(d, id);
		} else if ((bits & TREE_STATUS) && s.present) {
			emit_state(d, "state", id, &s);
			notify_status(d, id);
		}
		if (!w)
			break;
		again = pidfd_sync(d, w, id, &s, &ooms);
		emit_oom(d, id, ooms);
		if (!again)
			break;
	}
	if (held)
		pthread_mutex_unlock(&held->change_mu);
}

void watch_keeper_notice(const struct keeper_notice *n, void *data)
{
	struct daemon *d = data;
	char json[512], when[64];

	if (!ocifs_id_valid(n->id))
		return;
	now_rfc3339(when, sizeof(when));
	switch (n->kind) {
	case KEEPER_EXEC_START:
		snprintf(json, sizeof(json),
			 "{\"type\":\"exec\",\"id\":\"%s\",\"execId\":%u,\"pid\":%d,\"time\":\"%s\"}",
			 n->id, n->exec_id, (int)n->pid, when);
		events_emit(d, n->id, json);
		break;
	case KEEPER_EXEC_EXIT:
		snprintf(json, sizeof(json),
			 "{\"type\":\"exec-exit\",\"id\":\"%s\",\"execId\":%u,\"exitStatus\":%d,"
			 "\"time\":\"%s\"}",
			 n->id, n->exec_id, n->exit_status, when);
		events_emit(d, n->id, json);
		break;
	case KEEPER_INIT_EXIT:
		watch_changed(d, n->id);
		break;
	}
}

/* ---- the thread ---- */

/* Every id the root, the cache or the watch table knows: watched and
 * refreshed (at start and after an inotify queue overflow). */
static void resync(struct daemon *d, struct watcher *w)
{
	struct idset all = { 0 };
	char **ids = NULL;
	size_t n = 0;
	ocifs_error err;

	if (ocifs_list(d->root, &ids, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			watch_dir(d, w, ids[i]);
			idset_add(&all, ids[i]);
		}
		ocifs_list_free(ids, n);
	}
	pthread_mutex_lock(&d->lock);
	for (unsigned i = 0; i < d->n_slots; i++)
		if (d->ctrs[i])
			idset_add(&all, d->ctrs[i]->id);
	pthread_mutex_unlock(&d->lock);
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->n_ents; i++)
		if (w->ents[i].used)
			idset_add(&all, w->ents[i].id);
	pthread_mutex_unlock(&w->mu);
	for (size_t i = 0; i < all.n; i++)
		watch_changed(d, all.v[i]);
	free(all.v);
}

/* Reads every queued inotify event; the ids to refresh go into set.
 * Returns true on a queue overflow. */
static bool drain_inotify(struct daemon *d, struct watcher *w, struct idset *set)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool overflow = false;
	ssize_t len;

	while ((len = read(w->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			const char *name = ev->len ? ev->name : "";

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				overflow = true;
				continue;
			}
			if (ev->wd == w->root_wd) {
				if (!(ev->mask & IN_ISDIR) || !ocifs_id_valid(name))
					continue;
				if (ev->mask & (IN_CREATE | IN_MOVED_TO))
					watch_dir(d, w, name);
				idset_add(set, name);
				continue;
			}
			{
				char id[129] = "";
				pthread_mutex_lock(&w->mu);
				for (size_t i = 0; i < w->n_ents; i++) {
					struct wentry *e = &w->ents[i];
					if (e->used && e->wd == ev->wd) {
						snprintf(id, sizeof(id), "%s", e->id);
						if (ev->mask & IN_IGNORED) {
							e->wd = -1;
							ent_maybe_free(e);
						}
						break;
					}
				}
				pthread_mutex_unlock(&w->mu);
				if (!id[0])
					continue;
				if (ev->mask & (IN_IGNORED | IN_DELETE_SELF))
					idset_add(set, id);
				else if (!ev->len && (ev->mask & IN_CLOSE_NOWRITE))
					idset_add(set, id); /* an engine operation ended */
				else if (!strcmp(name, "state.json") &&
					 (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE)))
					idset_add(set, id);
				else if (!strcmp(name, "exit") && (ev->mask & IN_MOVED_TO))
					idset_add(set, id); /* the init's exit noted */
			}
		}
	}
	return overflow;
}

static void *watcher_main(void *arg)
{
	struct daemon *d = arg;
	struct watcher *w = d->watcher;
	struct epoll_event evs[32];

	resync(d, w);
	atomic_store(&w->live, true);
	for (;;) {
		struct idset set = { 0 };
		bool overflow = false;
		int n;

		atomic_store(&w->busy, false);
		n = epoll_wait(w->ep, evs, ARRAY_SIZE(evs), -1);
		atomic_store(&w->busy, true);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			uint64_t kind = tag >> 56;

			if (kind == TAG_STOP) {
				atomic_store(&w->live, false);
				free(set.v);
				return NULL;
			} else if (kind == TAG_INOTIFY) {
				overflow |= drain_inotify(d, w, &set);
			} else if (kind == TAG_PIDFD || kind == TAG_OOM) {
				size_t idx = (tag >> 32) & 0xffffff;
				uint32_t gen = (uint32_t)tag;
				char id[129] = "";
				uint64_t ooms = 0;

				pthread_mutex_lock(&w->mu);
				if (idx < w->n_ents && w->ents[idx].used &&
				    w->ents[idx].gen == gen && w->ents[idx].pidfd >= 0) {
					struct wentry *e = &w->ents[idx];
					snprintf(id, sizeof(id), "%s", e->id);
					if (kind == TAG_OOM) {
						ooms = ent_oom_read(w, e);
					} else {
						idset_add(&set, e->id);
						/* the init exited */
						ooms = ent_drop_pidfd(w, e);
						ent_maybe_free(e);
					}
				}
				pthread_mutex_unlock(&w->mu);
				emit_oom(d, id, ooms);
			}
		}
		for (size_t i = 0; i < set.n; i++)
			watch_changed(d, set.v[i]);
		free(set.v);
		if (overflow)
			resync(d, w);
	}
	atomic_store(&w->live, false);
	return NULL;
}

/* Every change to the store queues something on w->ep before the changing
 * call returns (an inotify event: the engine's rename of state.json, the
 * close of the fd an engine operation locks; or a pidfd turning readable
 * when an init exits).  So when, in this order, the epoll set has nothing
 * ready and the thread is not between taking events and applying them,
 * the cache holds every change made before the call. */
bool watch_quiet(struct daemon *d)
{
	struct watcher *w = d->watcher;
	struct pollfd p;

	if (!w || !atomic_load(&w->live))
		return false;
	p.fd = w->ep;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) != 0)
		return false;
	return !atomic_load(&w->busy);
}

int watch_start(struct daemon *d)
{
	struct watcher *w = xcalloc(1, sizeof(*w));
	struct epoll_event ev = { .events = EPOLLIN };
	int r, saved;

	w->ep = w->ino = w->evfd = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->change_mu, NULL);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->ep < 0 || w->ino < 0 || w->evfd < 0)
		goto fail;
	w->root_wd = inotify_add_watch(w->ino, d->root, ROOT_MASK);
	if (w->root_wd < 0)
		goto fail;
	ev.data.u64 = TAG(TAG_INOTIFY, 0, 0);
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->ino, &ev) < 0)
		goto fail;
	ev.data.u64 = TAG(TAG_STOP, 0, 0);
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->evfd, &ev) < 0)
		goto fail;
	d->watcher = w;
	r = pthread_create(&w->thread, NULL, watcher_main, d);
	if (r) {
		d->watcher = NULL;
		errno = r;
		goto fail;
	}
	w->running = true;
	return 0;
fail:
	saved = errno;
	if (w->ep >= 0)
		close(w->ep);
	if (w->ino >= 0)
		close(w->ino);
	if (w->evfd >= 0)
		close(w->evfd);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->change_mu);
	free(w);
	errno = saved;
	return -1;
}

/* Other threads (ctl handlers, the keeper's reader) may still call
 * watch_changed during and after this: they then refresh and emit without
 * touching the watches.  So the struct itself (with change_mu) is left
 * allocated: a few bytes, once, at exit. */
void watch_stop(struct daemon *d)
{
	struct watcher *w = d->watcher;
	uint64_t one = 1;

	if (!w)
		return;
	if (w->running) {
		if (write(w->evfd, &one, sizeof(one)) < 0) {
			/* an eventfd write of 1 cannot fail here */
		}
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	pthread_mutex_lock(&w->change_mu);
	w->stopped = true;
	d->watcher = NULL;
	for (size_t i = 0; i < w->n_ents; i++) {
		if (w->ents[i].used && w->ents[i].pidfd >= 0)
			close(w->ents[i].pidfd);
		if (w->ents[i].used)
			ocifs_oom_close(w->ents[i].oom);
	}
	free(w->ents);
	w->ents = NULL;
	w->n_ents = 0;
	close(w->ep);
	close(w->ino);
	close(w->evfd);
	w->ep = w->ino = w->evfd = -1;
	pthread_mutex_unlock(&w->change_mu);
}
