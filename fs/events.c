/* The event log and the `events` files: JSON lines, `tail -n0 -f` style.
 *
 * One stream for the top-level `events` and one per container id that has
 * open readers (a stream with no reader keeps nothing: a reader only ever
 * sees lines emitted after its open).  A stream is a ring of at most
 * EV_KEEP lines with increasing sequence numbers; lines every reader has
 * consumed are dropped at once, and a reader that falls behind the window
 * skips to the oldest line kept.
 *
 * A read with nothing pending is deferred: the request is parked on its
 * reader and answered by the next events_emit; an interrupt callback
 * answers it EINTR when the reading process is signalled (or killed),
 * because a worker thread blocked in a handler would hang the mount.
 * poll keeps the pollhandle and notifies it on the next emit, as libfuse's
 * example/poll.c does.  Every FUSE reply and notification is made after
 * d->lock is dropped: requests and handles are collected under the lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "ocifs/util.h"

#define EV_KEEP 4096
#define EV_RING_MIN 16

struct ev_line {
	size_t len;             /* including the "\n" */
	char text[];
};

struct parked {
	fuse_req_t req;
	size_t size;
	struct reader *r;
	struct parked *next;    /* in events.parked */
};

struct stream {
	char id[129];           /* "" = the global stream */
	struct ev_line **ring;
	size_t cap;             /* power of two, up to EV_KEEP */
	size_t head;            /* ring index of first_seq */
	uint64_t first_seq;     /* oldest line kept */
	uint64_t next_seq;      /* the next line's number */
	struct reader *readers;
	struct stream *next;    /* in events.streams (per-container ones) */
};

struct reader {
	struct stream *s;
	uint64_t cursor;        /* next line to deliver */
	size_t off;             /* bytes of that line already delivered */
	struct fuse_pollhandle *ph;
	struct reader *next;    /* in s->readers */
};

/* A socket that gets the lines of one stream as they are emitted (the
 * HTTP front end's event streams, events_attach_fd). */
struct tap {
	int fd;
	char id[129];           /* "" = every event */
	struct tap *next;
};

#define EV_TAPS_MAX 64

struct events {
	struct stream global;
	struct stream *streams;
	struct parked *parked;  /* every deferred read, oldest first */
	pthread_mutex_t tap_mu; /* taps: written outside d->lock */
	struct tap *taps;
	size_t n_taps;
};

/* What to send once d->lock is dropped. */
struct outbox {
	struct reply {
		fuse_req_t req;
		char *buf;      /* NULL with len 0: empty reply; err != 0: error */
		size_t len;
		int err;
	} *replies;
	size_t n_replies, cap_replies;
	struct fuse_pollhandle **phs;
	size_t n_phs, cap_phs;
	struct fuse_pollhandle **dead_phs; /* destroy without notifying */
	size_t n_dead, cap_dead;
};

static void outbox_reply(struct outbox *o, fuse_req_t req, char *buf, size_t len, int err)
{
	if (o->n_replies == o->cap_replies) {
		o->cap_replies = o->cap_replies ? 2 * o->cap_replies : 8;
		o->replies = xrealloc(o->replies, o->cap_replies * sizeof(*o->replies));
	}
	o->replies[o->n_replies++] = (struct reply){ req, buf, len, err };
}

static void outbox_ph(struct fuse_pollhandle ***v, size_t *n, size_t *cap,
		      struct fuse_pollhandle *ph)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = ph;
}

/* Sends everything; d->lock must not be held. */
static void outbox_flush(struct outbox *o)
{
	for (size_t i = 0; i < o->n_replies; i++) {
		struct reply *r = &o->replies[i];
		if (r->err)
			fuse_reply_err(r->req, r->err);
		else
			fuse_reply_buf(r->req, r->buf, r->len);
		free(r->buf);
	}
	for (size_t i = 0; i < o->n_phs; i++) {
		fuse_lowlevel_notify_poll(o->phs[i]);
		fuse_pollhandle_destroy(o->phs[i]);
	}
	for (size_t i = 0; i < o->n_dead; i++)
		fuse_pollhandle_destroy(o->dead_phs[i]);
	free(o->replies);
	free(o->phs);
	free(o->dead_phs);
	memset(o, 0, sizeof(*o));
}

