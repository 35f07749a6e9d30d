/* The HTTP front end (contract in http.h, the API in docs/FS.md "HTTP").
 *
 * One thread runs a poll loop over the listening socket and up to
 * HTTP_CLIENTS_MAX non-blocking client sockets.  A client's request is read
 * into a buffer (the head within HTTP_READ_TIMEOUT_MS), parsed by the pure
 * parser in http_parse.c, answered from the engine-side functions of
 * daemon.h, and the answer is written from the loop too.  Two requests leave
 * the loop:
 *   - events streams: once the response head is sent, the socket is handed
 *     to events.c (events_attach_fd), which writes each line as emitted;
 *   - ctl commands: a command may take seconds (stop's grace period), so it
 *     runs in a detached worker thread that answers and closes the socket;
 *     http_stop() waits for the workers, which hold the daemon.
 * Every response closes the connection (no keep-alive to track).  After the
 * response, the socket is shut for writing and what the client still sends
 * is read and dropped for a moment, so that closing with unread bytes does
 * not reset the connection before the client has read the answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon.h"
#include "http.h"
#include "http_parse.h"
#include "nodes.h"
#include "ocifs/util.h"

#define HTTP_CLIENTS_MAX 64
#define HTTP_READ_TIMEOUT_MS 10000
#define HTTP_WRITE_TIMEOUT_MS 30000
#define HTTP_DRAIN_MS 1000
#define HTTP_DEFAULT_BIND "127.0.0.1"

enum client_phase {
	PH_READ,   /* reading the request */
	PH_WRITE,  /* writing the response */
	PH_DRAIN,  /* response sent, write side shut: dropping input until EOF */
};

struct client {
	int fd;
	enum client_phase phase;
	long long deadline;        /* now_ms() after which it is dropped */
	char *in;                  /* request bytes, in_len of them */
	size_t in_len;
	bool head_done;
	bool continue_sent;
	struct http_request req;
	char *out;                 /* the response, out_off of out_len sent */
	size_t out_len, out_off;
	bool stream;               /* after the head: hand over to events.c */
	char stream_id[129];       /* "" = every event */
};

struct http_server {
	struct daemon *d;
	int lfd;
	int wake[2];               /* http_stop writes here */
	bool loopback;
	char *token;
	char where[96];            /* "127.0.0.1 port 8080", for messages */
	pthread_t thread;
	bool started;
	struct client *clients[HTTP_CLIENTS_MAX];
	pthread_mutex_t lock;      /* workers */
	pthread_cond_t idle;
	unsigned workers;
};

/* ---- listening ---- */

static int make_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

static int open_listener(struct http_server *s, const char *addr, int port, ocifs_error *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	cleanup_close int fd = -1;
	int one = 1;

	if (make_addr(addr, port, &ss, &len) < 0)
		return ocifs_error_set(err, EINVAL, "HTTP %s: not an address", s->where);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ocifs_error_set(err, errno, "HTTP %s: socket", s->where);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return ocifs_error_set(err, errno, "HTTP %s: SO_REUSEADDR", s->where);
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return ocifs_error_set(err, errno, "HTTP %s: IPV6_V6ONLY", s->where);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return ocifs_error_set(err, errno, "HTTP %s: cannot listen", s->where);
	if (listen(fd, 64) < 0)
		return ocifs_error_set(err, errno, "HTTP %s: cannot listen", s->where);
	s->lfd = steal_fd(&fd);
	return 0;
}

struct http_server *http_listen(const struct fs_config *cfg, ocifs_error *err)
{
	const char *addr = cfg->bind ? cfg->bind : HTTP_DEFAULT_BIND;
	struct http_server *s = xcalloc(1, sizeof(*s));

	s->lfd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->loopback = fs_config_bind_loopback(cfg->bind);
	s->token = cfg->token ? xstrdup(cfg->token) : NULL;
	snprintf(s->where, sizeof(s->where), "%s port %d", addr, cfg->port);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	if (open_listener(s, addr, cfg->port, err) < 0 ||
	    (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0 &&
	     ocifs_error_set(err, errno, "HTTP %s: pipe", s->where) < 0)) {
		http_stop(s);
		return NULL;
	}
	return s;
}

/* ---- responses ---- */

