/* The keeper: a single-threaded helper process that runs every engine
 * operation for the daemon and reaps what it starts (contract in keeper.h).
 *
 * Processes.  keeper_start() forks the keeper while the daemon is still
 * single-threaded.  The keeper makes itself a child subreaper, calls
 * setsid() (a terminal's ^C to the daemon's group does not reach it),
 * ignores SIGINT, SIGHUP and SIGPIPE and leaves SIGTERM at its default, so
 * `kill KEEPER` still works.  Its stdin/stdout become /dev/null, its stderr
 * stays (messages are prefixed "ocifs-keeper: "), every other inherited fd
 * is closed and it moves to "/" so it never keeps a mount busy.
 *
 *   daemon ──socketpair──> keeper ──fork──> worker (one per request)
 *                            ^  <──result socket──┘   └──> container init,
 *                            │                          exec'd process
 *                            └── reaps inits/execs (subreaper), recorders
 *
 * Each request runs in a forked worker (keeper_worker.c), so a slow `stop` never delays
 * other requests.  The worker makes the engine call, sends one result on its
 * own socketpair to the keeper (never to the daemon) and _exit()s.  The
 * container's init (a child of the worker) and a detached exec'd process
 * are then re-parented to the keeper, which registers them from the result.
 * A process can exit before its worker's result has been read: the keeper
 * keeps such exits of unknown pids in a short "early exits" list and matches
 * them at registration (an entry older than the worker, or whose pid is a
 * live child again, is ignored).  When an init exits, a short-lived
 * "recorder" child calls ocifs_record_exit(), so the keeper loop never
 * waits on a container lock held by a worker (a `stop` holds it for up to
 * its grace period); the init-exit notice is sent once the recorder is
 * reaped, so the daemon reading the state then sees exitStatus.
 *
 * Wire format: one JSON object per SOCK_SEQPACKET message (< 16 KiB).
 *   keeper -> daemon, first:  {"ready":true} or {"fail":"why"}
 *   request:  {"seq":N,"op":"create|run|start|kill|stop|exec|pause|resume|
 *              delete","id":..,"path":..,"signal":..,"seconds":..,
 *              "force":..,"execId":..}
 *   reply:    {"seq":N,"code":ERRNO,"msg":"...","pid":P}
 *   notices:  {"notice":"init-exit","id","pid","exitStatus"}
 *             {"notice":"exec-start","id","execId","pid"}
 *             {"notice":"exec-exit","id","execId","pid","exitStatus"}
 * exec reads the process JSON like `ocirun exec --process FILE` (complete,
 * no defaults from the container) and runs it detached, output to the log.
 * run = create + start; when start fails the container is force-deleted
 * and the start error is reported.
 *
 * What survives what: when the daemon's end closes (keeper_close, or the
 * daemon killed), the keeper stops reading and sending but keeps reaping
 * and recording exit statuses; it exits when waitpid() says it has no child
 * left.  Killing the keeper itself loses the exit statuses of the containers
 * it started (their inits go to the next subreaper, often PID 1); the state
 * store still shows them stopped once they exit.
 *
 * Daemon side (keeper_proto.c, with the wire format helpers):
 * keeper_call() registers a pending slot (its own condition variable) under
 * the mutex, sends, and waits; the reader thread fills the slot and signals
 * it, or, when the socket closes, marks the keeper gone and wakes every
 * waiter (error "keeper is gone", EIO).  keeper_close() shuts the socket
 * down, joins the reader and waits until no caller is left inside
 * keeper_call() before freeing.  keeper_start() waits (up to 10 s) for the
 * keeper's "ready" so a failed set-up is reported to the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper.h"
#include "keeper_internal.h"
#include "ocifs/config.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"

#define KEEPER_EARLY_MAX 256
#define KEEPER_FD 3

/* ==================================================================== */
enum kid_kind { KID_WORKER, KID_RECORDER, KID_INIT, KID_EXEC };

/* A child the keeper knows about. */
struct kid {
	pid_t pid;
	enum kid_kind kind;
	char id[129];
	unsigned exec_id;
	/* worker */
	uint64_t seq;
	enum ctl_op op;
	int fd;             /* result socket; -1 once read or closed */
	bool replied;
	long long started;  /* now_ms() at fork */
	/* init: its exit already noted (ocifs_note_exit) by the peek in reap() */
	bool noted;
	/* recorder: the init it records */
	pid_t init_pid;
	int status;
	struct kid *next;
};

struct early_exit {
	pid_t pid;
	int st;             /* wait status */
	long long when;
};

struct outmsg {
	char *text;
	struct outmsg *next;
};

