/* The container's /dev: default devices, linux.devices, the /dev symlinks,
 * /dev/ptmx and the /dev/console mountpoint (config-linux.md "Devices",
 * "Default Devices", "/dev symbolic links").
 *
 * A node is made with mknod(2) when the kernel allows it; in a user
 * namespace (EPERM) the host's node of the same path is bind-mounted onto
 * an empty file instead.  An existing node is left as it is.  The default
 * devices (/dev/null, zero, full, random, urandom, tty, mode 0666) are made
 * unless linux.devices lists the same path, which then wins.  Parent
 * directories are resolved and created inside the root (inroot_mkpath), and
 * nodes are made relative to that directory fd, so a symlinked /dev in the
 * rootfs cannot send a node to the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rootfs_internal.h"
#include "ocifs/util.h"

#define DEFAULT_DEVICE_MODE 0666

static const struct oci_device default_devices[] = {
	{ .type = 'c', .path = "/dev/null", .major = 1, .minor = 3 },
	{ .type = 'c', .path = "/dev/zero", .major = 1, .minor = 5 },
	{ .type = 'c', .path = "/dev/full", .major = 1, .minor = 7 },
	{ .type = 'c', .path = "/dev/random", .major = 1, .minor = 8 },
	{ .type = 'c', .path = "/dev/urandom", .major = 1, .minor = 9 },
	{ .type = 'c', .path = "/dev/tty", .major = 5, .minor = 0 },
};

static const struct {
	const char *name;
	const char *target;
} dev_symlinks[] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

static mode_t device_type_bits(char type)
{
	switch (type) {
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default: /* 'c', 'u' */
		return S_IFCHR;
	}
}

/* Splits "/dev/sub/name" into its parent ("/dev/sub") and last component. */
static int split_path(const char *path, char **parent, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash || !slash[1] || strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0)
		return -1;
	*base = slash + 1;
	*parent = slash == path ? xstrdup("/") : strndup(path, (size_t)(slash - path));
	return *parent ? 0 : -1;
}

/* EPERM fallback: bind the host's node of the same path onto an empty file. */
static int bind_host_node(int dirfd, const char *name, const struct oci_device *d,
			  ocifs_error *err)
{
	cleanup_close int fd = -1;
	char p[FD_PATH_MAX];

	if (mknodat(dirfd, name, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
		return ocifs_error_set(err, errno, "create %s", d->path);
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ocifs_error_set(err, errno, "open %s", d->path);
	if (mount(d->path, fd_path(fd, p), NULL, MS_BIND, NULL) < 0)
		return ocifs_error_set(err, errno, "mount %s on %s (bind)", d->path, d->path);
	return 0;
}

/* Sets owner and mode of the fresh node name in dirfd. */
static int device_attrs(int dirfd, const char *name, const struct oci_device *d,
			mode_t perm, ocifs_error *err)
{
	cleanup_close int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char p[FD_PATH_MAX];

	if (fd < 0)
		return ocifs_error_set(err, errno, "open %s", d->path);
	/* chmod through the fd: umask applied at mknod is undone */
	if (chmod(fd_path(fd, p), perm) < 0)
		return ocifs_error_set(err, errno, "chmod %s", d->path);
	if ((d->has_uid || d->has_gid) &&
	    fchownat(fd, "", d->has_uid ? d->uid : (uid_t)-1,
		     d->has_gid ? d->gid : (gid_t)-1, AT_EMPTY_PATH) < 0)
		return ocifs_error_set(err, errno, "chown %s", d->path);
	return 0;
}

static int create_device(int rootfd, const struct oci_device *d, const struct rootfs_env *env,
			 ocifs_error *err)
{
	mode_t perm = d->has_file_mode ? (d->file_mode & 07777) : DEFAULT_DEVICE_MODE;
	mode_t mode = device_type_bits(d->type) | perm;
	dev_t dev = d->type == 'p' ? 0 : makedev((unsigned)d->major, (unsigned)d->minor);
	cleanup_free char *parent = NULL;
	cleanup_close int dirfd = -1;
	const char *base;

	if (!d->path || d->path[0] != '/' || split_path(d->path, &parent, &base) < 0)
		return ocifs_error_set(err, EINVAL, "device %s: bad path",
				       d->path ? d->path : "(null)");
	dirfd = inroot_mkpath(rootfd, parent, false, err);
	if (dirfd < 0)
		return ocifs_error_prefix(err, "device %s", d->path);
	if (mknodat(dirfd, base, mode, dev) == 0)
		return device_attrs(dirfd, base, d, perm, err);
	if (errno == EEXIST)
		return 0; /* an existing node is kept */
	if (errno == EPERM || (env->userns && errno == EACCES))
		return bind_host_node(dirfd, base, d, err);
	return ocifs_error_set(err, errno, "mknod %s", d->path);
}

static bool config_lists_device(const struct oci_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->lx.n_devices; i++)
		if (cfg->lx.devices[i].path && strcmp(cfg->lx.devices[i].path, path) == 0)
			return true;
	return false;
}

static int create_devices(const struct oci_config *cfg, int rootfd,
			  const struct rootfs_env *env, ocifs_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		if (config_lists_device(cfg, default_devices[i].path))
			continue;
		if (create_device(rootfd, &default_devices[i], env, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < cfg->lx.n_devices; i++)
		if (create_device(rootfd, &cfg->lx.devices[i], env, err) < 0)
			return ocifs_error_prefix(err, "linux.devices[%zu]", i);
	return 0;
}

static int dev_symlink(int devfd, const char *name, const char *target, ocifs_error *err)
{
	if (symlinkat(target, devfd, name) < 0 && errno != EEXIST)
		return ocifs_error_set(err, errno, "symlink /dev/%s -> %s", name, target);
	return 0;
}

/* fd, stdin, stdout, stderr, core (when the host has /proc/kcore), ptmx. */
static int create_symlinks(int devfd, ocifs_error *err)
{
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(dev_symlinks); i++)
		if (dev_symlink(devfd, dev_symlinks[i].name, dev_symlinks[i].target, err) < 0)
			return -1;
	if (stat("/proc/kcore", &st) == 0 && dev_symlink(devfd, "core", "/proc/kcore", err) < 0)
		return -1;
	/* /dev/ptmx must be the devpts instance's: replace whatever is there */
	if (unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
		return ocifs_error_set(err, errno, "remove /dev/ptmx");
	return dev_symlink(devfd, "ptmx", "pts/ptmx", err);
}

int devices_setup(const struct oci_config *cfg, int rootfd, const struct rootfs_env *env,
		  ocifs_error *err)
{
	cleanup_close int devfd = inroot_mkpath(rootfd, "/dev", false, err);

	if (devfd < 0)
		return -1;
	if (create_devices(cfg, rootfd, env, err) < 0)
		return -1;
	if (create_symlinks(devfd, err) < 0)
		return -1;
	/* the terminal code bind-mounts the pty slave here */
	if (cfg->process && cfg->process->terminal &&
	    mknodat(devfd, "console", S_IFREG | 0666, 0) < 0 && errno != EEXIST)
		return ocifs_error_set(err, errno, "create /dev/console");
	return 0;
}
