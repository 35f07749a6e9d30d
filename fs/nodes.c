/* The node table and the file operations: per-open snapshots of synthetic
 * files, the container's real `log`, the `events` files (events.c) and the
 * `ctl` command files.
 *
 * Synthetic files (state, status, pid, ...) are rendered into the open file
 * handle at open(2) and rendered again whenever a read comes at offset 0, so
 * `cat` is always fresh and a reader at any other offset sees one consistent
 * snapshot.  They are opened with direct_io and report st_size 0 (as /proc
 * does): with the page cache the kernel would trust a stale size.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nodes.h"
#include "ocifs/util.h"

/* ---- renderers ---- */

static int render_text(char *text, char **out, size_t *len)
{
	*out = text;
	*len = strlen(text);
	return 0;
}

/* What the cache knows of id, when it is known to be current (watch_quiet):
 * a read then costs no engine call.  False means: ask the engine. */
static bool cached_state(struct daemon *d, const char *id, char **json,
			 enum ocifs_status *status, pid_t *pid)
{
	struct ctr *c;
	bool hit = false;

	if (!watch_quiet(d))
		return false;
	pthread_mutex_lock(&d->lock);
	c = tree_find(d, id);
	if (c && c->state_json) {
		*json = xstrdup(c->state_json);
		*status = c->status;
		*pid = c->pid;
		hit = true;
	}
	pthread_mutex_unlock(&d->lock);
	return hit;
}

/* The container's state: from the cache when current, else the engine. */
static int current_state(struct daemon *d, const char *id, char **json,
			 enum ocifs_status *status, pid_t *pid)
{
	struct ocifs_state st;
	ocifs_error err;

	if (cached_state(d, id, json, status, pid))
		return 0;
	if (ocifs_state_get(d->root, id, &st, &err) < 0)
		return err.code ? err.code : EIO;
	*json = ocifs_state_json(&st);
	*status = st.status;
	*pid = st.pid;
	ocifs_state_clear(&st);
	return 0;
}

enum state_view { VIEW_STATE, VIEW_STATUS, VIEW_PID };

/* state (the JSON), status (one word) or pid (empty when none). */
static int render_view(struct daemon *d, const char *id, enum state_view v, char **out,
		       size_t *len)
{
	cleanup_free char *json = NULL;
	enum ocifs_status status;
	pid_t pid;
	char *text;
	int r = current_state(d, id, &json, &status, &pid);

	if (r)
		return r;
	if (v == VIEW_STATE)
		text = xasprintf("%s\n", json ? json : "{}");
	else if (v == VIEW_STATUS)
		text = xasprintf("%s\n", ocifs_status_name(status));
	else
		text = pid > 0 ? xasprintf("%d\n", (int)pid) : xstrdup("");
	return render_text(text, out, len);
}

static int render_state(struct daemon *d, const char *id, char **out, size_t *len)
{
	return render_view(d, id, VIEW_STATE, out, len);
}

static int render_status(struct daemon *d, const char *id, char **out, size_t *len)
{
	return render_view(d, id, VIEW_STATUS, out, len);
}

static int render_pid(struct daemon *d, const char *id, char **out, size_t *len)
{
	return render_view(d, id, VIEW_PID, out, len);
}

static int render_config(struct daemon *d, const char *id, char **out, size_t *len)
{
	cleanup_free char *path = xasprintf("%s/%s/config.json", d->root, id);
	ocifs_error err;

	if (read_file(path, out, len, &err) < 0)
		return err.code ? err.code : EIO;
	return 0;
}

static int render_features(struct daemon *d, const char *id, char **out, size_t *len)
{
	cleanup_free char *json = ocifs_features_json();
	size_t n;

	(void)d;
	(void)id;
	if (!json)
		return EIO;
	n = strlen(json);
	return render_text(xasprintf("%s%s", json, n && json[n - 1] == '\n' ? "" : "\n"), out,
			   len);
}

