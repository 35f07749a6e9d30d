/* The container cache, the inode scheme of daemon.h and the directory side
 * of the FUSE operations (init, lookup, getattr, setattr, readdir, mkdir,
 * rmdir).  File operations are in nodes.c.
 *
 * Entries and the attributes that do not change unannounced are cached by
 * the kernel (entry_timeout, attr_timeout); absent names never are, so
 * containers made by `ocirun` show up at once, and the notifier's own
 * lookups are answered to match its mkdir/rmdir (see notify.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nodes.h"
#include "ocifs/util.h"

/* ---- the cache (d->lock held) ---- */

struct ctr *tree_find(struct daemon *d, const char *id)
{
	for (unsigned i = 0; i < d->n_slots; i++)
		if (d->ctrs[i] && strcmp(d->ctrs[i]->id, id) == 0)
			return d->ctrs[i];
	return NULL;
}

struct ctr *tree_find_ino(struct daemon *d, fuse_ino_t ino)
{
	uint64_t slot;

	if (ino < (1u << INO_SHIFT))
		return NULL;
	slot = (ino >> INO_SHIFT) - 1;
	return slot < d->n_slots ? d->ctrs[slot] : NULL;
}

fuse_ino_t tree_dir_ino(const struct ctr *c)
{
	return ((fuse_ino_t)c->slot + 1) << INO_SHIFT;
}

static struct ctr *ctr_add(struct daemon *d, const char *id)
{
	struct ctr *c = xcalloc(1, sizeof(*c));
	unsigned slot;

