/* The ocifs daemon's shared state and the interfaces between its parts.
 *
 *   main.c    arguments, config, keeper, FUSE session, threads, shutdown
 *   tree.c    inode numbers, the container cache, lookup/getattr/readdir
 *   nodes.c   the node table (per-file mode and handlers), reads, ctl writes
 *   events.c  the event log, `events` readers: deferred reads, poll
 *   notify.c  the notifier thread: file-watcher notifications through the mount
 *   watch.c   the watcher thread: learns of every status change (inotify on
 *             the state root, a pidfd per live init, keeper notices)
 *
 * Locking: d->lock (a mutex) protects the container cache, the error texts
 * and the event log.  No FUSE reply and no blocking call is made while
 * holding it.  Inode numbers: 1 the root; 2..15 the top-level files; a
 * container directory gets (slot + 1) << 4 and its files that | node index
 * (1..15), where slot is its index in d->ctrs (slots are reused only after
 * a generation bump, so stale inodes get ESTALE/ENOENT).
 */
#ifndef OCIFS_FS_DAEMON_H
#define OCIFS_FS_DAEMON_H

#define FUSE_USE_VERSION 34

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "fsconfig.h"
#include "keeper.h"
#include "ocifs/engine.h"

/* One container as the daemon last saw it. */
struct ctr {
	char id[129];
	unsigned slot;             /* index in d->ctrs */
	uint64_t generation;
	enum ocifs_status status;
	pid_t pid;                 /* 0 when none */
	bool has_exit_status;
	int exit_status;
	struct timespec changed;   /* mtime of state/status/pid: last status change */
	struct timespec born;      /* ctime/mtime of the directory */
	char *error;               /* last failed command on it, "" none */
	char *state_json;          /* its state JSON at the last tree_refresh */
	int pidfd;                 /* owned by watch.c, -1 none; when tree_refresh
	                              drops the entry (TREE_VANISHED) it closes it */
};

struct daemon {
	char *root;                /* state root */
	char *mountpoint;          /* absolute */
	struct fs_config cfg;
	gid_t ctl_gid;             /* CtlGroup, (gid_t)-1 = root only */
	bool debug;
	struct keeper *keeper;
	struct fuse_session *se;

	pthread_mutex_t lock;
	struct ctr **ctrs;         /* by slot; NULL = free slot */
	unsigned n_slots;
	uint64_t next_generation;
	char *top_error;           /* the last failed top-level command, "" none */
	struct timespec top_changed;

	/* events.c */
	struct events *events;
	/* notify.c */
	struct notifier *notifier;
	/* watch.c */
	struct watcher *watcher;
};

/* ---- tree.c ---- (d->lock held unless said otherwise) */
struct ctr *tree_find(struct daemon *d, const char *id);
struct ctr *tree_find_ino(struct daemon *d, fuse_ino_t ino);
fuse_ino_t tree_dir_ino(const struct ctr *c);
/* Re-reads one container from the state store (lock NOT held: it takes it).
 * Adds or drops the cache entry.  Returns a bit set of what changed:
 * TREE_APPEARED, TREE_VANISHED, TREE_STATUS (status, pid or exit status). */
#define TREE_APPEARED 1
#define TREE_VANISHED 2
#define TREE_STATUS 4
int tree_refresh(struct daemon *d, const char *id);
/* Refreshes every id in the root and drops those gone (lock NOT held), by
 * calling watch_changed() (which refreshes and reports) for each id in the
 * store or the cache.  main.c calls it once, after watch_start(). */
void tree_rescan(struct daemon *d);
extern const struct fuse_lowlevel_ops ocifs_ops;

/* ---- nodes.c, for front ends other than FUSE (http.c) ---- */
/* The whole content of file `name` of container `id` (id NULL: a file of
 * the root: error, features) as a read from offset 0 shows it: snapshot
 * files and log.  0, or a positive errno: ENOENT no such container or
 * file, EINVAL a file that is not read this way (ctl, events).  *out is
 * malloc'd (caller frees), *len its length. */
int nodes_read_whole(struct daemon *d, const char *id, const char *name, char **out,
		     size_t *len);
/* Runs text as if written to id's ctl (id NULL: the root's ctl) in one
 * write: each line a command, in order, up to the first failure.  0, or
 * the errno the write would fail with and msg the message (also kept in
 * the directory's error file).  The caller has checked the permission. */
int nodes_ctl_run(struct daemon *d, const char *id, const char *text, size_t len, char *msg,
		  size_t msg_size);

/* ---- tree.c ---- */
/* The ids of the cached containers, sorted; *n of them.  Caller frees each
 * and the array. */
char **tree_list_ids(struct daemon *d, size_t *n);

/* ---- events.c ---- */
int events_init(struct daemon *d);
void events_destroy(struct daemon *d);
/* Appends one JSON object (no newline) to the global stream and, when id is
 * not NULL, to that container's stream; wakes readers and pollers. */
void events_emit(struct daemon *d, const char *id, const char *json);
/* FUSE side of the `events` files (id NULL = the top-level one). */
int events_open(struct daemon *d, const char *id, uint64_t *fh);
void events_read(struct daemon *d, fuse_req_t req, uint64_t fh, size_t size);
void events_poll(struct daemon *d, fuse_req_t req, uint64_t fh, struct fuse_pollhandle *ph);
void events_release(struct daemon *d, uint64_t fh);
/* Streams id's events (id NULL: every event) from now on to fd (a
 * connected socket; events.c makes it non-blocking and owns it from here):
 * each line is written as it is emitted; the fd is closed when a write
 * fails, when the peer is too slow (a line that does not fit in the
 * socket's buffer), or by events_destroy.  0, or a positive errno. */
int events_attach_fd(struct daemon *d, const char *id, int fd);

/* ---- notify.c ---- */
int notify_start(struct daemon *d);
void notify_stop(struct daemon *d);
void notify_status(struct daemon *d, const char *id);   /* touch state, status, pid */
void notify_appeared(struct daemon *d, const char *id); /* mkdir MOUNT/ID */
void notify_vanished(struct daemon *d, const char *id); /* rmdir MOUNT/ID */
bool notify_is_notifier(struct daemon *d, fuse_req_t req);
/* What lookup of `id` in the root must tell the notifier, so its own
 * mkdir/rmdir reach watchers: 1 = report present, 0 = report absent,
 * -1 = no opinion (answer from the cache). */
int notify_lookup_hint(struct daemon *d, const char *id);

/* ---- watch.c ---- */
int watch_start(struct daemon *d);
void watch_stop(struct daemon *d);
/* Something changed (a ctl command finished, a keeper notice): refresh
 * the container and emit events / notifications for what changed. */
void watch_changed(struct daemon *d, const char *id);
/* True when the watcher has nothing pending and is not in the middle of a
 * batch: every change to the store made before this call has then been
 * applied to the cache (see watch.c).  Lets reads serve the cache. */
bool watch_quiet(struct daemon *d);
/* Keeper notices (exec start/exit, init exit) land here. */
void watch_keeper_notice(const struct keeper_notice *n, void *data);

#endif