static int render_error(struct daemon *d, const char *id, char **out, size_t *len)
{
	const char *text = "";
	struct ctr *c;
	char *copy;

	pthread_mutex_lock(&d->lock);
	if (!id) {
		text = d->top_error ? d->top_error : "";
	} else {
		c = tree_find(d, id);
		if (!c) {
			pthread_mutex_unlock(&d->lock);
			return ENOENT;
		}
		text = c->error ? c->error : "";
	}
	copy = *text ? xasprintf("%s\n", text) : xstrdup("");
	pthread_mutex_unlock(&d->lock);
	return render_text(copy, out, len);
}

/* The cgroup statistics (runc's `events --stats` data); "{}" once the
 * container has stopped. */
static int render_stats(struct daemon *d, const char *id, char **out, size_t *len)
{
	cleanup_free char *json = NULL;
	ocifs_error err;

	if (ocifs_stats(d->root, id, &json, &err) < 0) {
		if (err.code == EBUSY)
			return render_text(xstrdup("{}\n"), out, len);
		return err.code ? err.code : EIO;
	}
	return render_text(xasprintf("%s\n", json), out, len);
}

static int render_processes(struct daemon *d, const char *id, char **out, size_t *len)
{
	cleanup_free pid_t *pids = NULL;
	ocifs_error err;
	size_t n = 0, used = 0;
	char *text;

	if (ocifs_ps(d->root, id, &pids, &n, &err) < 0)
		return err.code ? err.code : EIO;
	text = xmalloc(n * 12 + 1);
	text[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)sprintf(text + used, "%d\n", (int)pids[i]);
	*out = text;
	*len = used;
	return 0;
}

/* ---- the tables ---- */

const struct node top_nodes[] = {
	{ "ctl", 0220, NODE_CTL, NULL, false },
	{ "error", 0444, NODE_SNAPSHOT, render_error, false },
	{ "events", 0444, NODE_EVENTS, NULL, false },
	{ "features", 0444, NODE_SNAPSHOT, render_features, false },
};
const size_t n_top_nodes = ARRAY_SIZE(top_nodes);

const struct node ctr_nodes[] = {
	{ "state", 0444, NODE_SNAPSHOT, render_state, true },
	{ "status", 0444, NODE_SNAPSHOT, render_status, true },
	{ "pid", 0444, NODE_SNAPSHOT, render_pid, true },
	{ "ctl", 0220, NODE_CTL, NULL, false },
	{ "error", 0444, NODE_SNAPSHOT, render_error, false },
	{ "config.json", 0444, NODE_SNAPSHOT, render_config, false },
	{ "log", 0444, NODE_LOG, NULL, false },
	{ "events", 0444, NODE_EVENTS, NULL, false },
	{ "stats", 0444, NODE_SNAPSHOT, render_stats, false },
	{ "processes", 0444, NODE_SNAPSHOT, render_processes, false },
};
const size_t n_ctr_nodes = ARRAY_SIZE(ctr_nodes);

_Static_assert(ARRAY_SIZE(top_nodes) <= INO_GHOST - INO_TOP_FIRST, "top-level inodes");
_Static_assert(ARRAY_SIZE(ctr_nodes) <= INO_FILE_MASK, "container file inodes");

int node_index(const struct node *tab, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i].name, name) == 0)
			return (int)i;
	return -1;
}

mode_t node_mode(const struct daemon *d, const struct node *n)
{
	if (n->kind == NODE_CTL)
		return S_IFREG | (d->ctl_gid == (gid_t)-1 ? 0200 : 0220);
	return S_IFREG | n->perm;
}

gid_t node_gid(const struct daemon *d, const struct node *n)
{
	return n->kind == NODE_CTL && d->ctl_gid != (gid_t)-1 ? d->ctl_gid : 0;
}

/* ---- debug trace ---- */

void ocifs_trace(fuse_req_t req, const char *fmt, ...)
{
	struct daemon *d = fuse_req_userdata(req);
	const struct fuse_ctx *ctx;
	char line[512];
	va_list ap;

	if (!d || !d->debug)
		return;
	ctx = fuse_req_ctx(req);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ocifs: [pid %d uid %d] %s\n", (int)ctx->pid, (int)ctx->uid, line);
}

/* ---- open file handles ---- */