static void client_free(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Queues a response: the head, then len bytes of body (with Content-Length
 * unless the client is to get an event stream). */
static void respond(struct client *c, int status, const char *type, const char *extra,
		    const char *body, size_t len)
{
	char head[512];
	int n;

	if (c->stream)
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nCache-Control: no-cache\r\n"
			     "Connection: close\r\n%s\r\n",
			     status, http_reason(status), type, extra);
	else if (type)
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			     "Connection: close\r\n%s\r\n",
			     status, http_reason(status), type, len, extra);
	else
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nConnection: close\r\n%s\r\n",
			     status, http_reason(status), extra);
	free(c->out);
	c->out = xmalloc((size_t)n + len);
	memcpy(c->out, head, (size_t)n);
	if (len)
		memcpy(c->out + n, body, len);
	c->out_len = (size_t)n + len;
	c->out_off = 0;
	c->phase = PH_WRITE;
	c->deadline = now_ms() + HTTP_WRITE_TIMEOUT_MS;
}

/* {"error":msg} or, when errname is set, {"error":msg,"errno":errname}. */
static char *error_json(const char *msg, const char *errname)
{
	json_t *o = json_object();
	char *text;

	json_object_set_new(o, "error", json_string(msg));
	if (errname)
		json_object_set_new(o, "errno", json_string(errname));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		text = xstrdup("{\"error\":\"out of memory\"}");
	return text;
}

static void respond_error_errno(struct client *c, int status, const char *msg,
			       const char *errname, const char *extra)
{
	cleanup_free char *body = error_json(msg, errname);
	size_t n = strlen(body);

	c->stream = false;
	respond(c, status, "application/json", extra ? extra : "", body, n);
}

static void respond_error(struct client *c, int status, const char *msg, const char *extra)
{
	respond_error_errno(c, status, msg, NULL, extra);
}

static void respond_json(struct client *c, json_t *o)
{
	cleanup_free char *text = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	if (!text) {
		respond_error(c, 500, "out of memory", NULL);
		return;
	}
	respond(c, 200, "application/json", "", text, strlen(text));
}

/* ---- authorisation ---- */

/* Compares the whole of both strings whatever they hold, so that the time
 * taken does not tell how much of a guessed token was right. */
static bool token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[lb ? i % lb : 0];
	return diff == 0;
}

static bool authorised(const struct http_server *s, const struct http_request *req)
{
	if (!s->token)
		return true;
	return req->has_auth && token_equal(req->token, s->token);
}

/* ---- requests ---- */

static bool ctr_exists(struct daemon *d, const char *id)
{
	bool known;

	pthread_mutex_lock(&d->lock);
	known = tree_find(d, id) != NULL;
	pthread_mutex_unlock(&d->lock);
	return known;
}

static bool is_json_file(const char *name)
{
	static const char *const json_files[] = { "state", "config.json", "stats", "features" };

	for (size_t i = 0; i < ARRAY_SIZE(json_files); i++)
		if (strcmp(name, json_files[i]) == 0)
			return true;
	return false;
}

static void get_list(struct http_server *s, struct client *c)
{
	size_t n;
	char **ids = tree_list_ids(s->d, &n);
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_array_append_new(arr, json_string(ids[i]));
		free(ids[i]);
	}
	free(ids);
	respond_json(c, json_pack("{s:o}", "containers", arr));
}

static void get_dir(struct http_server *s, struct client *c, const char *id)
{
	json_t *files;

	if (!ctr_exists(s->d, id)) {
		respond_error(c, 404, "no such container", NULL);
		return;
	}
	files = json_array();
	for (size_t i = 0; i < n_ctr_nodes; i++)
		json_array_append_new(files, json_string(ctr_nodes[i].name));
	respond_json(c, json_pack("{s:s,s:o}", "id", id, "files", files));
}

static void get_events(struct http_server *s, struct client *c, const char *id)
{
	if (id && !ctr_exists(s->d, id)) {
		respond_error(c, 404, "no such container", NULL);
		return;
	}
	c->stream = true;
	snprintf(c->stream_id, sizeof(c->stream_id), "%s", id ? id : "");
	respond(c, 200, "application/x-ndjson", "", NULL, 0);
}