/* ---- streams ---- */

static struct ev_line *line_at(struct stream *s, uint64_t seq)
{
	return s->ring[(s->head + (seq - s->first_seq)) & (s->cap - 1)];
}

static void drop_oldest(struct stream *s)
{
	free(s->ring[s->head]);
	s->ring[s->head] = NULL;
	s->head = (s->head + 1) & (s->cap - 1);
	s->first_seq++;
}

/* Drops lines every reader has consumed (all of them when none reads). */
static void stream_trim(struct stream *s)
{
	uint64_t min = s->next_seq;

	for (struct reader *r = s->readers; r; r = r->next)
		if (r->cursor < min)
			min = r->cursor;
	while (s->first_seq < min)
		drop_oldest(s);
}

static void stream_append(struct stream *s, const char *json, size_t jlen)
{
	struct ev_line *l = xmalloc(sizeof(*l) + jlen + 1);

	memcpy(l->text, json, jlen);
	l->text[jlen] = '\n';
	l->len = jlen + 1;
	if (s->next_seq - s->first_seq == s->cap) {
		if (s->cap < EV_KEEP) {
			size_t ncap = s->cap ? 2 * s->cap : EV_RING_MIN;
			struct ev_line **nr = xcalloc(ncap, sizeof(*nr));
			for (uint64_t q = s->first_seq; q < s->next_seq; q++)
				nr[q - s->first_seq] = line_at(s, q);
			free(s->ring);
			s->ring = nr;
			s->cap = ncap;
			s->head = 0;
		} else {
			drop_oldest(s);
		}
	}
	s->ring[(s->head + (s->next_seq - s->first_seq)) & (s->cap - 1)] = l;
	s->next_seq++;
}

static void stream_free_lines(struct stream *s)
{
	while (s->first_seq < s->next_seq)
		drop_oldest(s);
	free(s->ring);
	s->ring = NULL;
	s->cap = 0;
	s->head = 0;
}

static struct stream *stream_find(struct events *ev, const char *id)
{
	if (!id)
		return &ev->global;
	for (struct stream *s = ev->streams; s; s = s->next)
		if (!strcmp(s->id, id))
			return s;
	return NULL;
}

static bool reader_pending(const struct reader *r)
{
	return r->cursor < r->s->next_seq;
}

/* Copies whole lines after r's cursor into a new buffer of at most size
 * bytes (a line longer than size goes out in pieces); advances the cursor. */
static char *reader_fill(struct reader *r, size_t size, size_t *len)
{
	struct stream *s = r->s;
	size_t used = 0;
	char *buf;

	if (r->cursor < s->first_seq) {
		r->cursor = s->first_seq;
		r->off = 0;
	}
	buf = xmalloc(size ? size : 1);
	while (r->cursor < s->next_seq && used < size) {
		struct ev_line *l = line_at(s, r->cursor);
		size_t left = l->len - r->off;

		if (left > size - used) {
			if (used)
				break;
			left = size - used;
		}
		memcpy(buf + used, l->text + r->off, left);
		used += left;
		r->off += left;
		if (r->off == l->len) {
			r->cursor++;
			r->off = 0;
		}
	}
	*len = used;
	return buf;
}

/* Serves parked reads and pollers of s (d->lock held). */
static void stream_wake(struct events *ev, struct stream *s, struct outbox *o)
{
	struct parked **pp = &ev->parked;

	while (*pp) {
		struct parked *p = *pp;
		if (p->r->s == s && reader_pending(p->r)) {
			size_t len;
			char *buf = reader_fill(p->r, p->size, &len);
			outbox_reply(o, p->req, buf, len, 0);
			*pp = p->next;
			free(p);
		} else {
			pp = &p->next;
		}
	}
	for (struct reader *r = s->readers; r; r = r->next) {
		if (r->ph && reader_pending(r)) {
			outbox_ph(&o->phs, &o->n_phs, &o->cap_phs, r->ph);
			r->ph = NULL;
		}
	}
	stream_trim(s);
}

/* ---- the daemon's side ---- */

int events_init(struct daemon *d)
{
	d->events = xcalloc(1, sizeof(*d->events));
	pthread_mutex_init(&d->events->tap_mu, NULL);
	return 0;
}

/* ---- taps ---- */