struct fh {
	const struct node *node;
	char id[129];          /* "" = top level */
	pthread_mutex_t lock;  /* snapshot */
	char *buf;
	size_t len;
	bool fresh;            /* rendered by open, not yet read at offset 0 */
	bool notifier;         /* the notifier's write handle: writes are ignored */
	int fd;                /* NODE_LOG: the real file, -1 none (yet) */
	uint64_t ev;           /* NODE_EVENTS: events.c's handle */
};

static struct fh *fh_of(struct fuse_file_info *fi)
{
	return (struct fh *)(uintptr_t)fi->fh;
}

static const char *fh_id(const struct fh *h)
{
	return h->id[0] ? h->id : NULL;
}

static void fh_free(struct fh *h)
{
	if (h->fd >= 0)
		close(h->fd);
	pthread_mutex_destroy(&h->lock);
	free(h->buf);
	free(h);
}

/* May this caller write ctl files?  Root, or a member of CtlGroup. */
static bool ctl_allowed(struct daemon *d, fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t small[64], *groups = small;
	int n, cap = (int)ARRAY_SIZE(small);
	bool ok = false;

	if (ctx->uid == 0)
		return true;
	if (d->ctl_gid == (gid_t)-1)
		return false;
	if (ctx->gid == d->ctl_gid)
		return true;
	n = fuse_req_getgroups(req, cap, groups);
	if (n > cap) {
		cap = n;
		groups = xcalloc((size_t)cap, sizeof(*groups));
		n = fuse_req_getgroups(req, cap, groups);
	}
	for (int i = 0; i < n && i < cap; i++)
		if (groups[i] == d->ctl_gid)
			ok = true;
	if (groups != small)
		free(groups);
	return ok;
}

static void open_log(struct daemon *d, struct fh *h)
{
	cleanup_free char *path = ocifs_log_path(d->root, h->id);

	h->fd = open(path, O_RDONLY | O_CLOEXEC);
}

void nodes_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct daemon *d = fuse_req_userdata(req);
	bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	struct node_ref ref;
	struct fh *h;
	int r;

	ocifs_trace(req, "open ino=%lu flags=0%o", (unsigned long)ino, (unsigned)fi->flags);
	r = tree_resolve(d, ino, &ref);
	if (r) {
		fuse_reply_err(req, r);
		return;
	}
	if (ref.is_dir) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	h = xcalloc(1, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->node = ref.node;
	h->fd = -1;
	snprintf(h->id, sizeof(h->id), "%s", ref.id);

	if (writing) {
		if (ref.node->kind == NODE_CTL) {
			r = ctl_allowed(d, req) ? 0 : EACCES;
		} else if (ref.node->status_time && notify_is_notifier(d, req)) {
			h->notifier = true;
			r = 0;
		} else {
			r = EACCES;
		}
		if (r)
			goto fail;
	}

	switch (ref.node->kind) {
	case NODE_SNAPSHOT:
		fi->direct_io = 1;
		fi->keep_cache = 0;
		if (!h->notifier) {
			r = ref.node->render(d, fh_id(h), &h->buf, &h->len);
			if (r)
				goto fail;
			h->fresh = true;
		}
		break;
	case NODE_LOG:
		fi->direct_io = 0;
		fi->keep_cache = 0;
		open_log(d, h);
		break;
	case NODE_EVENTS:
		fi->direct_io = 1;
		fi->keep_cache = 0;
		r = events_open(d, fh_id(h), &h->ev);
		if (r) {
			r = r < 0 ? -r : r;
			goto fail;
		}
		break;
	case NODE_CTL:
		fi->direct_io = 1;
		fi->keep_cache = 0;
		break;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	if (fuse_reply_open(req, fi) != 0) {
		if (h->node->kind == NODE_EVENTS)
			events_release(d, h->ev);
		fh_free(h);
	}
	return;
fail:
	fh_free(h);
	fuse_reply_err(req, r);
}

static void read_snapshot(fuse_req_t req, struct daemon *d, struct fh *h, size_t size, off_t off)
{
	int r = 0;

	pthread_mutex_lock(&h->lock);
	if (off == 0 && !h->fresh && !h->notifier) {
		char *buf = NULL;
		size_t len = 0;

		r = h->node->render(d, fh_id(h), &buf, &len);
		if (r == 0) {
			free(h->buf);
			h->buf = buf;
			h->len = len;
		}
	}
	h->fresh = false;
	if (r)
		fuse_reply_err(req, r);
	else if (off < 0 || (size_t)off >= h->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, h->buf + off,
			       size < h->len - (size_t)off ? size : h->len - (size_t)off);
	pthread_mutex_unlock(&h->lock);
}

static void read_log(fuse_req_t req, struct daemon *d, struct fh *h, size_t size, off_t off)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);

	pthread_mutex_lock(&h->lock);
	if (h->fd < 0)
		open_log(d, h); /* the log may appear after open */
	pthread_mutex_unlock(&h->lock);
	if (h->fd < 0) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = h->fd;
	bv.buf[0].pos = off;
	fuse_reply_data(req, &bv, 0);
}

