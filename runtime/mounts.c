/* Mounting one config.json "mounts" entry inside the container's root.
 *
 * The destination is resolved inside the root (inroot_mkpath: openat2 with
 * RESOLVE_IN_ROOT, creating missing directories component by component, or
 * an empty file when a bind source is not a directory) and the mount goes
 * through the O_PATH fd as /proc/self/fd/N, so a symlink in the rootfs
 * (absolute or "../../..") can never send a mount to the host.
 *
 * ID-mapped binds ("idmap", "ridmap", mount mappings) arrive as detached
 * mounts made by the runtime (idmap.c) and are attached with move_mount()
 * in their place in the order; flags as for other binds.
 *
 * Bind mounts: MS_BIND (| MS_REC for rbind) first, then, when more flags are
 * asked (ro, nosuid, nodev, noexec, atime), a MS_REMOUNT|MS_BIND that keeps
 * the flags the source mount already has, so it works in a user namespace
 * where those flags are locked.  Other types: mount(source, target, type,
 * flags, data).  Propagation ("rshared", "private" ...) is applied last with
 * its own mount(2) call.
 *
 * Fallbacks where the kernel refuses a fresh mount (EPERM, e.g. in a user
 * namespace): sysfs -> rbind of the host's /sys; mqueue -> rbind of the
 * host's /dev/mqueue.
 *
 * cgroup mounts (what ocifs chose):
 *  - type "cgroup2", or "cgroup" on a pure cgroup v2 host: a fresh cgroup2
 *    mount; on EPERM/EBUSY an rbind of the process's own cgroup2 directory
 *    of the host.
 *  - type "cgroup" on a v1/hybrid host (this machine): a tmpfs at the
 *    destination holding one directory per hierarchy listed in
 *    /proc/self/cgroup ("cpu,cpuacct", "memory", "systemd", "unified" ...)
 *    plus "cpu" -> "cpu,cpuacct" style symlinks.  With a cgroup namespace
 *    each hierarchy is mounted afresh (showing the namespace root); when the
 *    kernel refuses (a v1 hierarchy in a user namespace) its directory stays
 *    empty, since the host path is unknown inside the namespace.  Without a
 *    cgroup namespace the process's own cgroup directory of the host
 *    hierarchy is bind-mounted.  The init must already be in its cgroups.
 *    "ro" makes the tmpfs and every hierarchy read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "idmap.h"
#include "rootfs_internal.h"
#include "ocifs/util.h"

#define PROPAGATION_FLAGS (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)
#define ATIME_FLAGS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)
/* never passed to a fresh mount: they change what mount(2) does */
#define NOT_FOR_FRESH (MS_BIND | MS_REC | MS_REMOUNT | MS_MOVE | PROPAGATION_FLAGS)
#define MAX_SYMLINK_HOPS 40

/* ---- in-root path resolution ---- */

int inroot_open(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	/* EAGAIN: a concurrent rename raced the walk; try again. */
	for (int i = 0; i < 16; i++) {
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return (int)fd;
}

/* Creates `name` in the directory dirfd: a directory, or an empty regular
 * file (mknodat S_IFREG never opens, never follows a symlink). */
static int create_component(int dirfd, const char *name, bool file)
{
	if (file)
		return mknodat(dirfd, name, S_IFREG | 0644, 0);
	return mkdirat(dirfd, name, 0755);
}

/* `name` in dirfd is a dangling symlink: returns the in-root path it points
 * to, joined with the components left to create (`rest`, may be ""). */
static char *symlink_target_path(int dirfd, const char *name, const char *parent,
				 const char *rest)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
		return NULL;
	n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return NULL;
	target[n] = '\0';
	if (target[0] == '/')
		return xasprintf("%s%s%s", target, *rest ? "/" : "", rest);
	return xasprintf("%s/%s%s%s", parent, target, *rest ? "/" : "", rest);
}

static int mkpath_depth(int rootfd, const char *path, bool file, int depth, ocifs_error *err);

/* prefix (a component named comp in the directory cur) is missing: create
 * it, or, when it is a dangling symlink, create what it points to inside
 * the root (the whole rest of the path).  *done tells the second case. */