static void tap_drop(struct events *ev, struct tap **link)
{
	struct tap *t = *link;

	*link = t->next;
	close(t->fd);
	free(t);
	ev->n_taps--;
}

/* Writes the line to every tap that wants it; a tap that cannot take the
 * whole line at once (gone, or too slow to keep up) is dropped. */
static void taps_emit(struct events *ev, const char *id, const char *json, size_t jlen)
{
	char *line = NULL;
	size_t len = jlen + 1;

	pthread_mutex_lock(&ev->tap_mu);
	if (ev->taps)
		line = xasprintf("%s\n", json);
	for (struct tap **link = &ev->taps; *link;) {
		struct tap *t = *link;

		if (t->id[0] && (!id || strcmp(t->id, id) != 0)) {
			link = &t->next;
			continue;
		}
		if (send(t->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len) {
			tap_drop(ev, link);
			continue;
		}
		link = &t->next;
	}
	pthread_mutex_unlock(&ev->tap_mu);
	free(line);
}

/* Taps whose peer has gone, found without waiting for the next event. */
static void taps_prune(struct events *ev)
{
	for (struct tap **link = &ev->taps; *link;) {
		struct pollfd p = { .fd = (*link)->fd, .events = POLLRDHUP };

		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			tap_drop(ev, link);
		else
			link = &(*link)->next;
	}
}

int events_attach_fd(struct daemon *d, const char *id, int fd)
{
	struct events *ev = d->events;
	struct tap *t;
	int fl;

	if (!ev)
		return EIO;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return errno;
	pthread_mutex_lock(&ev->tap_mu);
	taps_prune(ev);
	if (ev->n_taps >= EV_TAPS_MAX) {
		pthread_mutex_unlock(&ev->tap_mu);
		return EMFILE;
	}
	t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	snprintf(t->id, sizeof(t->id), "%s", id ? id : "");
	t->next = ev->taps;
	ev->taps = t;
	ev->n_taps++;
	pthread_mutex_unlock(&ev->tap_mu);
	return 0;
}

void events_destroy(struct daemon *d)
{
	struct events *ev = d->events;

	if (!ev)
		return;
	d->events = NULL;
	/* the session is gone: parked requests cannot be answered any more */
	while (ev->parked) {
		struct parked *p = ev->parked;
		ev->parked = p->next;
		free(p);
	}
	for (struct stream *s = &ev->global; s; s = (s == &ev->global) ? ev->streams : s->next)
		for (struct reader *r = s->readers; r; r = r->next)
			if (r->ph)
				fuse_pollhandle_destroy(r->ph);
	while (ev->streams) {
		struct stream *s = ev->streams;
		ev->streams = s->next;
		while (s->readers) {
			struct reader *r = s->readers;
			s->readers = r->next;
			free(r);
		}
		stream_free_lines(s);
		free(s);
	}
	while (ev->global.readers) {
		struct reader *r = ev->global.readers;
		ev->global.readers = r->next;
		free(r);
	}
	stream_free_lines(&ev->global);
	while (ev->taps)
		tap_drop(ev, &ev->taps);
	pthread_mutex_destroy(&ev->tap_mu);
	free(ev);
}

void events_emit(struct daemon *d, const char *id, const char *json)
{
	struct events *ev = d->events;
	struct outbox o = { 0 };
	size_t jlen = strlen(json);

	if (!ev)
		return;
	if (d->debug)
		fprintf(stderr, "ocifs: event %s\n", json);
	pthread_mutex_lock(&d->lock);
	if (ev->global.readers) {
		stream_append(&ev->global, json, jlen);
		stream_wake(ev, &ev->global, &o);
	}
	if (id) {
		struct stream *s = stream_find(ev, id);
		if (s && s->readers) {
			stream_append(s, json, jlen);
			stream_wake(ev, s, &o);
		}
	}
	pthread_mutex_unlock(&d->lock);
	outbox_flush(&o);
	taps_emit(ev, id, json, jlen);
}

int events_open(struct daemon *d, const char *id, uint64_t *fh)
{
	struct events *ev = d->events;
	struct reader *r;
	struct stream *s;

	if (!ev)
		return EIO;
	r = xcalloc(1, sizeof(*r));
	pthread_mutex_lock(&d->lock);
	s = stream_find(ev, id);
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		snprintf(s->id, sizeof(s->id), "%s", id);
		s->next = ev->streams;
		ev->streams = s;
	}
	r->s = s;
	r->cursor = s->next_seq;
	r->next = s->readers;
	s->readers = r;
	pthread_mutex_unlock(&d->lock);
	*fh = (uint64_t)(uintptr_t)r;
	return 0;
}

