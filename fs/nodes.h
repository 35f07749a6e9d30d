/* Internal interface between tree.c (inodes, directories) and nodes.c (the
 * node table and the file operations).  Not part of the daemon contract in
 * daemon.h: only these two files include it.
 *
 * A node is one file name: the top-level table (ctl, error, events,
 * features) and the per-container table (state, status, pid, ...).  Each row
 * says the file's mode and how it is opened, read and written; dispatch is a
 * table lookup by name (lookup) or by index (inode number), never a chain of
 * string compares.
 */
#ifndef OCIFS_FS_NODES_H
#define OCIFS_FS_NODES_H

#include <sys/stat.h>

#include "daemon.h"

/* Inode numbers (daemon.h): 1 the root, 2.. the top-level files, a
 * container directory (slot + 1) << 4 and its files dir | (index + 1). */
#define INO_ROOT 1
#define INO_TOP_FIRST 2
/* A directory that answers the notifier's lookup of a container that is
 * already gone from the cache, so that its rmdir reaches watchers. */
#define INO_GHOST 15
#define INO_SHIFT 4
#define INO_FILE_MASK 0xf

enum node_kind {
	NODE_SNAPSHOT, /* rendered per open into the handle, direct_io, size 0 */
	NODE_LOG,      /* a real file (ROOT/ID/log): real size, page cache off */
	NODE_EVENTS,   /* events.c: blocking/deferred reads, poll */
	NODE_CTL,      /* write-only command file */
};

/* Renders the content of a snapshot file.  id is NULL for top-level files.
 * Returns 0 (out malloc'd, may be empty) or a positive errno. */
typedef int (*node_render_fn)(struct daemon *d, const char *id, char **out, size_t *len);

struct node {
	const char *name;
	mode_t perm;            /* permission bits (ctl: see node_perm) */
	enum node_kind kind;
	node_render_fn render;  /* NODE_SNAPSHOT */
	bool status_time;       /* mtime follows the container's status changes;
	                           the notifier may write it (touch) */
};

extern const struct node top_nodes[];
extern const size_t n_top_nodes;
extern const struct node ctr_nodes[];
extern const size_t n_ctr_nodes;

/* Index of name in the table, -1 when absent. */
int node_index(const struct node *tab, size_t n, const char *name);
/* S_IFREG | permission bits, gid: as shown by getattr. */
mode_t node_mode(const struct daemon *d, const struct node *n);
gid_t node_gid(const struct daemon *d, const struct node *n);

/* What an inode number stands for (filled under d->lock by tree.c). */
struct node_ref {
	bool is_dir;
	const struct node *node; /* files */
	char id[129];            /* "" = top level */
};

/* tree.c: resolves an inode (takes d->lock).  Returns 0 or ENOENT. */
int tree_resolve(struct daemon *d, fuse_ino_t ino, struct node_ref *ref);

/* nodes.c: file operations of ocifs_ops. */
void nodes_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void nodes_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi);
void nodes_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		 struct fuse_file_info *fi);
void nodes_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void nodes_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		struct fuse_pollhandle *ph);
/* Whether setattr on this node from this caller is accepted as a no-op
 * (ctl truncation to 0, the notifier touching state/status/pid). */
bool nodes_setattr_ok(fuse_req_t req, const struct node *n, const struct stat *attr,
		      int to_set);

/* rmdir of a container by a user: keeper delete without force.  Returns 0
 * or a positive errno; the message lands in the container's error file. */
int nodes_delete_dir(struct daemon *d, const char *id);

/* Debug: one line per FUSE request on stderr when d->debug. */
void ocifs_trace(fuse_req_t req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
