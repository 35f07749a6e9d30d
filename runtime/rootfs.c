/* The container's filesystem, in the order of rootfs.h: prepare (root
 * propagation, rootfs bind, config mounts, default filesystems, /dev),
 * pivot, sysctl, finalize (maskedPaths, readonlyPaths, read-only root).
 * One mount entry is mounts.c's work, /dev nodes and links devices.c's.
 *
 * Default filesystems (config-linux.md "Default Filesystems"): ocifs adds
 * each of these when no config mount has the same destination: just before
 * the first config mount that lies under it (a default /sys goes before a
 * config /sys/fs/cgroup), otherwise after all the config's mounts (so a
 * config tmpfs on /dev comes before the default /dev/pts):
 *   /proc        proc    nosuid,noexec,nodev
 *   /sys         sysfs   nosuid,noexec,nodev,ro  (rbind of the host's /sys
 *                        when the kernel refuses sysfs, e.g. a user namespace
 *                        without a network namespace)
 *   /dev/pts     devpts  nosuid,noexec  newinstance,ptmxmode=0666,mode=0620
 *                        (,gid=5 outside a user namespace)
 *   /dev/shm     tmpfs   nosuid,noexec,nodev  mode=1777,size=65536k
 *   /dev/mqueue  mqueue  nosuid,noexec,nodev  (best effort: skipped when
 *                        neither a mount nor an rbind of the host's works)
 * When the config bind-mounts the host's /dev onto /dev, ocifs neither adds
 * the /dev/... filesystems nor creates device nodes (they would land on the
 * host's /dev).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rootfs.h"
#include "rootfs_internal.h"
#include "ocifs/util.h"

/* ---- helpers ---- */

/* True when this process is in a user namespace other than the initial
 * one (its uid_map is not the identity map of the whole range). */
static bool in_user_ns(void)
{
	cleanup_fclose FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long a, b, c;

	if (!f)
		return false;
	if (fscanf(f, "%lu %lu %lu", &a, &b, &c) != 3)
		return true; /* empty map: a fresh user namespace */
	return !(a == 0 && b == 0 && c == 4294967295UL);
}

/* Compares two absolute paths ignoring repeated and trailing slashes and
 * "." components ("/dev//pts/" == "/dev/pts"). */
static bool path_same(const char *a, const char *b)
{
	for (;;) {
		while (*a == '/' || (a[0] == '.' && (a[1] == '/' || !a[1])))
			a++;
		while (*b == '/' || (b[0] == '.' && (b[1] == '/' || !b[1])))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
		if (la != lb || memcmp(a, b, la) != 0)
			return false;
		a += la;
		b += lb;
	}
}

static const struct oci_mount *config_mount_at(const struct oci_config *cfg, const char *dest)
{
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cfg->mounts[i].destination && path_same(cfg->mounts[i].destination, dest))
			return &cfg->mounts[i];
	return NULL;
}

/* Undoes mountinfo's octal escapes ("\040" = space) in place. */
static void unescape_mountinfo(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* mountinfo line -> its mount point (unescaped, in place) and whether it
 * is shared.  Returns false on a malformed line. */
static bool parse_mountinfo(char *line, char **mp, bool *shared)
{
	char *save = NULL, *tok;
	int field = 0;

	*mp = NULL;
	*shared = false;
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field == 5)
			*mp = tok;
		else if (field > 6 && strcmp(tok, "-") == 0)
			break;
		else if (field > 6 && strncmp(tok, "shared:", 7) == 0)
			*shared = true;
	}
	if (!*mp)
		return false;
	unescape_mountinfo(*mp);
	return true;
}