	for (slot = 0; slot < d->n_slots && d->ctrs[slot]; slot++)
		;
	if (slot == d->n_slots) {
		unsigned n = d->n_slots ? d->n_slots * 2 : 16;

		d->ctrs = xrealloc(d->ctrs, n * sizeof(*d->ctrs));
		memset(d->ctrs + d->n_slots, 0, (n - d->n_slots) * sizeof(*d->ctrs));
		d->n_slots = n;
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->slot = slot;
	c->generation = d->next_generation++; /* a reused slot is a new inode */
	c->error = xstrdup("");
	c->pidfd = -1;
	clock_gettime(CLOCK_REALTIME, &c->born);
	c->changed = c->born;
	d->ctrs[slot] = c;
	return c;
}

static void ctr_drop(struct daemon *d, struct ctr *c)
{
	d->ctrs[c->slot] = NULL;
	if (c->pidfd >= 0)
		close(c->pidfd);
	free(c->error);
	free(c->state_json);
	free(c);
}

/* The status files' attributes are cached by the kernel (attr_timeout):
 * drop them when the status changes.  Attributes only (offset -1): no page
 * cache lock is taken, so this is safe from any thread. */
static void inval_status_attrs(struct daemon *d, fuse_ino_t dir)
{
	if (!d->se)
		return;
	for (size_t i = 0; i < n_ctr_nodes; i++)
		if (ctr_nodes[i].status_time)
			fuse_lowlevel_notify_inval_inode(d->se, dir + 1 + i, -1, 0);
}

int tree_refresh(struct daemon *d, const char *id)
{
	struct ocifs_state st;
	ocifs_error err;
	struct ctr *c;
	fuse_ino_t dir;
	char *json;
	int r, changed = 0;

	r = ocifs_state_get(d->root, id, &st, &err);
	json = r == 0 ? ocifs_state_json(&st) : NULL;
	pthread_mutex_lock(&d->lock);
	c = tree_find(d, id);
	if (r < 0) {
		/* gone (or never valid); other errors keep what we knew */
		if (c && (err.code == ENOENT || err.code == EINVAL)) {
			ctr_drop(d, c);
			changed = TREE_VANISHED;
		}
	} else {
		if (!c) {
			c = ctr_add(d, id);
			changed = TREE_APPEARED;
		} else if (c->status != st.status || c->pid != st.pid ||
			   c->has_exit_status != st.has_exit_status ||
			   (st.has_exit_status && c->exit_status != st.exit_status)) {
			changed = TREE_STATUS;
			clock_gettime(CLOCK_REALTIME, &c->changed);
		}
		c->status = st.status;
		c->pid = st.pid;
		free(c->state_json);
		c->state_json = json;
		json = NULL;
		c->has_exit_status = st.has_exit_status;
		c->exit_status = st.exit_status;
	}
	if (changed & (TREE_APPEARED | TREE_VANISHED))
		clock_gettime(CLOCK_REALTIME, &d->top_changed);
	dir = c && changed == TREE_STATUS ? tree_dir_ino(c) : 0;
	pthread_mutex_unlock(&d->lock);
	if (dir)
		inval_status_attrs(d, dir);
	if (r == 0)
		ocifs_state_clear(&st);
	free(json);
	return changed;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The cached ids, sorted (a copy: the lock is not held afterwards). */
char **tree_list_ids(struct daemon *d, size_t *n)
{
	char **v;
	size_t k = 0;

	pthread_mutex_lock(&d->lock);
	v = xcalloc(d->n_slots + 1, sizeof(*v));
	for (unsigned i = 0; i < d->n_slots; i++)
		if (d->ctrs[i])
			v[k++] = xstrdup(d->ctrs[i]->id);
	pthread_mutex_unlock(&d->lock);
	qsort(v, k, sizeof(*v), cmp_str);
	*n = k;
	return v;
}

/* Calls fn for every id in the store or in the cache (both sorted lists
 * merged), so that new ids are refreshed and vanished ones dropped. */
static void sync_with_store(struct daemon *d, bool only_diff, void (*fn)(struct daemon *, const char *))
{
	char **ids = NULL, **have;
	size_t n = 0, m, i = 0, j = 0;
	ocifs_error err;

	if (ocifs_list(d->root, &ids, &n, &err) < 0)
		return;
	have = tree_list_ids(d, &m);
	while (i < n || j < m) {
		int c = i == n ? 1 : j == m ? -1 : strcmp(ids[i], have[j]);

		if (c < 0)
			fn(d, ids[i++]);        /* new in the store */
		else if (c > 0)
			fn(d, have[j++]);       /* gone from the store */
		else {
			if (!only_diff)
				fn(d, ids[i]);
			i++;
			j++;
		}
	}
	ocifs_list_free(ids, n);
	ocifs_list_free(have, m);
}

static void rescan_one(struct daemon *d, const char *id)
{
	/* watch_changed() does the tree_refresh() itself: refreshing here
	 * first would leave it nothing to see, and the watcher arms its
	 * per-container watches on what it sees appear. */
	watch_changed(d, id);
}

/* Every id in the store or in the cache goes through watch_changed(), which
 * refreshes it (adding new ones, dropping vanished ones) and reports what
 * changed.  Called once the watcher runs (main.c). */
void tree_rescan(struct daemon *d)
{
	sync_with_store(d, false, rescan_one);
}

/* ---- inodes ---- */

int tree_resolve(struct daemon *d, fuse_ino_t ino, struct node_ref *ref)
{
	struct ctr *c;
	unsigned idx;

	memset(ref, 0, sizeof(*ref));
	if (ino == INO_ROOT || ino == INO_GHOST) {
		ref->is_dir = true;
		return 0;
	}
	if (ino < (1u << INO_SHIFT)) {
		if (ino - INO_TOP_FIRST >= n_top_nodes)
			return ENOENT;
		ref->node = &top_nodes[ino - INO_TOP_FIRST];
		return 0;
	}
	pthread_mutex_lock(&d->lock);
	c = tree_find_ino(d, ino);
	if (c)
		snprintf(ref->id, sizeof(ref->id), "%s", c->id);
	pthread_mutex_unlock(&d->lock);
	if (!c)
		return ENOENT;
	idx = ino & INO_FILE_MASK;
	if (idx == 0) {
		ref->is_dir = true;
		return 0;
	}
	if (idx - 1 >= n_ctr_nodes)
		return ENOENT;
	ref->node = &ctr_nodes[idx - 1];
	return 0;
}

static void fill_times(struct stat *st, struct timespec t)
{
	st->st_atim = t;
	st->st_mtim = t;
	st->st_ctim = t;
}

/* Attributes of an inode.  Returns 0 or a positive errno. */
static int stat_ino(struct daemon *d, fuse_ino_t ino, struct stat *st, uint64_t *gen)
{
	const struct node *n = NULL;
	char id[129] = "";
	struct ctr *c;
	unsigned idx;

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	*gen = 0;
	pthread_mutex_lock(&d->lock);
	if (ino == INO_ROOT || ino == INO_GHOST) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		fill_times(st, d->top_changed);
	} else if (ino < (1u << INO_SHIFT)) {
		if (ino - INO_TOP_FIRST >= n_top_nodes) {
			pthread_mutex_unlock(&d->lock);
			return ENOENT;
		}
		n = &top_nodes[ino - INO_TOP_FIRST];
		st->st_mode = node_mode(d, n);
		st->st_gid = node_gid(d, n);
		st->st_nlink = 1;
		fill_times(st, d->top_changed);
	} else {
		c = tree_find_ino(d, ino);
		idx = ino & INO_FILE_MASK;
		if (!c || (idx && idx - 1 >= n_ctr_nodes)) {
			pthread_mutex_unlock(&d->lock);
			return ENOENT;
		}
		*gen = c->generation;
		if (idx == 0) {
			st->st_mode = S_IFDIR | 0555;
			st->st_nlink = 2;
			fill_times(st, c->born);
		} else {
			n = &ctr_nodes[idx - 1];
			st->st_mode = node_mode(d, n);
			st->st_gid = node_gid(d, n);
			st->st_nlink = 1;
			fill_times(st, n->status_time ? c->changed : c->born);
			snprintf(id, sizeof(id), "%s", c->id);
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (n && n->kind == NODE_LOG) {
		cleanup_free char *path = ocifs_log_path(d->root, id);
		struct stat real;

		if (stat(path, &real) == 0) {
			st->st_size = real.st_size;
			st->st_blocks = real.st_blocks;
			st->st_mtim = real.st_mtim;
			st->st_ctim = real.st_ctim;
		}
	}
	return 0;
}

/* How long the kernel may keep an inode's attributes.
 * - Directories: their attributes never change for one inode (a re-created
 *   container is a new inode generation), and caching them spares a
 *   getattr at every path walk, since default_permissions checks each
 *   directory's mode.
 * - state, status, pid: their only changing attribute is the mtime of the
 *   last status change, and tree_refresh() invalidates it (notify_inval)
 *   the moment it changes, so it can be cached: one getattr less per open.
 * - Other files: 0, their size and times change unannounced. */
#define STABLE_ATTR_TIMEOUT 1.0

static bool status_node(fuse_ino_t ino)
{
	unsigned idx = ino & INO_FILE_MASK;

	return ino >= (1u << INO_SHIFT) && idx && idx - 1 < n_ctr_nodes &&
	       ctr_nodes[idx - 1].status_time;
}

static double attr_timeout(const struct stat *st)
{
	return S_ISDIR(st->st_mode) || status_node(st->st_ino) ? STABLE_ATTR_TIMEOUT : 0.0;
}

/* Entries may be kept for a second, sparing a lookup at every path walk:
 * a name under a container's directory always means the same file (a
 * re-created container is a new directory inode), and a container's name
 * in the root is removed by the notifier's rmdir when it vanishes and
 * dropped (notify_inval_entry) before its mkdir when it appears (notify.c).
 * Absent names are never cached (lookup answers ENOENT), so a container
 * made by `ocirun` shows up at once. */
static double entry_timeout(const struct stat *st)
{
	(void)st;
	return 1.0;
}

static void reply_entry(fuse_req_t req, struct daemon *d, fuse_ino_t ino)
{
	struct fuse_entry_param e;
	int r;

	memset(&e, 0, sizeof(e));
	r = stat_ino(d, ino, &e.attr, &e.generation);
	if (r) {
		fuse_reply_err(req, r);
		return;
	}
	e.ino = ino;
	e.attr_timeout = attr_timeout(&e.attr);
	e.entry_timeout = entry_timeout(&e.attr);
	fuse_reply_entry(req, &e);
}

/* The notifier's lookup of a container already gone from the cache: a
 * directory on an inode of its own, a new generation each time, so that the
 * notifier's rmdir reaches watchers (and then the kernel drops it). */
static void reply_ghost(fuse_req_t req, struct daemon *d)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	pthread_mutex_lock(&d->lock);
	e.generation = d->next_generation++;
	pthread_mutex_unlock(&d->lock);
	e.ino = INO_GHOST;
	e.attr.st_ino = INO_GHOST;
	e.attr.st_mode = S_IFDIR | 0555;
	e.attr.st_nlink = 2;
	clock_gettime(CLOCK_REALTIME, &e.attr.st_mtim);
	e.attr.st_atim = e.attr.st_ctim = e.attr.st_mtim;
	fuse_reply_entry(req, &e);
}

/* The cached container's directory inode, 0 when not cached. */
static fuse_ino_t cached_dir(struct daemon *d, const char *id)
{
	struct ctr *c;
	fuse_ino_t ino = 0;

	pthread_mutex_lock(&d->lock);
	c = tree_find(d, id);
	if (c)
		ino = tree_dir_ino(c);
	pthread_mutex_unlock(&d->lock);
	return ino;
}

static bool in_store(struct daemon *d, const char *id)
{
	cleanup_free char *path = xasprintf("%s/%s/state.json", d->root, id);

	return access(path, F_OK) == 0;
}

static void lookup_container(fuse_req_t req, struct daemon *d, const char *id)
{
	fuse_ino_t ino;
	/* only the notifier's own lookups get a hint (notify.c) */
	int hint = notify_is_notifier(d, req) ? notify_lookup_hint(d, id) : -1;

	ino = cached_dir(d, id);
	if (hint == 1) {
		if (ino)
			reply_entry(req, d, ino);
		else
			reply_ghost(req, d);
		return;
	}
	if (hint == 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* The store is the truth: a container made or deleted by `ocirun` is
	 * seen at once (watch_changed refreshes and tells watchers). */
	if (!ino || !in_store(d, id)) {
		watch_changed(d, id);
		ino = cached_dir(d, id);
	}
	if (ino)
		reply_entry(req, d, ino);
	else
		fuse_reply_err(req, ENOENT);
}

/* ---- FUSE operations ---- */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* log is read through the page cache: drop it when the size changes */
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct daemon *d = fuse_req_userdata(req);
	struct node_ref ref;
	int idx, r;

	ocifs_trace(req, "lookup parent=%lu name=%s", (unsigned long)parent, name);
	if (parent == INO_ROOT) {
		idx = node_index(top_nodes, n_top_nodes, name);
		if (idx >= 0)
			reply_entry(req, d, INO_TOP_FIRST + (fuse_ino_t)idx);
		else if (!ocifs_id_valid(name))
			fuse_reply_err(req, ENOENT);
		else
			lookup_container(req, d, name);
		return;
	}
	r = tree_resolve(d, parent, &ref);
	if (r) {
		fuse_reply_err(req, r);
		return;
	}
	if (!ref.is_dir) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	idx = node_index(ctr_nodes, n_ctr_nodes, name);
	if (parent == INO_GHOST || idx < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	reply_entry(req, d, parent | (fuse_ino_t)(idx + 1));
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	ocifs_trace(req, "forget ino=%lu nlookup=%llu", (unsigned long)ino,
		    (unsigned long long)nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	(void)forgets;
	ocifs_trace(req, "forget_multi count=%zu", count);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct daemon *d = fuse_req_userdata(req);
	struct stat st;
	uint64_t gen;
	int r;

	(void)fi;
	ocifs_trace(req, "getattr ino=%lu", (unsigned long)ino);
	r = stat_ino(d, ino, &st, &gen);
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_attr(req, &st, attr_timeout(&st));
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct daemon *d = fuse_req_userdata(req);
	struct node_ref ref;
	struct stat st;
	uint64_t gen;
	int r;

	(void)fi;
	ocifs_trace(req, "setattr ino=%lu to_set=0x%x", (unsigned long)ino, (unsigned)to_set);
	r = tree_resolve(d, ino, &ref);
	if (r) {
		fuse_reply_err(req, r);
		return;
	}
	if (ref.is_dir || !nodes_setattr_ok(req, ref.node, attr, to_set)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	r = stat_ino(d, ino, &st, &gen);
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_attr(req, &st, 0.0);
}

/* A directory listing, taken at opendir. */
struct dent {
	fuse_ino_t ino;
	mode_t mode;
	char name[129];
};
struct dirh {
	size_t n;
	struct dent *v;
};

static void dir_add(struct dirh *h, size_t *cap, const char *name, fuse_ino_t ino, mode_t mode)
{
	if (h->n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		h->v = xrealloc(h->v, *cap * sizeof(*h->v));
	}
	h->v[h->n].ino = ino;
	h->v[h->n].mode = mode;
	snprintf(h->v[h->n].name, sizeof(h->v[h->n].name), "%s", name);
	h->n++;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct daemon *d = fuse_req_userdata(req);
	struct dirh *h;
	struct node_ref ref;
	size_t cap = 0;
	struct ctr *c;
	int r;

	ocifs_trace(req, "opendir ino=%lu", (unsigned long)ino);
	r = tree_resolve(d, ino, &ref);
	if (r || !ref.is_dir) {
		fuse_reply_err(req, r ? r : ENOTDIR);
		return;
	}
	if (ino == INO_ROOT)
		sync_with_store(d, true, rescan_one); /* a listing agrees with the store */
	h = xcalloc(1, sizeof(*h));
	dir_add(h, &cap, ".", ino, S_IFDIR);
	dir_add(h, &cap, "..", INO_ROOT, S_IFDIR);
	if (ino == INO_ROOT) {
		for (size_t i = 0; i < n_top_nodes; i++)
			dir_add(h, &cap, top_nodes[i].name, INO_TOP_FIRST + i, S_IFREG);
		pthread_mutex_lock(&d->lock);
		for (unsigned i = 0; i < d->n_slots; i++)
			if ((c = d->ctrs[i]))
				dir_add(h, &cap, c->id, tree_dir_ino(c), S_IFDIR);
		pthread_mutex_unlock(&d->lock);
	} else if (ino != INO_GHOST) {
		for (size_t i = 0; i < n_ctr_nodes; i++)
			dir_add(h, &cap, ctr_nodes[i].name, ino | (i + 1), S_IFREG);
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->cache_readdir = 0;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) != 0) {
		free(h->v);
		free(h);
	}
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dirh *h = (struct dirh *)(uintptr_t)fi->fh;
	char *buf = xmalloc(size);
	size_t used = 0;

	ocifs_trace(req, "readdir ino=%lu off=%lld", (unsigned long)ino, (long long)off);
	for (size_t i = off > 0 ? (size_t)off : 0; i < h->n; i++) {
		struct stat st = { .st_ino = h->v[i].ino, .st_mode = h->v[i].mode };
		size_t need = fuse_add_direntry(req, buf + used, size - used, h->v[i].name, &st,
						(off_t)(i + 1));

		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirh *h = (struct dirh *)(uintptr_t)fi->fh;

	ocifs_trace(req, "releasedir ino=%lu", (unsigned long)ino);
	free(h->v);
	free(h);
	fuse_reply_err(req, 0);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct daemon *d = fuse_req_userdata(req);
	fuse_ino_t ino;

	ocifs_trace(req, "mkdir parent=%lu name=%s mode=0%o", (unsigned long)parent, name,
		    (unsigned)mode);
	if (parent != INO_ROOT) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (!ocifs_id_valid(name)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!notify_is_notifier(d, req)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	ino = cached_dir(d, name);
	if (ino)
		reply_entry(req, d, ino);
	else
		fuse_reply_err(req, ENOENT);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct daemon *d = fuse_req_userdata(req);

	ocifs_trace(req, "rmdir parent=%lu name=%s", (unsigned long)parent, name);
	if (parent != INO_ROOT) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (!ocifs_id_valid(name)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (notify_is_notifier(d, req)) {
		fuse_reply_err(req, 0);
		return;
	}
	fuse_reply_err(req, nodes_delete_dir(d, name));
}

const struct fuse_lowlevel_ops ocifs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.open = nodes_open,
	.read = nodes_read,
	.write = nodes_write,
	.release = nodes_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.poll = nodes_poll,
};
