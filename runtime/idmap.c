/* ID-mapped bind mounts: made by the runtime, attached by the init.
 *
 * mount_setattr(MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN in the initial user
 * namespace over a detached mount, which the init (root of the container's
 * user namespace) never has.  So the runtime, in the host's namespaces,
 * makes each one once the init's id maps are written:
 *
 *   open_tree(source, OPEN_TREE_CLONE [| AT_RECURSIVE for rbind])
 *   mount_setattr(propagation = MS_SLAVE, recursive)  never a peer of the
 *                                                     host's mount
 *   mount_setattr(MOUNT_ATTR_IDMAP, userns_fd [, AT_RECURSIVE for ridmap])
 *
 * where userns_fd is /proc/INIT/ns/user (no mount-level mappings: the
 * container's mapping) or a throwaway user namespace holding the mount's
 * own uidMappings/gidMappings (a child cloned with CLONE_NEWUSER, its maps
 * written from here, its ns/user opened, the child reaped: the mount keeps
 * a copy of the mapping).  Each detached mount goes to the init over the
 * create protocol's socket ('M' + entry index, the fd as SCM_RIGHTS), in
 * listed order, before the first 'G'.  The init keeps them in a table
 * keyed by the mount entry, and mounts.c attaches each with move_mount()
 * where that entry comes in the mount order.
 *
 * Sources are resolved like the init's bind mounts: relative to the bundle,
 * in the runtime's mount namespace (a source under another config mount's
 * destination is not supported).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "ocifs/util.h"

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

/* ---- the user namespace that holds the mapping ---- */

static int write_idmap(pid_t pid, const char *file, const struct oci_idmap *v, size_t n,
		       size_t idx, ocifs_error *err)
{
	size_t cap = n * 36 + 1, len = 0;
	cleanup_free char *buf = xmalloc(cap);
	char path[64];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) /* a line is at most 33 bytes */
		len += (size_t)snprintf(buf + len, cap - len, "%u %u %u\n", v[i].container_id,
					v[i].host_id, v[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (write_file(path, buf, err) < 0)
		return ocifs_error_prefix(err, "mounts[%zu].%s", idx,
					  strcmp(file, "uid_map") ? "gidMappings" : "uidMappings");
	return 0;
}

/* A child in a new user namespace that lives until `hold` is closed. */
static pid_t spawn_holder(int hold[2])
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0UL);
	char c;

	if (pid != 0)
		return pid;
	close(hold[1]);
	while (read(hold[0], &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* A user namespace holding m's own mappings; returns an fd on it. */
static int mapped_userns(const struct oci_mount *m, size_t idx, ocifs_error *err)
{
	char path[64];
	int hold[2], fd = -1;
	pid_t pid;

	if (pipe2(hold, O_CLOEXEC) < 0)
		return ocifs_error_set(err, errno, "mounts[%zu]: pipe", idx);
	pid = spawn_holder(hold);
	close(hold[0]);
	if (pid < 0) {
		ocifs_error_set(err, errno, "mounts[%zu]: create a user namespace for the mapping",
				idx);
		close(hold[1]);
		return -1;
	}
	if (write_idmap(pid, "uid_map", m->uid_mappings, m->n_uid_mappings, idx, err) == 0 &&
	    write_idmap(pid, "gid_map", m->gid_mappings, m->n_gid_mappings, idx, err) == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			ocifs_error_set(err, errno, "mounts[%zu]: open %s", idx, path);
	}
	close(hold[1]);
	reap(pid);
	return fd;
}

static int userns_for(const struct oci_mount *m, size_t idx, pid_t init, ocifs_error *err)
{
	char path[64];
	int fd;

	if (m->n_uid_mappings)
		return mapped_userns(m, idx, err);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)init);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ocifs_error_set(err, errno, "mounts[%zu]: open %s", idx, path);
	return fd;
}

/* ---- the detached mount ---- */

static int idmap_refused(const struct oci_mount *m, size_t idx, int e, ocifs_error *err)
{
	if (e == EINVAL || e == EOPNOTSUPP)
		return ocifs_error_set(err, e, "mounts[%zu]: the kernel refuses to ID-map %s "
				       "(does its filesystem%s support ID-mapped mounts?)", idx,
				       m->source, m->recursive_idmap ? ", or a submount's," : "");
	return ocifs_error_set(err, e, "mounts[%zu]: ID-map %s", idx, m->source);
}

