/* The notifier thread: change notification for file-watching tools.
 *
 * No fuse_lowlevel_notify_* call produces an inotify event on this kernel;
 * operations that pass through the mount do.  So this thread performs real
 * operations on its own mount (issue 3, measured on 6.18):
 *   status(id)    open(O_WRONLY) + write 1 byte + close on MOUNT/ID/state,
 *                 status and pid: IN_MODIFY + IN_CLOSE_WRITE for watchers
 *                 (the node handlers accept and ignore the notifier's writes);
 *   appeared(id)  mkdir MOUNT/ID: IN_CREATE for watchers of the root;
 *   vanished(id)  rmdir MOUNT/ID: IN_DELETE.
 * The handlers recognise this thread by the request's pid (its thread id).
 * For mkdir/rmdir to reach the daemon, lookups of ID made by this thread
 * must answer "absent" just before its mkdir and "present" just before its
 * rmdir: notify_lookup_hint() tells tree.c which, for the job running now.
 *
 * Jobs are queued (never waited for: a request handler must not block on
 * this thread, which itself needs worker threads to be answered) and
 * duplicate pending jobs are coalesced.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "daemon.h"
#include "ocifs/util.h"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

enum job_kind { JOB_NONE, JOB_STATUS, JOB_APPEARED, JOB_VANISHED };

struct job {
	enum job_kind kind;
	char id[129];
	struct job *next;
};

struct notifier {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	bool stop;
	_Atomic pid_t tid;          /* 0 until the thread runs */
	/* the job running now (mu) */
	enum job_kind cur_kind;
	char cur_id[129];
};

static const char *const touched[] = { "state", "status", "pid" };

/* An fd of the mount's root, opened for one job and only when the
 * mountpoint really is our FUSE mount: the job then never touches the
 * directory underneath (before the mount, or after an unmount, when the fd
 * answers ENOTCONN instead).  Not kept open between jobs: an fd on the
 * mount would make a plain `fusermount3 -u` fail with EBUSY. */
static int mount_fd(struct daemon *d)
{
	struct statfs sfs;
	int fd;

	fd = open(d->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != FUSE_SUPER_MAGIC) {
		close(fd);
		return -1;
	}
	return fd;
}