struct kstate {
	const char *root;
	bool debug;
	int dfd;            /* the daemon's socket; -1 once it has gone */
	int sfd;            /* signalfd for SIGCHLD */
	struct kid *kids;
	struct early_exit early[KEEPER_EARLY_MAX];
	size_t n_early;
	struct outmsg *out, **out_tail; /* messages the daemon has not taken yet */
};


static void daemon_gone(struct kstate *ks, const char *why)
{
	if (ks->dfd < 0)
		return;
	if (ks->debug)
		klog("daemon gone (%s); reaping until no child is left\n", why);
	close(ks->dfd);
	ks->dfd = -1;
	while (ks->out) {
		struct outmsg *m = ks->out;
		ks->out = m->next;
		free(m->text);
		free(m);
	}
	ks->out_tail = &ks->out;
}

/* Sends queued messages until the socket is full. */
static void flush_out(struct kstate *ks)
{
	while (ks->dfd >= 0 && ks->out) {
		struct outmsg *m = ks->out;
		if (send(ks->dfd, m->text, strlen(m->text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				return;
			daemon_gone(ks, strerror(errno));
			return;
		}
		ks->out = m->next;
		if (!ks->out)
			ks->out_tail = &ks->out;
		free(m->text);
		free(m);
	}
}

/* Queues one message for the daemon (dropped once the daemon is gone). */
static void to_daemon(struct kstate *ks, json_t *j)
{
	char *text = keeper_jdump(j);
	struct outmsg *m;

	if (!text) {
		klog("cannot encode a message\n");
		return;
	}
	if (ks->dfd < 0) {
		free(text);
		return;
	}
	m = xcalloc(1, sizeof(*m));
	m->text = text;
	*ks->out_tail = m;
	ks->out_tail = &m->next;
	flush_out(ks);
}

static void reply(struct kstate *ks, uint64_t seq, int code, const char *msg, pid_t pid)
{
	to_daemon(ks, json_pack("{sI si so si}", "seq", (json_int_t)seq, "code", code,
				"msg", keeper_jstr(msg), "pid", (int)pid));
}

static struct kid *kid_find(struct kstate *ks, pid_t pid)
{
	for (struct kid *k = ks->kids; k; k = k->next)
		if (k->pid == pid)
			return k;
	return NULL;
}

static struct kid *kid_add(struct kstate *ks, pid_t pid, enum kid_kind kind, const char *id)
{
	struct kid *k = xcalloc(1, sizeof(*k));

	k->pid = pid;
	k->kind = kind;
	k->fd = -1;
	keeper_copy_str(k->id, sizeof(k->id), id);
	k->next = ks->kids;
	ks->kids = k;
	return k;
}

static void kid_remove(struct kstate *ks, struct kid *k)
{
	for (struct kid **p = &ks->kids; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	if (k->fd >= 0)
		close(k->fd);
	free(k);
}

/* In every forked child of the keeper: drop the keeper's fds, signal mask
 * and ignored signals (ignored signals would survive into containers). */
static void child_reset(struct kstate *ks)
{
	sigset_t none;

	if (ks->dfd >= 0)
		close(ks->dfd);
	close(ks->sfd);
	for (struct kid *k = ks->kids; k; k = k->next)
		if (k->fd >= 0)
			close(k->fd);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The exit status goes to ROOT/ID/exit the moment it is known, before the
 * recorder takes the container's lock: the state then shows exitStatus as
 * soon as it shows stopped. */
static void note_init_exit(struct kstate *ks, struct kid *k, int status)
{
	ocifs_error err = { 0 };

	k->noted = true;
	if (ocifs_note_exit(ks->root, k->id, k->pid, status, &err) < 0 && err.code != ENOENT)
		klog("note exit of %s (pid %d): %s\n", k->id, (int)k->pid, err.msg);
}

static void on_reaped(struct kstate *ks, pid_t pid, int st);

/* Records an init's exit in a recorder child; the notice follows its reap. */
static void record_init_exit(struct kstate *ks, const char *id, pid_t init_pid, int status)
{
	ocifs_error err = { 0 };
	struct kid *r;
	pid_t pid = fork();

	if (pid == 0) {
		child_reset(ks);
		if (ocifs_record_exit(ks->root, id, init_pid, status, &err) < 0 &&
		    err.code != ENOENT)
			klog("record exit of %s (pid %d): %s\n", id, (int)init_pid, err.msg);
		_exit(0);
	}
	if (pid < 0) {
		klog("fork recorder: %s; recording in the keeper\n", strerror(errno));
		if (ocifs_record_exit(ks->root, id, init_pid, status, &err) < 0 &&
		    err.code != ENOENT)
			klog("record exit of %s (pid %d): %s\n", id, (int)init_pid, err.msg);
		to_daemon(ks, json_pack("{ss ss si si}", "notice", "init-exit", "id", id,
					"pid", (int)init_pid, "exitStatus", status));
		return;
	}
	r = kid_add(ks, pid, KID_RECORDER, id);
	r->init_pid = init_pid;
	r->status = status;
}

/* A process a worker started: track it, or handle its early exit. */
static void register_proc(struct kstate *ks, enum kid_kind kind, const char *id,
			  unsigned exec_id, pid_t pid, long long since)
{
	struct kid *k = kid_add(ks, pid, kind, id);

	k->exec_id = exec_id;
	for (size_t i = 0; i < ks->n_early; i++) {
		struct early_exit e = ks->early[i];
		siginfo_t si = { 0 };

		if (e.pid != pid)
			continue;
		memmove(&ks->early[i], &ks->early[i + 1],
			(ks->n_early - i - 1) * sizeof(ks->early[0]));
		ks->n_early--;
		/* stale entry: older than the worker, or the pid is a live child */
		if (e.when < since ||
		    (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 &&
		     si.si_pid == 0))
			return;
		on_reaped(ks, pid, e.st);
		return;
	}
}

static void handle_result(struct kstate *ks, struct kid *w, json_t *res)
{
	int code = keeper_jint(res, "code", EIO);
	pid_t pid = keeper_jint(res, "pid", 0);
	const char *msg = keeper_jtext(res, "msg");

	w->replied = true;
	if (ks->debug)
		klog("#%llu %s %s: %s%s (pid %d)\n", (unsigned long long)w->seq, keeper_op_str(w->op),
		     w->id, code ? "failed: " : "ok", msg, (int)pid);
	reply(ks, w->seq, code, msg, pid);
	if (code != 0 || pid <= 0)
		return;
	if (w->op == CTL_CREATE || w->op == CTL_RUN) {
		register_proc(ks, KID_INIT, w->id, 0, pid, w->started);
	} else if (w->op == CTL_EXEC) {
		to_daemon(ks, json_pack("{ss ss si si}", "notice", "exec-start", "id", w->id,
					"execId", (int)w->exec_id, "pid", (int)pid));
		register_proc(ks, KID_EXEC, w->id, w->exec_id, pid, w->started);
	}
}

/* Reads a worker's result, if there is one yet. */
static void read_result(struct kstate *ks, struct kid *w)
{
	char buf[KEEPER_MSG_MAX];
	json_t *res;
	ssize_t n;

	if (w->fd < 0)
		return;
	do
		n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	close(w->fd);
	w->fd = -1;
	if (n <= 0)
		return; /* no result: reported when the worker is reaped */
	res = json_loadb(buf, (size_t)n, 0, NULL);
	if (!res) {
		klog("#%llu: unreadable worker result\n", (unsigned long long)w->seq);
		return;
	}
	handle_result(ks, w, res);
	json_decref(res);
}

static void on_reaped(struct kstate *ks, pid_t pid, int st)
{
	struct kid *k = kid_find(ks, pid);
	int status = ocifs_exit_status(st);

	if (!k) {
		if (ks->n_early == KEEPER_EARLY_MAX) {
			memmove(&ks->early[0], &ks->early[1], (KEEPER_EARLY_MAX - 1) * sizeof(ks->early[0]));
			ks->n_early--;
		}
		ks->early[ks->n_early++] = (struct early_exit){ pid, st, now_ms() };
		return;
	}
	switch (k->kind) {
	case KID_WORKER:
		read_result(ks, k);
		if (!k->replied) {
			char msg[128];
			snprintf(msg, sizeof(msg), "keeper worker died (%s %d)",
				 WIFSIGNALED(st) ? "signal" : "exit code",
				 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			klog("#%llu %s %s: %s\n", (unsigned long long)k->seq, keeper_op_str(k->op), k->id, msg);
			reply(ks, k->seq, EIO, msg, 0);
		}
		break;
	case KID_RECORDER:
		to_daemon(ks, json_pack("{ss ss si si}", "notice", "init-exit", "id", k->id,
					"pid", (int)k->init_pid, "exitStatus", k->status));
		break;
	case KID_INIT:
		if (ks->debug)
			klog("init %d of %s exited: %d\n", (int)pid, k->id, status);
		if (!k->noted)
			note_init_exit(ks, k, status);
		record_init_exit(ks, k->id, pid, status);
		break;
	case KID_EXEC:
		if (ks->debug)
			klog("exec %u (pid %d) in %s exited: %d\n", k->exec_id, (int)pid, k->id, status);
		to_daemon(ks, json_pack("{ss ss si si si}", "notice", "exec-exit", "id", k->id,
					"execId", (int)k->exec_id, "pid", (int)pid,
					"exitStatus", status));
		break;
	}
	kid_remove(ks, k);
}

/* Reaps every child that has exited; exits the keeper when the daemon is
 * gone and no child is left. */
/* Inits that have exited but are not reaped yet (waitid WNOWAIT): note
 * their status while the zombie still stands for it, so that no moment
 * exists where the init is gone and its status unknown. */
static void peek_init_exits(struct kstate *ks)
{
	for (struct kid *k = ks->kids; k; k = k->next) {
		siginfo_t si;

		if (k->kind != KID_INIT || k->noted)
			continue;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)k->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid != k->pid)
			continue;
		note_init_exit(ks, k, si.si_code == CLD_EXITED ? si.si_status
							       : 128 + si.si_status);
	}
}

static void reap(struct kstate *ks)
{
	struct signalfd_siginfo si;
	int st;

	while (read(ks->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	peek_init_exits(ks);
	for (;;) {
		pid_t pid = waitpid(-1, &st, WNOHANG | __WALL);
		if (pid > 0) {
			on_reaped(ks, pid, st);
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0 && errno == ECHILD && ks->dfd < 0) {
			if (ks->debug)
				klog("no child left, exiting\n");
			_exit(0);
		}
		if (pid < 0 && errno != ECHILD)
			klog("waitpid: %s\n", strerror(errno));
		return;
	}
}

static __attribute__((noreturn)) void worker_main(struct kstate *ks, const struct keeper_req *r,
						  int fd)
{
	child_reset(ks);
	keeper_worker_run(ks->root, r, fd);
}

/* One request from the daemon: fork its worker. */
static void on_request(struct kstate *ks, const char *buf, size_t len)
{
	json_t *j = json_loadb(buf, len, 0, NULL);
	struct keeper_req r;
	uint64_t seq = 0;
	int sv[2], rc;
	struct kid *w;
	pid_t pid;

	rc = j ? keeper_parse_request(j, &seq, &r) : -1;
	json_decref(j);
	if (rc == -1) {
		klog("unreadable request ignored\n");
		return;
	}
	if (rc == -2) {
		reply(ks, seq, EINVAL, "keeper: unknown operation", 0);
		return;
	}
	if (ks->debug)
		klog("#%llu %s %s%s%s\n", (unsigned long long)seq, keeper_op_str(r.op), r.id,
		     r.path[0] ? " " : "", r.path);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = errno;
		reply(ks, seq, rc, "keeper: socketpair failed", 0);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		worker_main(ks, &r, sv[1]);
	}
	rc = errno;
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		klog("fork worker: %s\n", strerror(rc));
		reply(ks, seq, rc, "keeper: fork failed", 0);
		return;
	}
	w = kid_add(ks, pid, KID_WORKER, r.id);
	w->seq = seq;
	w->op = r.op;
	w->exec_id = r.exec_id;
	w->fd = sv[0];
	w->started = now_ms();
}

static void read_requests(struct kstate *ks)
{
	char buf[KEEPER_MSG_MAX];

	for (int i = 0; i < 64 && ks->dfd >= 0; i++) {
		ssize_t n = recv(ks->dfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			daemon_gone(ks, n == 0 ? "end of file" : strerror(errno));
			return;
		}
		on_request(ks, buf, (size_t)n);
	}
}

static __attribute__((noreturn)) void keeper_loop(struct kstate *ks)
{
	struct pollfd *pfd = NULL;
	struct kid **who = NULL;
	size_t cap = 0;

	for (;;) {
		size_t n = 0, nk = 0;

		for (struct kid *k = ks->kids; k; k = k->next)
			nk++;
		if (cap < nk + 2) {
			cap = (nk + 2) * 2;
			pfd = xrealloc(pfd, cap * sizeof(*pfd));
			who = xrealloc(who, cap * sizeof(*who));
		}
		pfd[n++] = (struct pollfd){ .fd = ks->sfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = ks->dfd,
					    .events = (short)(POLLIN | (ks->out ? POLLOUT : 0)) };
		for (struct kid *k = ks->kids; k; k = k->next)
			if (k->fd >= 0) {
				who[n] = k;
				pfd[n++] = (struct pollfd){ .fd = k->fd, .events = POLLIN };
			}
		if (poll(pfd, n, -1) < 0) {
			if (errno != EINTR)
				klog("poll: %s\n", strerror(errno));
			continue;
		}
		/* results first: a process's exit is only matched with its
		 * worker's result after the result has been read */
		for (size_t i = 2; i < n; i++)
			if (pfd[i].revents)
				read_result(ks, who[i]);
		if (pfd[0].revents)
			reap(ks);
		if (ks->dfd >= 0 && (pfd[1].revents & POLLOUT))
			flush_out(ks);
		if (ks->dfd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			read_requests(ks);
		if (ks->dfd < 0)
			reap(ks); /* exits when no child is left */
	}
}

/* Sets the keeper process up; returns an error text or NULL. */
static const char *keeper_setup(struct kstate *ks, int sock)
{
	static char why[256];
	sigset_t chld;
	int null, fd;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return snprintf(why, sizeof(why), "prctl(PR_SET_CHILD_SUBREAPER): %s",
				strerror(errno)), why;
	if (setsid() < 0)
		klog("setsid: %s\n", strerror(errno));
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (chdir("/") < 0)
		klog("chdir /: %s\n", strerror(errno));
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	fd = fcntl(sock, F_DUPFD_CLOEXEC, 10);
	if (null < 0 || fd < 0)
		return snprintf(why, sizeof(why), "open /dev/null or dup: %s", strerror(errno)), why;
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    (fcntl(2, F_GETFD) < 0 && dup2(null, 2) < 0) || dup3(fd, KEEPER_FD, O_CLOEXEC) < 0)
		return snprintf(why, sizeof(why), "dup2: %s", strerror(errno)), why;
	if (close_range(KEEPER_FD + 1, ~0U, 0) < 0)
		klog("close_range: %s\n", strerror(errno));
	ks->dfd = KEEPER_FD;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_SETMASK, &chld, NULL) < 0)
		return snprintf(why, sizeof(why), "sigprocmask: %s", strerror(errno)), why;
	ks->sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ks->sfd < 0)
		return snprintf(why, sizeof(why), "signalfd: %s", strerror(errno)), why;
	return NULL;
}