static int make_idmapped(const struct oci_mount *m, size_t idx, int bundlefd, int usernsfd,
			 ocifs_error *err)
{
	bool rec = m->recursive_bind || (m->flags & MS_REC);
	struct mount_attr slave = { .propagation = MS_SLAVE };
	struct mount_attr idmap = { .attr_set = MOUNT_ATTR_IDMAP,
				    .userns_fd = (uint64_t)usernsfd };
	cleanup_close int fd = -1;

	fd = open_tree(bundlefd, m->source,
		       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
	if (fd < 0)
		return ocifs_error_set(err, errno, "mounts[%zu]: open_tree %s", idx, m->source);
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &slave, sizeof(slave)) < 0)
		return ocifs_error_set(err, errno, "mounts[%zu]: make %s a slave mount", idx,
				       m->source);
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (m->recursive_idmap ? AT_RECURSIVE : 0),
			  &idmap, sizeof(idmap)) < 0)
		return idmap_refused(m, idx, errno, err);
	return steal_fd(&fd);
}

static int send_one(int sock, const struct oci_mount *m, size_t idx, int bundlefd,
		    pid_t init, ocifs_error *err)
{
	cleanup_close int userns = userns_for(m, idx, init, err);
	cleanup_close int fd = -1;
	char msg[32];
	int n;

	if (userns < 0)
		return -1;
	fd = make_idmapped(m, idx, bundlefd, userns, err);
	if (fd < 0)
		return -1;
	n = snprintf(msg, sizeof(msg), "M%zu", idx);
	if (send_with_fd(sock, fd, msg, (size_t)n) < 0)
		return ocifs_error_set(err, errno, "mounts[%zu]: send the ID-mapped mount to the init",
				       idx);
	return 0;
}

int idmap_send_mounts(int sock, const struct oci_config *cfg, const char *bundle,
		      pid_t init, ocifs_error *err)
{
	cleanup_close int bundlefd = -1;

	for (size_t i = 0; i < cfg->n_mounts; i++) {
		if (!cfg->mounts[i].idmap)
			continue;
		if (bundlefd < 0)
			bundlefd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (bundlefd < 0)
			return ocifs_error_set(err, errno, "open bundle %s", bundle);
		if (send_one(sock, &cfg->mounts[i], i, bundlefd, init, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- init side ---- */

/* Received detached mounts, by entry (the init's copy of the config). */
static struct received {
	const struct oci_mount *m;
	int fd;
} *received;
static size_t n_received;

/* One 'M<idx>' message and its fd; returns the fd. */
static int recv_one(int sock, size_t want, ocifs_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char msg[32];
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) - 1 };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;

	do
		n = recvmsg(sock, &h, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ocifs_error_set(err, errno, "mounts[%zu]: receive the ID-mapped mount", want);
	c = CMSG_FIRSTHDR(&h);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	msg[n] = '\0';
	if (fd < 0 || msg[0] != 'M' || strtoul(msg + 1, NULL, 10) != want) {
		if (fd >= 0)
			close(fd);
		return ocifs_error_set(err, EIO, "mounts[%zu]: the runtime sent no ID-mapped mount",
				       want);
	}
	return fd;
}

int idmap_recv_mounts(int sock, const struct oci_config *cfg, ocifs_error *err)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		int fd;

		if (!cfg->mounts[i].idmap)
			continue;
		fd = recv_one(sock, i, err);
		if (fd < 0)
			return -1;
		if (!received)
			received = xcalloc(cfg->n_mounts, sizeof(*received));
		received[n_received].m = &cfg->mounts[i];
		received[n_received++].fd = fd;
	}
	return 0;
}

int idmap_take_mount(const struct oci_mount *m)
{
	for (size_t i = 0; i < n_received; i++) {
		if (received[i].m != m || received[i].fd < 0)
			continue;
		int fd = received[i].fd;
		received[i].fd = -1;
		return fd;
	}
	return -1;
}