static void touch(int mfd, const char *path)
{
	int fd = openat(mfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return;
	if (write(fd, "\n", 1) < 0) {
		/* nothing to do: the handler may have refused it */
	}
	close(fd);
}

static void run_job(struct daemon *d, const struct job *j)
{
	char path[PATH_MAX];
	cleanup_close int mfd = mount_fd(d);

	if (mfd < 0)
		return; /* not mounted (yet): nobody can be watching */
	switch (j->kind) {
	case JOB_STATUS:
		for (size_t i = 0; i < ARRAY_SIZE(touched); i++) {
			snprintf(path, sizeof(path), "%s/%s", j->id, touched[i]);
			touch(mfd, path);
		}
		break;
	case JOB_APPEARED:
		/* The kernel may hold a positive entry for ID (entries of
		 * containers are cached, tree.c): drop it, or the mkdir would
		 * fail with EEXIST in the VFS without reaching the daemon. */
		if (d->se)
			fuse_lowlevel_notify_inval_entry(d->se, FUSE_ROOT_ID, j->id, strlen(j->id));
		if (mkdirat(mfd, j->id, 0755) < 0 && errno != EEXIST && d->debug)
			fprintf(stderr, "ocifs: notifier: mkdir %s: %s\n", j->id, strerror(errno));
		break;
	case JOB_VANISHED:
		if (unlinkat(mfd, j->id, AT_REMOVEDIR) < 0 && errno != ENOENT && d->debug)
			fprintf(stderr, "ocifs: notifier: rmdir %s: %s\n", j->id, strerror(errno));
		break;
	case JOB_NONE:
		break;
	}
}

static void *notifier_main(void *arg)
{
	struct daemon *d = arg;
	struct notifier *n = d->notifier;

	atomic_store(&n->tid, gettid());
	pthread_mutex_lock(&n->mu);
	for (;;) {
		struct job *j;

		while (!n->head && !n->stop)
			pthread_cond_wait(&n->cv, &n->mu);
		if (n->stop)
			break;
		j = n->head;
		n->head = j->next;
		if (!n->head)
			n->tail = NULL;
		n->cur_kind = j->kind;
		memcpy(n->cur_id, j->id, sizeof(n->cur_id));
		pthread_mutex_unlock(&n->mu);

		run_job(d, j);
		free(j);

		pthread_mutex_lock(&n->mu);
		n->cur_kind = JOB_NONE;
		n->cur_id[0] = '\0';
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

int notify_start(struct daemon *d)
{
	struct notifier *n = xcalloc(1, sizeof(*n));
	int r;

	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	d->notifier = n;
	r = pthread_create(&n->thread, NULL, notifier_main, d);
	if (r) {
		d->notifier = NULL;
		pthread_cond_destroy(&n->cv);
		pthread_mutex_destroy(&n->mu);
		free(n);
		errno = r;
		return -1;
	}
	return 0;
}

/* Call after the session is unmounted (or while its loop still runs): a job
 * in progress waits for the mount to answer.  Gives up after 2 s and leaves
 * the thread (and its state) behind rather than hang the shutdown. */
void notify_stop(struct daemon *d)
{
	struct notifier *n = d->notifier;
	struct timespec deadline;

	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	if (pthread_timedjoin_np(n->thread, NULL, &deadline) != 0) {
		pthread_detach(n->thread);
		return;
	}
	d->notifier = NULL;
	while (n->head) {
		struct job *j = n->head;
		n->head = j->next;
		free(j);
	}
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

static void enqueue(struct daemon *d, enum job_kind kind, const char *id)
{
	struct notifier *n = d->notifier;
	struct job *last = NULL, *j;

	if (!n || !id || !ocifs_id_valid(id))
		return;
	pthread_mutex_lock(&n->mu);
	if (n->stop) {
		pthread_mutex_unlock(&n->mu);
		return;
	}
	/* coalesce: the same job already pending as the last one for this id */
	for (j = n->head; j; j = j->next)
		if (!strcmp(j->id, id))
			last = j;
	if (last && last->kind == kind) {
		pthread_mutex_unlock(&n->mu);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->kind = kind;
	snprintf(j->id, sizeof(j->id), "%s", id);
	if (n->tail)
		n->tail->next = j;
	else
		n->head = j;
	n->tail = j;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

void notify_status(struct daemon *d, const char *id)
{
	enqueue(d, JOB_STATUS, id);
}

void notify_appeared(struct daemon *d, const char *id)
{
	enqueue(d, JOB_APPEARED, id);
}

void notify_vanished(struct daemon *d, const char *id)
{
	enqueue(d, JOB_VANISHED, id);
}

bool notify_is_notifier(struct daemon *d, fuse_req_t req)
{
	struct notifier *n = d->notifier;
	pid_t tid;

	if (!n)
		return false;
	tid = atomic_load(&n->tid);
	return tid != 0 && fuse_req_ctx(req)->pid == tid;
}

/* Only meaningful for lookups made by the notifier itself: the caller
 * (tree.c's lookup) must check notify_is_notifier(d, req) first, or other
 * processes would briefly be told a container is absent. */
int notify_lookup_hint(struct daemon *d, const char *id)
{
	struct notifier *n = d->notifier;
	int hint = -1;

	if (!n || !id)
		return -1;
	pthread_mutex_lock(&n->mu);
	if (!strcmp(n->cur_id, id)) {
		if (n->cur_kind == JOB_APPEARED)
			hint = 0;
		else if (n->cur_kind == JOB_VANISHED)
			hint = 1;
	}
	pthread_mutex_unlock(&n->mu);
	return hint;
}