void nodes_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	struct daemon *d = fuse_req_userdata(req);
	struct fh *h = fh_of(fi);

	ocifs_trace(req, "read ino=%lu size=%zu off=%lld", (unsigned long)ino, size,
		    (long long)off);
	switch (h->node->kind) {
	case NODE_SNAPSHOT:
		read_snapshot(req, d, h, size, off);
		break;
	case NODE_LOG:
		read_log(req, d, h, size, off);
		break;
	case NODE_EVENTS:
		events_read(d, req, h->ev, size);
		break;
	case NODE_CTL:
		fuse_reply_buf(req, NULL, 0);
		break;
	}
}

int nodes_read_whole(struct daemon *d, const char *id, const char *name, char **out,
		     size_t *len)
{
	const struct node *tab = id ? ctr_nodes : top_nodes;
	size_t n = id ? n_ctr_nodes : n_top_nodes;
	int idx = node_index(tab, n, name);
	cleanup_free char *path = NULL;
	ocifs_error err;
	bool known;

	*out = NULL;
	*len = 0;
	if (idx < 0)
		return ENOENT;
	if (id) {
		pthread_mutex_lock(&d->lock);
		known = tree_find(d, id) != NULL;
		pthread_mutex_unlock(&d->lock);
		if (!known)
			return ENOENT;
	}
	switch (tab[idx].kind) {
	case NODE_SNAPSHOT:
		return tab[idx].render(d, id, out, len);
	case NODE_LOG:
		path = ocifs_log_path(d->root, id);
		if (read_file(path, out, len, &err) == 0)
			return 0;
		if (err.code != ENOENT)
			return err.code;
		*out = xstrdup(""); /* no output yet */
		return 0;
	default:
		return EINVAL;
	}
}

/* ---- ctl ---- */

