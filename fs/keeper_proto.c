/* The keeper's wire format (one JSON object per SOCK_SEQPACKET message, see
 * keeper.c) and the daemon's end of it: the reader thread that matches
 * replies to callers and hands notices on, keeper_call() and keeper_close().
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper.h"
#include "keeper_internal.h"
#include "ocifs/util.h"

/* ---- wire format helpers (both processes) ---- */

static const char *const op_names[] = {
	[CTL_CREATE] = "create", [CTL_RUN] = "run",     [CTL_START] = "start",
	[CTL_KILL] = "kill",     [CTL_STOP] = "stop",   [CTL_EXEC] = "exec",
	[CTL_PAUSE] = "pause",   [CTL_RESUME] = "resume", [CTL_DELETE] = "delete",
};

const char *keeper_op_str(enum ctl_op op)
{
	if ((size_t)op < ARRAY_SIZE(op_names) && op_names[op])
		return op_names[op];
	return "?";
}

int keeper_op_parse(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(op_names); i++)
		if (op_names[i] && strcmp(op_names[i], s) == 0)
			return (int)i;
	return -1;
}

/* A JSON string that never fails: invalid UTF-8 bytes become '?'. */
json_t *keeper_jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *c;

	if (j)
		return j;
	c = xstrdup(s);
	for (char *p = c; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

/* Serialises j (and drops the reference); NULL when it cannot. */
char *keeper_jdump(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

int keeper_jint(json_t *o, const char *key, int dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

const char *keeper_jtext(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

void keeper_copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* ---- the daemon's end ---- */

struct pending {
	uint64_t seq;
	struct keeper_reply *rep;
	bool done;
	pthread_cond_t cond;
	struct pending *next;
};

struct keeper {
	int fd;
	pid_t pid;
	pthread_mutex_t lock;
	struct pending *pending;
	uint64_t next_seq;
	bool gone;            /* the socket is closed or closing: no more calls */
	bool closing;         /* keeper_close() was called */
	bool reader_started;
	pthread_t reader;
	keeper_notice_fn fn;
	void *data;
	unsigned callers;     /* threads inside keeper_call */
	pthread_cond_t idle;  /* callers dropped to 0 */
};

static int gone_error(ocifs_error *err)
{
	ocifs_error_set(err, 0, "keeper is gone");
	err->code = EIO;
	return -1;
}

struct keeper *keeper_client_new(int fd, pid_t pid)
{
	struct keeper *k = xcalloc(1, sizeof(*k));

	k->fd = fd;
	k->pid = pid;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->idle, NULL);
	return k;
}

static void wake_all(struct keeper *k)
{
	for (struct pending *p = k->pending; p; p = p->next)
		pthread_cond_signal(&p->cond);
}

static void on_reply(struct keeper *k, json_t *j)
{
	uint64_t seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));

	pthread_mutex_lock(&k->lock);
	for (struct pending **pp = &k->pending; *pp; pp = &(*pp)->next) {
		struct pending *p = *pp;
		if (p->seq != seq)
			continue;
		p->rep->code = keeper_jint(j, "code", EIO);
		keeper_copy_str(p->rep->msg, sizeof(p->rep->msg), keeper_jtext(j, "msg"));
		p->rep->pid = keeper_jint(j, "pid", 0);
		p->done = true;
		*pp = p->next;
		pthread_cond_signal(&p->cond);
		break;
	}
	pthread_mutex_unlock(&k->lock);
}

static void on_notice(struct keeper *k, json_t *j)
{
	const char *what = keeper_jtext(j, "notice");
	struct keeper_notice n = { 0 };

	if (strcmp(what, "init-exit") == 0)
		n.kind = KEEPER_INIT_EXIT;
	else if (strcmp(what, "exec-start") == 0)
		n.kind = KEEPER_EXEC_START;
	else if (strcmp(what, "exec-exit") == 0)
		n.kind = KEEPER_EXEC_EXIT;
	else
		return;
	keeper_copy_str(n.id, sizeof(n.id), keeper_jtext(j, "id"));
	n.exec_id = (unsigned)keeper_jint(j, "execId", 0);
	n.pid = keeper_jint(j, "pid", 0);
	n.exit_status = keeper_jint(j, "exitStatus", 0);
	if (k->fn)
		k->fn(&n, k->data);
}

static void *reader_main(void *arg)
{
	struct keeper *k = arg;
	char *buf = xmalloc(KEEPER_MSG_MAX);
	bool closing;

	for (;;) {
		ssize_t n = recv(k->fd, buf, KEEPER_MSG_MAX, 0);
		json_t *j;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		j = json_loadb(buf, (size_t)n, 0, NULL);
		if (!j)
			fprintf(stderr, "ocifs: unreadable message from the keeper\n");
		else if (json_object_get(j, "seq"))
			on_reply(k, j);
		else if (json_object_get(j, "notice"))
			on_notice(k, j);
		json_decref(j);
	}
	free(buf);
	pthread_mutex_lock(&k->lock);
	k->gone = true;
	closing = k->closing;
	wake_all(k);
	pthread_mutex_unlock(&k->lock);
	if (!closing) {
		/* the keeper died under us: reap it (it closed its socket on exit) */
		fprintf(stderr, "ocifs: the keeper (pid %d) is gone\n", (int)k->pid);
		for (int i = 0; i < 100 && waitpid(k->pid, NULL, WNOHANG) == 0; i++)
			usleep(10000);
	}
	return NULL;
}

int keeper_run_reader(struct keeper *k, keeper_notice_fn fn, void *data, ocifs_error *err)
{
	int rc;

	k->fn = fn;
	k->data = data;
	rc = pthread_create(&k->reader, NULL, reader_main, k);
	if (rc != 0)
		return ocifs_error_set(err, rc, "keeper: reader thread");
	pthread_mutex_lock(&k->lock);
	k->reader_started = true;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static void call_done(struct keeper *k, struct pending *p)
{
	for (struct pending **pp = &k->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (--k->callers == 0)
		pthread_cond_broadcast(&k->idle);
	pthread_mutex_unlock(&k->lock);
	pthread_cond_destroy(&p->cond);
}

int keeper_call(struct keeper *k, const struct keeper_req *req, struct keeper_reply *rep,
		ocifs_error *err)
{
	struct pending p = { .rep = rep };
	char *text;
	ssize_t n;
	int rc;

	memset(rep, 0, sizeof(*rep));
	pthread_cond_init(&p.cond, NULL);
	pthread_mutex_lock(&k->lock);
	if (k->gone || !k->reader_started) {
		pthread_mutex_unlock(&k->lock);
		pthread_cond_destroy(&p.cond);
		return k->gone ? gone_error(err)
			       : ocifs_error_set(err, EINVAL, "keeper: reader not running");
	}
	p.seq = ++k->next_seq;
	p.next = k->pending;
	k->pending = &p;
	k->callers++;
	pthread_mutex_unlock(&k->lock);

	text = keeper_jdump(json_pack("{sI ss so so si si sb si}", "seq", (json_int_t)p.seq,
			       "op", keeper_op_str(req->op), "id", keeper_jstr(req->id), "path", keeper_jstr(req->path),
			       "signal", req->signal, "seconds", req->seconds,
			       "force", req->force, "execId", (int)req->exec_id));
	if (!text) {
		pthread_mutex_lock(&k->lock);
		call_done(k, &p);
		return ocifs_error_set(err, EINVAL, "keeper: cannot encode the request");
	}
	do
		n = send(k->fd, text, strlen(text), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	rc = n < 0 ? errno : 0;
	free(text);
	pthread_mutex_lock(&k->lock);
	if (rc != 0) {
		call_done(k, &p);
		if (rc == EPIPE || rc == ECONNRESET || rc == ENOTCONN)
			return gone_error(err);
		return ocifs_error_set(err, rc, "keeper: send");
	}
	while (!p.done && !k->gone)
		pthread_cond_wait(&p.cond, &k->lock);
	rc = p.done;
	call_done(k, &p);
	return rc ? 0 : gone_error(err);
}

void keeper_close(struct keeper *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	k->closing = true;
	k->gone = true;
	wake_all(k);
	pthread_mutex_unlock(&k->lock);
	shutdown(k->fd, SHUT_RDWR);
	if (k->reader_started)
		pthread_join(k->reader, NULL);
	pthread_mutex_lock(&k->lock);
	while (k->callers > 0)
		pthread_cond_wait(&k->idle, &k->lock);
	pthread_mutex_unlock(&k->lock);
	close(k->fd);
	/* reaped only if it has already finished; otherwise it lives on */
	waitpid(k->pid, NULL, WNOHANG);
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->idle);
	free(k);
}

int keeper_parse_request(json_t *j, uint64_t *seq, struct keeper_req *r)
{
	json_t *s = json_object_get(j, "seq");
	int op;

	if (!json_is_integer(s))
		return -1;
	*seq = (uint64_t)json_integer_value(s);
	memset(r, 0, sizeof(*r));
	op = keeper_op_parse(json_string_value(json_object_get(j, "op")));
	if (op < 0)
		return -2;
	r->op = (enum ctl_op)op;
	keeper_copy_str(r->id, sizeof(r->id), keeper_jtext(j, "id"));
	keeper_copy_str(r->path, sizeof(r->path), keeper_jtext(j, "path"));
	r->signal = keeper_jint(j, "signal", SIGTERM);
	r->seconds = keeper_jint(j, "seconds", 10);
	r->force = json_is_true(json_object_get(j, "force"));
	r->exec_id = (unsigned)keeper_jint(j, "execId", 0);
	return 0;
}
