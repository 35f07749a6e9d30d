/* The container's filesystem: mounts, devices, pivot_root, masked and
 * read-only paths.  These run inside the container's init process, in its
 * new mount namespace, in this order:
 *
 *   rootfs_prepare()   root propagation, rootfs bind, config mounts in listed
 *                      order, default filesystems the config lacks, /dev
 *                      nodes, /dev symlinks.  Nothing is visible to the host.
 *   [createRuntime/createContainer hooks run here, cwd = rootfs]
 *   rootfs_pivot()     pivot_root (or MS_MOVE + chroot for --no-pivot),
 *                      old root detached, cwd "/".
 *   [sysctl, terminal set-up happen here]
 *   rootfs_finalize()  maskedPaths, readonlyPaths, read-only root.
 *
 * Every mount destination is resolved inside the rootfs (openat2 with
 * RESOLVE_IN_ROOT), so a symlink in the rootfs can never send a mount
 * outside it; the mount itself goes through the resolved O_PATH fd
 * (/proc/self/fd/N).
 */
#ifndef OCIFS_ROOTFS_H
#define OCIFS_ROOTFS_H

#include <stdbool.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

/* rootfs: absolute, canonical path of the container's root directory. */
int rootfs_prepare(const struct oci_config *cfg, const char *rootfs, ocifs_error *err);
int rootfs_pivot(const char *rootfs, bool no_pivot, ocifs_error *err);
int rootfs_finalize(const struct oci_config *cfg, ocifs_error *err);

/* Writes linux.sysctl entries to /proc/sys (after pivot, before finalize). */
int rootfs_apply_sysctl(const struct oci_config *cfg, ocifs_error *err);

/* Decodes fstab-style mount options into m->flags, clear_flags, propagation,
 * bind, recursive_bind, data.  Pure; used by the config parser.
 * Unknown options are passed through as fs data. */
int mount_options_decode(struct oci_mount *m, ocifs_error *err);

/* "shared", "rprivate", ... -> MS_* flags (| MS_REC); -1 if unknown. */
long mount_propagation_flag(const char *name);

#endif