static void get_file(struct http_server *s, struct client *c, const char *id, const char *file)
{
	cleanup_free char *out = NULL;
	size_t len = 0;
	int code;

	if (strcmp(file, "events") == 0) {
		get_events(s, c, id);
		return;
	}
	if (strcmp(file, "ctl") == 0) {
		respond_error(c, 405, "ctl is written with POST", "Allow: POST\r\n");
		return;
	}
	code = nodes_read_whole(s->d, id, file, &out, &len);
	if (code == ENOENT) {
		respond_error(c, 404, id && !ctr_exists(s->d, id) ? "no such container"
								  : "no such file", NULL);
		return;
	}
	if (code) {
		respond_error(c, http_status_of_errno(code), strerror(code), NULL);
		return;
	}
	respond(c, 200, is_json_file(file) ? "application/json" : "text/plain; charset=utf-8",
		"", out, len);
}

/* ---- ctl workers ---- */

struct ctl_job {
	struct http_server *s;
	int fd;
	char id[129];  /* "" = the root's ctl */
	char *body;
	size_t len;
};

/* Writes all of buf to the non-blocking fd within the write timeout. */
static void send_all(int fd, const char *buf, size_t len)
{
	long long deadline = now_ms() + HTTP_WRITE_TIMEOUT_MS;

	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		long long left;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return;
		left = deadline - now_ms();
		if (left <= 0 || (poll(&p, 1, (int)left) < 0 && errno != EINTR))
			return;
	}
}

/* Shuts the write side and drops input until EOF (or a moment passes), so
 * the close does not reset a connection whose answer is still unread. */
static void linger_close(int fd)
{
	long long deadline = now_ms() + HTTP_DRAIN_MS;
	char sink[4096];

	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
	}
	close(fd);
}