static int mkpath_create(int rootfd, int cur, const char *path, const char *comp,
			 const char *prefix, const char *rest, bool file, int depth,
			 bool *done, ocifs_error *err)
{
	bool want_file = file && *rest == '\0';
	int flags = O_PATH | (want_file ? 0 : O_DIRECTORY);
	int fd;

	if (create_component(cur, comp, want_file) < 0 && errno != EEXIST)
		return ocifs_error_set(err, errno, "create %s in rootfs", prefix);
	fd = inroot_open(rootfd, prefix, flags, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : ocifs_error_set(err, errno, "open %s in rootfs", prefix);

	/* exists but does not resolve: a dangling symlink */
	{
		size_t plen = strlen(prefix) - strlen(comp);
		cleanup_free char *parent = strndup(path, plen);
		cleanup_free char *target = NULL;

		if (!parent || !*parent) {
			free(parent);
			parent = xstrdup("/");
		}
		target = symlink_target_path(cur, comp, parent, rest);
		if (!target)
			return ocifs_error_set(err, ENOENT, "open %s in rootfs", prefix);
		if (depth >= MAX_SYMLINK_HOPS)
			return ocifs_error_set(err, ELOOP, "open %s in rootfs", prefix);
		*done = true;
		return mkpath_depth(rootfd, target, file, depth + 1, err);
	}
}

static int mkpath_depth(int rootfd, const char *path, bool file, int depth, ocifs_error *err)
{
	cleanup_close int cur = -1;
	const char *p = path;

	cur = inroot_open(rootfd, path, O_PATH | (file ? 0 : O_DIRECTORY), 0);
	if (cur >= 0)
		return steal_fd(&cur);
	if (errno != ENOENT)
		return ocifs_error_set(err, errno, "open %s in rootfs", path);

	cur = inroot_open(rootfd, "/", O_PATH | O_DIRECTORY, 0);
	if (cur < 0)
		return ocifs_error_set(err, errno, "open rootfs");
	for (;;) {
		cleanup_free char *comp = NULL;
		cleanup_free char *prefix = NULL;
		const char *rest;
		size_t n;
		bool done = false;
		int next;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		comp = strndup(p, n);
		prefix = strndup(path, (size_t)(p - path) + n);
		if (!comp || !prefix)
			return ocifs_error_set(err, ENOMEM, "resolve %s", path);
		rest = p + n;
		while (*rest == '/')
			rest++;
		next = inroot_open(rootfd, prefix,
				   O_PATH | (file && !*rest ? 0 : O_DIRECTORY), 0);
		if (next < 0 && errno != ENOENT)
			return ocifs_error_set(err, errno, "open %s in rootfs", prefix);
		if (next < 0)
			next = mkpath_create(rootfd, cur, path, comp, prefix, rest, file,
					     depth, &done, err);
		if (next < 0 || done)
			return next;
		close(cur);
		cur = next;
		p = rest;
	}
	return steal_fd(&cur);
}

int inroot_mkpath(int rootfd, const char *path, bool file, ocifs_error *err)
{
	return mkpath_depth(rootfd, path, file, 0, err);
}

/* ---- flags ---- */

/* The per-mount flags a mount has now, as MS_* bits (statvfs f_flag). */
static unsigned long mount_flags_of(int fd)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

int remount_bind(int fd, const char *what, unsigned long flags, unsigned long clear,
		 ocifs_error *err)
{
	unsigned long have = mount_flags_of(fd);
	char p[FD_PATH_MAX];

	/* an atime mode asked for replaces the current one */
	if (flags & ATIME_FLAGS)
		have &= ~ATIME_FLAGS;
	flags |= have & ~clear;
	flags &= ~(PROPAGATION_FLAGS | MS_BIND | MS_REC | MS_REMOUNT);
	if (mount(NULL, fd_path(fd, p), NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0)
		return ocifs_error_set(err, errno, "remount %s", what);
	return 0;
}

/* ---- one mount entry ---- */

/* Opens dest again after a mount so that the fd is on the new mount, and
 * checks the mount really is there. */
static int reopen_mounted(int rootfd, int oldfd, const char *dest, ocifs_error *err)
{
	struct statx a, b;
	int fd = inroot_open(rootfd, dest, O_PATH, 0);

	if (fd < 0)
		return ocifs_error_set(err, errno, "open %s after mount", dest);
	if (statx(oldfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &a) == 0 &&
	    statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &b) == 0 &&
	    a.stx_mnt_id == b.stx_mnt_id) {
		close(fd);
		return ocifs_error_set(err, EXDEV, "%s: mount is not where it was made", dest);
	}
	return fd;
}

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static const char *mount_name(const struct oci_mount *m)
{
	if (m->source && *m->source)
		return m->source;
	return m->type ? m->type : "none";
}

/* Bind (MS_BIND [| MS_REC]) then remount with the asked flags. */
static int do_bind(int rootfd, int tfd, const struct oci_mount *m, const char *src,
		   int *newfd, ocifs_error *err)
{
	unsigned long rec = (m->recursive_bind || (m->flags & MS_REC)) ? MS_REC : 0;
	unsigned long extra = m->flags & ~NOT_FOR_FRESH;
	char p[FD_PATH_MAX];

	if (mount(src, fd_path(tfd, p), NULL, MS_BIND | rec, NULL) < 0)
		return ocifs_error_set(err, errno, "mount %s on %s", src, m->destination);
	*newfd = reopen_mounted(rootfd, tfd, m->destination, err);
	if (*newfd < 0)
		return -1;
	if (extra && remount_bind(*newfd, m->destination, extra, m->clear_flags, err) < 0)
		return ocifs_error_prefix(err, "mount %s on %s", src, m->destination);
	return 0;
}

/* An ID-mapped bind: the runtime made the detached, ID-mapped mount (see
 * idmap.c); attach it, then remount with the asked flags as do_bind does. */
static int do_idmapped(int rootfd, int tfd, const struct oci_mount *m, int *newfd,
		       ocifs_error *err)
{
	unsigned long extra = m->flags & ~NOT_FOR_FRESH;
	cleanup_close int fd = idmap_take_mount(m);

	if (fd < 0)
		return ocifs_error_set(err, EIO, "mount %s on %s: no ID-mapped mount from the runtime",
				       m->source, m->destination);
	if (move_mount(fd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return ocifs_error_set(err, errno, "mount %s on %s: attach the ID-mapped mount",
				       m->source, m->destination);
	*newfd = reopen_mounted(rootfd, tfd, m->destination, err);
	if (*newfd < 0)
		return -1;
	if (extra && remount_bind(*newfd, m->destination, extra, m->clear_flags, err) < 0)
		return ocifs_error_prefix(err, "mount %s on %s", m->source, m->destination);
	return 0;
}

/* A fresh filesystem; sysfs and mqueue fall back to an rbind of the host's
 * when the kernel refuses (EPERM in a user namespace). */
static int do_fresh(int rootfd, int tfd, const struct oci_mount *m, int *newfd,
		    ocifs_error *err)
{
	unsigned long flags = m->flags & ~NOT_FOR_FRESH;
	const char *fallback = NULL;
	char p[FD_PATH_MAX];

	if (mount(m->source ? m->source : m->type, fd_path(tfd, p), m->type, flags,
		  m->data) == 0) {
		*newfd = reopen_mounted(rootfd, tfd, m->destination, err);
		return *newfd < 0 ? -1 : 0;
	}
	if (errno == EPERM && streq(m->type, "sysfs"))
		fallback = "/sys";
	else if (errno == EPERM && streq(m->type, "mqueue"))
		fallback = "/dev/mqueue";
	if (!fallback)
		return ocifs_error_set(err, errno, "mount %s on %s", mount_name(m),
				       m->destination);
	{
		struct oci_mount b = *m;
		struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };

		b.source = (char *)fallback;
		b.recursive_bind = true;
		b.bind = true;
		b.flags = m->flags | MS_BIND | MS_REC;
		if (do_bind(rootfd, tfd, &b, fallback, newfd, err) < 0)
			return -1;
		/* the host's submounts (/sys/fs/cgroup ...) come along: make
		 * them read-only too when the mount is asked read-only */
		if ((m->flags & MS_RDONLY) &&
		    mount_setattr(*newfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof(ro)) < 0 &&
		    errno != ENOSYS)
			return ocifs_error_set(err, errno, "mount %s on %s: make read-only",
					       fallback, m->destination);
		return 0;
	}
}

static int mount_cgroup(int rootfd, int tfd, const struct oci_mount *m,
			const struct rootfs_env *env, int *newfd, ocifs_error *err);

int mount_entry(int rootfd, const struct oci_mount *m, const struct rootfs_env *env,
		ocifs_error *err)
{
	cleanup_close int tfd = -1;
	cleanup_close int nfd = -1;
	bool file = false;
	int r;

	if (!m->destination || m->destination[0] != '/')
		return ocifs_error_set(err, EINVAL, "mount destination %s: not absolute",
				       m->destination ? m->destination : "(null)");
	if (m->bind) {
		struct stat st;
		if (!m->source)
			return ocifs_error_set(err, EINVAL, "bind mount on %s: no source",
					       m->destination);
		if (stat(m->source, &st) < 0)
			return ocifs_error_set(err, errno, "mount %s on %s: source", m->source,
					       m->destination);
		file = !S_ISDIR(st.st_mode);
	}
	tfd = inroot_mkpath(rootfd, m->destination, file, err);
	if (tfd < 0)
		return ocifs_error_prefix(err, "mount %s on %s", mount_name(m), m->destination);

	if (m->idmap)
		r = do_idmapped(rootfd, tfd, m, &nfd, err);
	else if (m->bind)
		r = do_bind(rootfd, tfd, m, m->source, &nfd, err);
	else if (streq(m->type, "cgroup") || streq(m->type, "cgroup2"))
		r = mount_cgroup(rootfd, tfd, m, env, &nfd, err);
	else
		r = do_fresh(rootfd, tfd, m, &nfd, err);
	if (r < 0)
		return -1;

	if (m->propagation) {
		char p[FD_PATH_MAX];
		if (mount(NULL, fd_path(nfd, p), NULL, m->propagation, NULL) < 0)
			return ocifs_error_set(err, errno, "mount %s on %s: set propagation",
					       mount_name(m), m->destination);
	}
	return 0;
}

/* ---- cgroup ---- */

static bool host_is_cgroup2(void)
{
	struct statfs s;
	return statfs("/sys/fs/cgroup", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

/* The process's own path in hierarchy `ctrls` ("" = the v2 one), from
 * /proc/self/cgroup; "/" when not found. */
static char *own_cgroup_path(const char *ctrls)
{
	cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];

	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':'), *p;
		if (!c || !(p = strchr(c + 1, ':')))
			continue;
		*p++ = '\0';
		p[strcspn(p, "\n")] = '\0';
		if (strcmp(c + 1, ctrls) == 0)
			return xstrdup(p);
	}
	return xstrdup("/");
}

/* cgroup2: fresh mount, else an rbind of our own host cgroup2 directory. */
static int cgroup2_mount(int rootfd, int tfd, const struct oci_mount *m, int *newfd,
			 ocifs_error *err)
{
	unsigned long flags = m->flags & ~NOT_FOR_FRESH;
	cleanup_free char *own = NULL;
	cleanup_free char *src = NULL;
	char p[FD_PATH_MAX];

	if (mount("cgroup2", fd_path(tfd, p), "cgroup2", flags, NULL) == 0) {
		*newfd = reopen_mounted(rootfd, tfd, m->destination, err);
		return *newfd < 0 ? -1 : 0;
	}
	if (errno != EPERM && errno != EBUSY)
		return ocifs_error_set(err, errno, "mount cgroup2 on %s", m->destination);
	own = own_cgroup_path("");
	src = xasprintf("%s%s", host_is_cgroup2() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified",
			own);
	{
		struct oci_mount b = *m;
		b.flags = m->flags | MS_BIND | MS_REC;
		b.recursive_bind = true;
		return do_bind(rootfd, tfd, &b, src, newfd, err);
	}
}

/* One v1/hybrid hierarchy (controllers `ctrls`, "" = unified) as directory
 * `name` of the tmpfs dirfd. */
static int cgroup1_hierarchy(int dirfd, const char *dest, const char *ctrls,
			     const char *name, const struct oci_mount *m,
			     const struct rootfs_env *env, ocifs_error *err)
{
	unsigned long flags = m->flags & ~NOT_FOR_FRESH;
	cleanup_free char *host = xasprintf("/sys/fs/cgroup/%s", name);
	cleanup_free char *own = NULL;
	cleanup_free char *src = NULL;
	cleanup_close int fd = -1;
	cleanup_close int nfd = -1;
	char p[FD_PATH_MAX];
	struct stat st;

	if (stat(host, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0; /* hierarchy not mounted on the host */
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return ocifs_error_set(err, errno, "mkdir %s/%s", dest, name);
	fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ocifs_error_set(err, errno, "open %s/%s", dest, name);
	if (env->cgroupns) {
		int r = *ctrls ? mount("cgroup", fd_path(fd, p), "cgroup", flags, ctrls)
			       : mount("cgroup2", fd_path(fd, p), "cgroup2", flags, NULL);
		if (r == 0)
			return 0;
		/* /proc/self/cgroup is relative to the namespace now: the
		 * host path is unknown, so rather an empty directory than the
		 * host's whole hierarchy */
		return 0;
	}
	own = own_cgroup_path(ctrls);
	src = xasprintf("%s%s", host, own);
	if (mount(src, fd_path(fd, p), NULL, MS_BIND | MS_REC, NULL) < 0)
		return ocifs_error_set(err, errno, "mount %s on %s/%s", src, dest, name);
	nfd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0)
		return ocifs_error_set(err, errno, "open %s/%s", dest, name);
	if (flags && remount_bind(nfd, src, flags, m->clear_flags, err) < 0)
		return -1;
	return 0;
}

/* "cpu,cpuacct" -> symlinks "cpu" and "cpuacct" next to it. */
static void cgroup1_symlinks(int dirfd, const char *name)
{
	cleanup_free char *copy = xstrdup(name);
	char *save = NULL;

	if (!strchr(name, ','))
		return;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (symlinkat(name, dirfd, t) < 0 && errno != EEXIST)
			continue; /* best effort: the directory itself is there */
}

static int cgroup1_mount(int rootfd, int tfd, const struct oci_mount *m,
			 const struct rootfs_env *env, int *newfd, ocifs_error *err)
{
	unsigned long flags = m->flags & ~(NOT_FOR_FRESH | MS_RDONLY);
	cleanup_fclose FILE *f = NULL;
	char p[FD_PATH_MAX], line[4096];

	if (mount("tmpfs", fd_path(tfd, p), "tmpfs", flags, "mode=755") < 0)
		return ocifs_error_set(err, errno, "mount tmpfs on %s", m->destination);
	*newfd = reopen_mounted(rootfd, tfd, m->destination, err);
	if (*newfd < 0)
		return -1;
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return ocifs_error_set(err, errno, "open /proc/self/cgroup");
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':'), *e;
		const char *name;
		if (!c || !(e = strchr(c + 1, ':')))
			continue;
		*e = '\0';
		c++;
		name = *c ? c : "unified";
		if (strncmp(name, "name=", 5) == 0)
			name += 5;
		if (cgroup1_hierarchy(*newfd, m->destination, c, name, m, env, err) < 0)
			return -1;
		cgroup1_symlinks(*newfd, name);
	}
	if ((m->flags & MS_RDONLY) &&
	    remount_bind(*newfd, m->destination, MS_RDONLY, 0, err) < 0)
		return -1;
	return 0;
}

static int mount_cgroup(int rootfd, int tfd, const struct oci_mount *m,
			const struct rootfs_env *env, int *newfd, ocifs_error *err)
{
	if (streq(m->type, "cgroup2") || host_is_cgroup2())
		return cgroup2_mount(rootfd, tfd, m, newfd, err);
	return cgroup1_mount(rootfd, tfd, m, env, newfd, err);
}