/* A parked read's process got a signal: answer EINTR unless an emit has
 * already taken the request.  Called by libfuse with the request's own lock
 * held, never with d->lock held (see events_read). */
static void read_interrupted(fuse_req_t req, void *data)
{
	struct daemon *d = data;
	struct events *ev = d->events;
	struct parked *found = NULL;

	pthread_mutex_lock(&d->lock);
	for (struct parked **pp = &ev->parked; *pp; pp = &(*pp)->next) {
		if ((*pp)->req == req) {
			found = *pp;
			*pp = found->next;
			break;
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (found) {
		free(found);
		fuse_reply_err(req, EINTR);
	}
}

void events_read(struct daemon *d, fuse_req_t req, uint64_t fh, size_t size)
{
	struct events *ev = d->events;
	struct reader *r = (struct reader *)(uintptr_t)fh;
	char *buf = NULL;
	size_t len = 0;
	bool interrupted = false;

	/* before taking d->lock: an interrupt that already came calls
	 * read_interrupted from right here */
	fuse_req_interrupt_func(req, read_interrupted, d);
	pthread_mutex_lock(&d->lock);
	if (reader_pending(r) || size == 0) {
		buf = reader_fill(r, size, &len);
		stream_trim(r->s);
	} else if (fuse_req_interrupted(req)) {
		interrupted = true;
	} else {
		struct parked *p = xcalloc(1, sizeof(*p)), **pp = &ev->parked;
		p->req = req;
		p->size = size;
		p->r = r;
		while (*pp)
			pp = &(*pp)->next;
		*pp = p;
		pthread_mutex_unlock(&d->lock);
		return; /* req may be answered (and freed) from now on */
	}
	pthread_mutex_unlock(&d->lock);
	if (interrupted)
		fuse_reply_err(req, EINTR);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
}

void events_poll(struct daemon *d, fuse_req_t req, uint64_t fh, struct fuse_pollhandle *ph)
{
	struct reader *r = (struct reader *)(uintptr_t)fh;
	struct fuse_pollhandle *old = NULL;
	unsigned revents = 0;

	pthread_mutex_lock(&d->lock);
	if (reader_pending(r))
		revents |= POLLIN | POLLRDNORM;
	if (ph) {
		old = r->ph;
		r->ph = ph;
	}
	pthread_mutex_unlock(&d->lock);
	if (old)
		fuse_pollhandle_destroy(old);
	fuse_reply_poll(req, revents);
}

void events_release(struct daemon *d, uint64_t fh)
{
	struct events *ev = d->events;
	struct reader *r = (struct reader *)(uintptr_t)fh;
	struct outbox o = { 0 };
	struct stream *s;

	if (!ev || !r)
		return;
	pthread_mutex_lock(&d->lock);
	/* The kernel releases a file only when no read on it is in flight, so
	 * nothing should be parked here; if something is, answer it. */
	for (struct parked **pp = &ev->parked; *pp;) {
		struct parked *p = *pp;
		if (p->r == r) {
			outbox_reply(&o, p->req, NULL, 0, EINTR);
			*pp = p->next;
			free(p);
		} else {
			pp = &p->next;
		}
	}
	if (r->ph)
		outbox_ph(&o.dead_phs, &o.n_dead, &o.cap_dead, r->ph);
	s = r->s;
	for (struct reader **rp = &s->readers; *rp; rp = &(*rp)->next) {
		if (*rp == r) {
			*rp = r->next;
			break;
		}
	}
	free(r);
	stream_trim(s);
	if (s != &ev->global && !s->readers) {
		for (struct stream **sp = &ev->streams; *sp; sp = &(*sp)->next) {
			if (*sp == s) {
				*sp = s->next;
				break;
			}
		}
		stream_free_lines(s);
		free(s);
	}
	pthread_mutex_unlock(&d->lock);
	outbox_flush(&o);
}