static void *ctl_worker(void *arg)
{
	struct ctl_job *j = arg;
	struct http_server *s = j->s;
	char msg[OCIFS_ERROR_MSG_MAX] = "";
	int code = nodes_ctl_run(s->d, j->id[0] ? j->id : NULL, j->body, j->len, msg, sizeof(msg));
	cleanup_free char *resp = NULL;

	if (code == 0) {
		resp = xstrdup("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	} else {
		int status = http_status_of_errno(code);
		cleanup_free char *body = error_json(msg, http_errno_name(code));

		resp = xasprintf("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
				 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				 status, http_reason(status), strlen(body), body);
	}
	if (s->d->debug)
		fprintf(stderr, "ocifs: http: ctl %s: %s\n", j->id[0] ? j->id : "/",
			code ? msg : "ok");
	send_all(j->fd, resp, strlen(resp));
	linger_close(j->fd);
	free(j->body);
	free(j);
	pthread_mutex_lock(&s->lock);
	s->workers--;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Hands the client's socket and body to a worker.  true when it took them
 * (the caller forgets the client), false with an error response queued. */
static bool post_ctl(struct http_server *s, struct client *c, const char *id)
{
	struct ctl_job *j;
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (id && !ctr_exists(s->d, id)) {
		respond_error_errno(c, 404, "no such container", "ENOENT", NULL);
		return false;
	}
	/* the configuration refuses this already; kept so that no later
	 * change can open ctl to the network without a token */
	if (!s->token && !s->loopback) {
		respond_error(c, 403, "writes need a Token on a non-loopback address", NULL);
		return false;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->fd = c->fd;
	snprintf(j->id, sizeof(j->id), "%s", id ? id : "");
	j->len = c->req.content_length;
	j->body = xmalloc(j->len + 1);
	memcpy(j->body, c->in + c->req.head_len, j->len);
	j->body[j->len] = '\0';
	pthread_mutex_lock(&s->lock);
	s->workers++;
	pthread_mutex_unlock(&s->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, ctl_worker, j);
	pthread_attr_destroy(&attr);
	if (r == 0) {
		c->fd = -1;
		return true;
	}
	pthread_mutex_lock(&s->lock);
	s->workers--;
	pthread_mutex_unlock(&s->lock);
	free(j->body);
	free(j);
	respond_error(c, 503, "cannot start a worker thread", NULL);
	return false;
}

/* Answers a complete request.  true when the client left the loop. */
static bool dispatch(struct http_server *s, struct client *c)
{
	struct http_target t;
	const char *why;
	int status;

	if (s->d->debug)
		fprintf(stderr, "ocifs: http: %s %s\n",
			c->req.method == HTTP_GET ? "GET" : c->req.method == HTTP_POST ? "POST" : "(other)",
			c->req.target);
	if (!authorised(s, &c->req)) {
		respond_error(c, 401, "missing or wrong bearer token",
			      "WWW-Authenticate: Bearer realm=\"ocifs\"\r\n");
		return false;
	}
	status = http_parse_target(c->req.target, &t, &why);
	if (status) {
		respond_error(c, status, why, NULL);
		return false;
	}
	if (c->req.method == HTTP_POST) {
		bool ctl = (t.kind == TARGET_ROOT_FILE || t.kind == TARGET_CTR_FILE) &&
			   strcmp(t.file, "ctl") == 0;

		if (ctl)
			return post_ctl(s, c, t.kind == TARGET_CTR_FILE ? t.id : NULL);
		respond_error(c, 405, "only ctl takes POST", "Allow: GET\r\n");
		return false;
	}
	if (c->req.method != HTTP_GET) {
		respond_error(c, 405, "method not allowed", "Allow: GET, POST\r\n");
		return false;
	}
	switch (t.kind) {
	case TARGET_LIST:
		get_list(s, c);
		break;
	case TARGET_ROOT_FILE:
		get_file(s, c, NULL, t.file);
		break;
	case TARGET_CTR_DIR:
		get_dir(s, c, t.id);
		break;
	case TARGET_CTR_FILE:
		get_file(s, c, t.id, t.file);
		break;
	}
	return false;
}

/* ---- the loop ---- */

/* After a read: parse what is there; answer when the request is whole.
 * eof: the client shut its side.  true when the client left the loop. */
static bool advance(struct http_server *s, struct client *c, bool eof)
{
	if (!c->head_done) {
		int r = http_parse_head(c->in, c->in_len, &c->req);

		if (r < 0) {
			respond_error(c, -r, c->req.error, NULL);
			return false;
		}
		if (r == 0) {
			if (eof)
				respond_error(c, 400, "incomplete request head", NULL);
			return false;
		}
		c->head_done = true;
		/* refuse early: no body is read for a request that will fail */
		if (!authorised(s, &c->req))
			return dispatch(s, c);
	}
	if (c->in_len - c->req.head_len < c->req.content_length) {
		if (eof) {
			respond_error(c, 400, "incomplete request body", NULL);
		} else if (c->req.expect_continue && !c->continue_sent) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

			c->continue_sent = true;
			(void)!send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		return false;
	}
	return dispatch(s, c);
}

/* Reads what the client sent.  true when the client left the loop (handed
 * over) or is to be dropped (*drop). */
static bool client_read(struct http_server *s, struct client *c, bool *drop)
{
	size_t want = c->head_done ? c->req.head_len + c->req.content_length
				   : HTTP_HEAD_MAX + HTTP_BODY_MAX;
	ssize_t n;

	if (!c->in)
		c->in = xmalloc(HTTP_HEAD_MAX + HTTP_BODY_MAX + 1);
	if (c->in_len >= want) /* more than the request: ignored */
		return advance(s, c, false);
	n = recv(c->fd, c->in + c->in_len, want - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return false;
		*drop = true;
		return true;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	return advance(s, c, n == 0);
}

/* Writes more of the response; at its end an event stream is handed over
 * and any other client starts draining.  true when the client is gone. */
static bool client_write(struct http_server *s, struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return !(errno == EAGAIN || errno == EINTR);
		c->out_off += (size_t)n;
	}
	if (c->stream) {
		int r = events_attach_fd(s->d, c->stream_id[0] ? c->stream_id : NULL, c->fd);

		if (r == 0)
			c->fd = -1; /* events.c owns it now */
		return true;
	}
	shutdown(c->fd, SHUT_WR);
	c->phase = PH_DRAIN;
	c->deadline = now_ms() + HTTP_DRAIN_MS;
	return false;
}

static bool client_drain(struct client *c)
{
	char sink[4096];
	ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* One poll event for a client.  true when it is to be removed. */
static bool client_event(struct http_server *s, struct client *c, short revents)
{
	bool drop = false;

	if (revents & POLLNVAL)
		return true;
	switch (c->phase) {
	case PH_READ:
		if (client_read(s, c, &drop) || drop)
			return true;
		if (c->phase == PH_WRITE)
			return client_write(s, c);
		return false;
	case PH_WRITE:
		if (revents & (POLLERR | POLLHUP))
			return true;
		return client_write(s, c);
	case PH_DRAIN:
		return client_drain(c);
	}
	return true;
}

static unsigned busy(struct http_server *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < HTTP_CLIENTS_MAX; i++)
		n += s->clients[i] != NULL;
	pthread_mutex_lock(&s->lock);
	n += s->workers;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void accept_clients(struct http_server *s)
{
	static const char full[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
				   "application/json\r\nContent-Length: 27\r\nConnection: close"
				   "\r\n\r\n{\"error\":\"too many clients\"}";

	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		size_t i;

		if (fd < 0)
			return; /* EAGAIN, or a transient error (EMFILE...): next round */
		if (busy(s) >= HTTP_CLIENTS_MAX) {
			(void)!send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		for (i = 0; s->clients[i]; i++)
			;
		s->clients[i] = xcalloc(1, sizeof(struct client));
		s->clients[i]->fd = fd;
		s->clients[i]->phase = PH_READ;
		s->clients[i]->deadline = now_ms() + HTTP_READ_TIMEOUT_MS;
	}
}

/* Drops clients past their deadline; a slow request gets a 408 first (best
 * effort, one non-blocking send).  Returns the poll timeout until the next
 * deadline (-1 none). */
static int expire(struct http_server *s)
{
	static const char slow[] = "HTTP/1.1 408 Request Timeout\r\nContent-Type: "
				   "application/json\r\nContent-Length: 34\r\nConnection: close"
				   "\r\n\r\n{\"error\":\"request not sent in time\"}";
	long long now = now_ms(), next = -1;

	for (size_t i = 0; i < HTTP_CLIENTS_MAX; i++) {
		struct client *c = s->clients[i];

		if (!c)
			continue;
		if (c->deadline <= now) {
			if (c->phase == PH_READ)
				(void)!send(c->fd, slow, sizeof(slow) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			client_free(c);
			s->clients[i] = NULL;
			continue;
		}
		if (next < 0 || c->deadline - now < next)
			next = c->deadline - now;
	}
	return (int)next;
}

static void *serve(void *arg)
{
	struct http_server *s = arg;
	struct pollfd pfd[HTTP_CLIENTS_MAX + 2];
	size_t who[HTTP_CLIENTS_MAX + 2];

	for (;;) {
		int timeout = expire(s);
		nfds_t n = 2;

		pfd[0] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		for (size_t i = 0; i < HTTP_CLIENTS_MAX; i++) {
			struct client *c = s->clients[i];

			if (!c)
				continue;
			pfd[n] = (struct pollfd){ .fd = c->fd,
						  .events = c->phase == PH_WRITE ? POLLOUT : POLLIN };
			who[n++] = i;
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ocifs: HTTP %s: poll: %s\n", s->where, strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		for (nfds_t k = 2; k < n; k++) {
			struct client *c = s->clients[who[k]];

			if (pfd[k].revents && client_event(s, c, pfd[k].revents)) {
				client_free(c);
				s->clients[who[k]] = NULL;
			}
		}
		if (pfd[1].revents)
			accept_clients(s);
	}
	return NULL;
}

int http_start(struct http_server *s, struct daemon *d, ocifs_error *err)
{
	int r;

	s->d = d;
	r = pthread_create(&s->thread, NULL, serve, s);
	if (r)
		return ocifs_error_set(err, r, "HTTP %s: cannot start its thread", s->where);
	s->started = true;
	if (d->debug)
		fprintf(stderr, "ocifs: serving HTTP on %s%s\n", s->where,
			s->token ? " (token required)" : "");
	return 0;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	if (s->started) {
		(void)!write(s->wake[1], "x", 1);
		pthread_join(s->thread, NULL);
	}
	/* ctl workers use the daemon: wait for them before it goes */
	pthread_mutex_lock(&s->lock);
	while (s->workers)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < HTTP_CLIENTS_MAX; i++)
		if (s->clients[i])
			client_free(s->clients[i]);
	if (s->lfd >= 0)
		close(s->lfd);
	for (int i = 0; i < 2; i++)
		if (s->wake[i] >= 0)
			close(s->wake[i]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	free(s->token);
	free(s);
}