static __attribute__((noreturn)) void keeper_main(const char *root, bool debug, int sock)
{
	struct kstate ks = { .root = root, .debug = debug, .dfd = sock, .sfd = -1 };
	const char *why;

	ks.out_tail = &ks.out;
	why = keeper_setup(&ks, sock);
	if (why) {
		klog("%s\n", why);
		to_daemon(&ks, json_pack("{so}", "fail", keeper_jstr(why)));
		_exit(1);
	}
	if (debug)
		klog("started, pid %d, root %s\n", (int)getpid(), root);
	to_daemon(&ks, json_pack("{sb}", "ready", 1));
	keeper_loop(&ks);
}


/* ---- the daemon's end: fork the keeper ---- */

int keeper_start(const char *root, bool debug, struct keeper **out, ocifs_error *err)
{
	cleanup_free char *abs = NULL;
	char buf[KEEPER_MSG_MAX];
	struct pollfd pfd;
	json_t *j = NULL;
	int sv[2], rc;
	ssize_t n;
	pid_t pid;

	*out = NULL;
	if (root[0] != '/') {
		cleanup_free char *cwd = getcwd(NULL, 0);
		if (!cwd)
			return ocifs_error_set(err, errno, "keeper: getcwd");
		abs = xasprintf("%s/%s", cwd, root);
	} else {
		abs = xstrdup(root);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return ocifs_error_set(err, errno, "keeper: socketpair");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = errno;
		close(sv[0]);
		close(sv[1]);
		return ocifs_error_set(err, rc, "keeper: fork");
	}
	if (pid == 0) {
		close(sv[0]);
		keeper_main(abs, debug, sv[1]);
	}
	close(sv[1]);
	/* wait for the keeper to say it is ready */
	pfd = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	do
		rc = poll(&pfd, 1, 10000);
	while (rc < 0 && errno == EINTR);
	n = rc > 0 ? recv(sv[0], buf, sizeof(buf), 0) : -1;
	if (n > 0)
		j = json_loadb(buf, (size_t)n, 0, NULL);
	if (!j || !json_is_true(json_object_get(j, "ready"))) {
		if (j && json_object_get(j, "fail"))
			ocifs_error_set(err, 0, "keeper: %s", keeper_jtext(j, "fail"));
		else
			ocifs_error_set(err, 0, "keeper: did not start");
		err->code = EIO;
		json_decref(j);
		close(sv[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	json_decref(j);
	*out = keeper_client_new(sv[0], pid);
	return 0;
}