static bool path_under(const char *path, const char *mp)
{
	size_t n = strlen(mp);

	if (strcmp(mp, "/") == 0)
		return true;
	return strncmp(path, mp, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* pivot_root refuses a shared parent mount of the new root; and a shared
 * parent would propagate the rootfs bind to its peers.  Makes the mount
 * that holds rootfs private when it is shared. */
static int make_parent_private(const char *rootfs, ocifs_error *err)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	cleanup_free char *best = NULL;
	bool best_shared = false;
	char line[8192];

	if (!f)
		return ocifs_error_set(err, errno, "open /proc/self/mountinfo");
	while (fgets(line, sizeof(line), f)) {
		char *mp;
		bool shared;
		if (!parse_mountinfo(line, &mp, &shared) || !path_under(rootfs, mp))
			continue;
		if (!best || strlen(mp) >= strlen(best)) {
			free(best);
			best = xstrdup(mp);
			best_shared = shared;
		}
	}
	if (best && best_shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0)
		return ocifs_error_set(err, errno, "make %s private", best);
	return 0;
}

/* ---- prepare ---- */

struct default_fs {
	const char *dest;
	const char *type;
	unsigned long flags;
	const char *data;
	bool under_dev;    /* skipped when the config binds the host's /dev */
	bool best_effort;
};

static const struct default_fs default_filesystems[] = {
	{ "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL, false, false },
	{ "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL, false, false },
	{ "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620",
	  true, false },
	{ "/dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k",
	  true, false },
	{ "/dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL, true, true },
};

static bool binds_host_dev(const struct oci_config *cfg)
{
	const struct oci_mount *m = config_mount_at(cfg, "/dev");
	return m && m->bind;
}

/* A default filesystem is needed when no config mount has its destination
 * and the config does not bind the host's /dev under it. */
static bool default_wanted(const struct oci_config *cfg, const struct default_fs *d)
{
	return !config_mount_at(cfg, d->dest) && !(d->under_dev && binds_host_dev(cfg));
}

static int mount_default(const struct default_fs *d, int rootfd,
			 const struct rootfs_env *env, ocifs_error *err)
{
	cleanup_free char *data = NULL;
	struct oci_mount m = { 0 };

	if (d->data)
		data = xasprintf("%s%s", d->data,
				 strcmp(d->type, "devpts") == 0 && !env->userns ? ",gid=5" : "");
	m.destination = (char *)d->dest;
	m.type = (char *)d->type;
	m.source = (char *)d->type;
	m.flags = d->flags;
	m.data = data;
	if (mount_entry(rootfd, &m, env, err) == 0)
		return 0;
	if (!d->best_effort)
		return ocifs_error_prefix(err, "default filesystem");
	ocifs_error_clear(err);
	return 0;
}

/* Mounts the wanted defaults not done yet; with `under` set only those that
 * hold `under` (a default /sys goes before a config /sys/fs/cgroup). */
static int mount_defaults(const struct oci_config *cfg, int rootfd, const char *under,
			  const struct rootfs_env *env, bool done[], ocifs_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(default_filesystems); i++) {
		const struct default_fs *d = &default_filesystems[i];

		if (done[i] || !default_wanted(cfg, d))
			continue;
		if (under && !path_under(under, d->dest))
			continue;
		done[i] = true;
		if (mount_default(d, rootfd, env, err) < 0)
			return -1;
	}
	return 0;
}

int rootfs_prepare(const struct oci_config *cfg, const char *rootfs, ocifs_error *err)
{
	unsigned long prop = cfg->lx.rootfs_propagation ? cfg->lx.rootfs_propagation
						       : MS_SLAVE | MS_REC;
	struct rootfs_env env = {
		.userns = in_user_ns(),
		.cgroupns = ocifs_config_namespace(cfg, OCI_NS_CGROUP) != NULL,
	};
	bool done[ARRAY_SIZE(default_filesystems)] = { false };
	cleanup_close int rootfd = -1;

	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return ocifs_error_set(err, errno, "set propagation of /");
	if (make_parent_private(rootfs, err) < 0)
		return -1;
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return ocifs_error_set(err, errno, "bind mount rootfs %s onto itself", rootfs);
	/* opened after the bind: the fd must be on the new mount */
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return ocifs_error_set(err, errno, "open rootfs %s", rootfs);

	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		if (m->destination &&
		    mount_defaults(cfg, rootfd, m->destination, &env, done, err) < 0)
			return -1;
		if (mount_entry(rootfd, m, &env, err) < 0)
			return -1;
	}
	if (mount_defaults(cfg, rootfd, NULL, &env, done, err) < 0)
		return -1;
	if (binds_host_dev(cfg))
		return 0;
	return devices_setup(cfg, rootfd, &env, err);
}

/* ---- pivot ---- */

static int pivot(const char *rootfs, ocifs_error *err)
{
	cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	cleanup_close int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (oldroot < 0)
		return ocifs_error_set(err, errno, "pivot_root: open /");
	if (newroot < 0)
		return ocifs_error_set(err, errno, "pivot_root: open %s", rootfs);
	if (fchdir(newroot) < 0)
		return ocifs_error_set(err, errno, "pivot_root: chdir %s", rootfs);
	/* new root and old root on the same directory: the old one ends up
	 * stacked on top of "." and is detached below */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return ocifs_error_set(err, errno, "pivot_root %s", rootfs);
	if (fchdir(oldroot) < 0)
		return ocifs_error_set(err, errno, "pivot_root: chdir old root");
	/* never let the unmount propagate to the host */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return ocifs_error_set(err, errno, "pivot_root: make old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return ocifs_error_set(err, errno, "pivot_root: detach old root");
	if (chdir("/") < 0)
		return ocifs_error_set(err, errno, "pivot_root: chdir /");
	return 0;
}

/* --no-pivot: for roots pivot_root refuses (ramfs).  The host's mounts stay
 * underneath, reachable only by escaping the chroot. */
static int move_root(const char *rootfs, ocifs_error *err)
{
	if (chdir(rootfs) < 0)
		return ocifs_error_set(err, errno, "no-pivot: chdir %s", rootfs);
	if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		return ocifs_error_set(err, errno, "no-pivot: move %s to /", rootfs);
	if (chroot(".") < 0)
		return ocifs_error_set(err, errno, "no-pivot: chroot %s", rootfs);
	if (chdir("/") < 0)
		return ocifs_error_set(err, errno, "no-pivot: chdir /");
	return 0;
}

int rootfs_pivot(const char *rootfs, bool no_pivot, ocifs_error *err)
{
	return no_pivot ? move_root(rootfs, err) : pivot(rootfs, err);
}

/* ---- sysctl ---- */

int rootfs_apply_sysctl(const struct oci_config *cfg, ocifs_error *err)
{
	for (size_t i = 0; i < cfg->lx.n_sysctl; i++) {
		const struct oci_kv *kv = &cfg->lx.sysctl[i];
		cleanup_free char *path = xasprintf("/proc/sys/%s", kv->key);
		cleanup_close int fd = -1;

		/* dots become slashes, so the key cannot hold ".." */
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd < 0 || write_all(fd, kv->value, strlen(kv->value)) < 0)
			return ocifs_error_set(err, errno, "linux.sysctl: %s", kv->key);
	}
	return 0;
}

/* ---- finalize ---- */

/* Opens a path of maskedPaths/readonlyPaths inside the root; 0 when it
 * does not exist (skipped), -1 on error. */
static int open_listed(int rootfd, const char *list, const char *path, int *fd,
		       ocifs_error *err)
{
	*fd = inroot_open(rootfd, path, O_PATH, 0);
	if (*fd >= 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return ocifs_error_set(err, errno, "%s: %s", list, path);
}

static int mask_path(int rootfd, const char *path, ocifs_error *err)
{
	cleanup_close int fd = -1;
	char p[FD_PATH_MAX];
	struct stat st;
	int r = open_listed(rootfd, "linux.maskedPaths", path, &fd, err);

	if (r <= 0)
		return r;
	if (fstat(fd, &st) < 0)
		return ocifs_error_set(err, errno, "linux.maskedPaths: stat %s", path);
	if (S_ISDIR(st.st_mode))
		r = mount("tmpfs", fd_path(fd, p), "tmpfs", MS_RDONLY, NULL);
	else
		r = mount("/dev/null", fd_path(fd, p), NULL, MS_BIND, NULL);
	if (r < 0)
		return ocifs_error_set(err, errno, "linux.maskedPaths: mask %s", path);
	return 0;
}

static int readonly_path(int rootfd, const char *path, ocifs_error *err)
{
	cleanup_close int fd = -1;
	cleanup_close int nfd = -1;
	char p[FD_PATH_MAX];
	int r = open_listed(rootfd, "linux.readonlyPaths", path, &fd, err);

	if (r <= 0)
		return r;
	fd_path(fd, p);
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return ocifs_error_set(err, errno, "linux.readonlyPaths: bind %s", path);
	nfd = inroot_open(rootfd, path, O_PATH, 0);
	if (nfd < 0)
		return ocifs_error_set(err, errno, "linux.readonlyPaths: open %s", path);
	if (remount_bind(nfd, path, MS_RDONLY, 0, err) < 0)
		return ocifs_error_prefix(err, "linux.readonlyPaths");
	return 0;
}

int rootfs_finalize(const struct oci_config *cfg, ocifs_error *err)
{
	cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (rootfd < 0)
		return ocifs_error_set(err, errno, "open /");
	/* pivot_root needed a private parent; give "/" what was asked */
	if (cfg->lx.rootfs_propagation &&
	    mount(NULL, "/", NULL, cfg->lx.rootfs_propagation, NULL) < 0)
		return ocifs_error_set(err, errno, "linux.rootfsPropagation");
	for (size_t i = 0; i < cfg->lx.n_masked_paths; i++)
		if (mask_path(rootfd, cfg->lx.masked_paths[i], err) < 0)
			return -1;
	for (size_t i = 0; i < cfg->lx.n_readonly_paths; i++)
		if (readonly_path(rootfd, cfg->lx.readonly_paths[i], err) < 0)
			return -1;
	if (cfg->root_readonly && remount_bind(rootfd, "/", MS_RDONLY, 0, err) < 0)
		return ocifs_error_prefix(err, "root.readonly");
	return 0;
}
