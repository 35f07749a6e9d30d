/* Internals shared by rootfs.c (sequence, pivot, masked/read-only paths),
 * mounts.c (one mount entry, in-root path resolution) and devices.c
 * (/dev nodes and symlinks).  Not part of the engine's public surface.
 *
 * Every path inside the container is resolved against `rootfd`, an O_PATH
 * directory fd on the container's root, with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS): ".." and absolute symlinks stop at rootfd, so no
 * symlink in the rootfs can make a mount or a mknod land outside it.  Mounts
 * then go through the resolved fd as "/proc/self/fd/N".
 */
#ifndef OCIFS_ROOTFS_INTERNAL_H
#define OCIFS_ROOTFS_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

/* What the mount code needs to know about the namespaces it runs in. */
struct rootfs_env {
	bool userns;    /* running in a user namespace other than the initial one */
	bool cgroupns;  /* the config asks for a new cgroup namespace */
};

/* "/proc/self/fd/N" for an fd: the name through which mounts use it. */
#define FD_PATH_MAX 32
static inline const char *fd_path(int fd, char buf[FD_PATH_MAX])
{
	snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

/* mounts.c */

/* openat2(rootfd, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS); returns the fd, or -1 with errno set. */
int inroot_open(int rootfd, const char *path, int flags, mode_t mode);

/* Resolves `path` inside the root, creating the missing components as
 * directories (mode 0755); the last one as an empty regular file when
 * `file` is true.  Dangling symlinks are followed inside the root.  Returns
 * an O_PATH fd on the target, or -1 with *err set. */
int inroot_mkpath(int rootfd, const char *path, bool file, ocifs_error *err);

/* Mounts one config entry inside the root (see mounts.c). */
int mount_entry(int rootfd, const struct oci_mount *m, const struct rootfs_env *env,
		ocifs_error *err);

/* Remounts the mount at fd (an O_PATH fd on its root) with
 * MS_REMOUNT|MS_BIND|flags, keeping the flags the mount already has
 * (nosuid, nodev, noexec, rdonly, atime: locked in a user namespace) unless
 * `clear` names them.  `what` names the mount in errors. */
int remount_bind(int fd, const char *what, unsigned long flags, unsigned long clear,
		 ocifs_error *err);

/* devices.c */

/* Default devices, linux.devices, /dev symlinks, /dev/ptmx, /dev/console. */
int devices_setup(const struct oci_config *cfg, int rootfd, const struct rootfs_env *env,
		  ocifs_error *err);

#endif