static unsigned next_exec_id(void)
{
	static unsigned counter;

	return __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

/* Records "COMMAND: message" as the error text of the directory. */
static void set_error(struct daemon *d, const char *id, const char *line, size_t len,
		      const char *msg)
{
	char **slot = NULL;
	struct ctr *c;
	char *text;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > 256)
		len = 256;
	text = xasprintf("%.*s: %s", (int)len, line, msg);
	pthread_mutex_lock(&d->lock);
	if (!id) {
		slot = &d->top_error;
		clock_gettime(CLOCK_REALTIME, &d->top_changed);
	} else if ((c = tree_find(d, id))) {
		slot = &c->error;
	}
	if (slot) {
		free(*slot);
		*slot = text;
		text = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	free(text);
}

/* The errno a failed keeper operation gives write(2). */
static int reply_code(int code)
{
	if (code <= 0 || code >= 4096)
		return EIO;
	return code;
}

/* Runs one parsed command.  Returns 0 or a positive errno, msg filled. */
static int run_cmd(struct daemon *d, const char *dir_id, const struct ctl_cmd *cmd,
		   char *msg, size_t msg_size)
{
	struct keeper_req kreq;
	struct keeper_reply rep;
	ocifs_error err;
	int code;

	memset(&kreq, 0, sizeof(kreq));
	kreq.op = cmd->op;
	snprintf(kreq.id, sizeof(kreq.id), "%s", dir_id ? dir_id : cmd->id);
	snprintf(kreq.path, sizeof(kreq.path), "%s", cmd->path);
	kreq.signal = cmd->signal;
	kreq.seconds = cmd->seconds;
	kreq.force = cmd->force;
	if (cmd->op == CTL_EXEC)
		kreq.exec_id = next_exec_id();
	memset(&rep, 0, sizeof(rep));
	if (keeper_call(d->keeper, &kreq, &rep, &err) < 0) {
		snprintf(msg, msg_size, "%s", err.msg);
		code = EIO;
	} else {
		snprintf(msg, msg_size, "%s", rep.msg);
		code = rep.code ? reply_code(rep.code) : 0;
	}
	watch_changed(d, kreq.id);
	return code;
}

int nodes_ctl_run(struct daemon *d, const char *id, const char *text, size_t len, char *msg,
		  size_t msg_size)
{
	size_t pos = 0;

	while (pos < len) {
		size_t n = ctl_next_line(text + pos, len - pos);
		const char *line = text + pos;
		struct ctl_cmd cmd;
		ocifs_error err;
		int code;

		if (n == 0)
			break;
		pos += n;
		memset(&cmd, 0, sizeof(cmd));
		if (ctl_parse(line, n, id == NULL, &cmd, &err) < 0) {
			code = err.code ? err.code : EINVAL;
			snprintf(msg, msg_size, "%s", err.msg);
		} else if (cmd.op == CTL_NONE) {
			continue;
		} else {
			code = run_cmd(d, id, &cmd, msg, msg_size);
		}
		if (code) {
			set_error(d, id, line, n, msg);
			return code;
		}
	}
	return 0;
}

static void write_ctl(fuse_req_t req, struct daemon *d, struct fh *h, const char *buf,
		      size_t size)
{
	char msg[OCIFS_ERROR_MSG_MAX];
	int code = nodes_ctl_run(d, fh_id(h), buf, size, msg, sizeof(msg));

	if (code) {
		ocifs_trace(req, "ctl %s: %s", fh_id(h) ? fh_id(h) : "/", msg);
		fuse_reply_err(req, code);
		return;
	}
	fuse_reply_write(req, size);
}

void nodes_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		 struct fuse_file_info *fi)
{
	struct daemon *d = fuse_req_userdata(req);
	struct fh *h = fh_of(fi);

	ocifs_trace(req, "write ino=%lu size=%zu off=%lld", (unsigned long)ino, size,
		    (long long)off);
	if (h->notifier) {
		fuse_reply_write(req, size); /* a touch: the write itself is the event */
		return;
	}
	if (h->node->kind != NODE_CTL) {
		fuse_reply_err(req, EBADF);
		return;
	}
	write_ctl(req, d, h, buf, size);
}

void nodes_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct daemon *d = fuse_req_userdata(req);
	struct fh *h = fh_of(fi);

	ocifs_trace(req, "release ino=%lu", (unsigned long)ino);
	if (h->node->kind == NODE_EVENTS)
		events_release(d, h->ev);
	fh_free(h);
	fuse_reply_err(req, 0);
}

void nodes_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		struct fuse_pollhandle *ph)
{
	struct daemon *d = fuse_req_userdata(req);
	struct fh *h = fh_of(fi);

	ocifs_trace(req, "poll ino=%lu", (unsigned long)ino);
	if (h->node->kind == NODE_EVENTS) {
		events_poll(d, req, h->ev, ph);
		return;
	}
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
}

bool nodes_setattr_ok(fuse_req_t req, const struct node *n, const struct stat *attr,
		      int to_set)
{
	struct daemon *d = fuse_req_userdata(req);
	int times = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
		    FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME;

	if (n->kind == NODE_CTL && !(to_set & ~(FUSE_SET_ATTR_SIZE | times)) &&
	    (!(to_set & FUSE_SET_ATTR_SIZE) || attr->st_size == 0))
		return ctl_allowed(d, req);
	if (n->status_time && notify_is_notifier(d, req))
		return true;
	return false;
}

int nodes_delete_dir(struct daemon *d, const char *id)
{
	struct ctl_cmd cmd;
	char msg[OCIFS_ERROR_MSG_MAX];
	int code;

	memset(&cmd, 0, sizeof(cmd));
	cmd.op = CTL_DELETE;
	code = run_cmd(d, id, &cmd, msg, sizeof(msg));
	if (code)
		set_error(d, id, "rmdir", 5, msg);
	return code;
}
