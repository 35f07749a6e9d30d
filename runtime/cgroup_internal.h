/* Internal interface between runtime/cgroup.c (host layout detection and
 * the public cgroup_* API) and the per-version drivers cgroup_v1.c and
 * cgroup_v2.c.
 *
 * cgroup.c finds the mounted hierarchies (one struct cg_hier each: every v1
 * controller mount, deduplicated, plus the cgroup2 tree) and runs the
 * version-independent steps itself: mkdir of each level, cgroup.procs
 * reads/writes, rmdir.  Whatever differs between v1 and v2 goes through
 * the hierarchy's driver.  A resource controller (memory, cpu, pids ...)
 * is added by teaching each driver's `apply` about it: on v1 the hierarchy
 * that carries the controller (cg_hier_has) writes its v1 files, on v2 the
 * single tree writes the v2 files (after enabling the controller in the
 * ancestors' cgroup.subtree_control from `init_level`).
 */
#ifndef OCIFS_CGROUP_INTERNAL_H
#define OCIFS_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ocifs/config.h"
#include "ocifs/error.h"
#include "ocifs/util.h"

#define CG_ROOT "/sys/fs/cgroup"

enum cg_layout {
	CG_LAYOUT_V1,     /* only v1 controllers under /sys/fs/cgroup */
	CG_LAYOUT_HYBRID, /* v1 controllers + cgroup2 at /sys/fs/cgroup/unified */
	CG_LAYOUT_V2,     /* /sys/fs/cgroup is cgroup2 */
};

struct cg_driver;

struct cg_hier {
	int version;            /* 1 or 2 */
	char *mnt;              /* mount point: /sys/fs/cgroup/memory, .../unified */
	char *controllers;      /* v1: as in /proc/PID/cgroup ("cpu,cpuacct",
				 * "name=systemd"); v2: "" */
	bool unified_only;      /* pure v2: this tree carries every controller */
	const struct cg_driver *drv;
};

struct cg_hosts {
	enum cg_layout layout;
	struct cg_hier *v;
	size_t n;
};

/* dir is always the hierarchy's mount point + the cgroup path. */
struct cg_driver {
	int version;
	/* Prepares one level of the path (new or pre-existing) before anything
	 * below it is made, top-down: v1 cpuset copies cpus/mems from the
	 * parent; v2 will enable controllers in the parent's subtree_control. */
	int (*init_level)(const struct cg_hier *h, const char *dir, ocifs_error *err);
	/* Applies linux.resources (cfg may be NULL) to the container's cgroup
	 * before any process enters: the device list, then set_resources. */
	int (*apply)(const struct cg_hier *h, const char *dir,
		     const struct oci_config *cfg, ocifs_error *err);
	/* Writes the resource limits of res (everything but devices) that
	 * belong to this hierarchy; update = a live change of a running
	 * container (`ocirun update`: honours memory.checkBeforeUpdate).
	 * A limit whose file the kernel lacks fails with "<JSON path>: not
	 * supported by this kernel". */
	int (*set_resources)(const struct cg_hier *h, const char *dir,
			     const struct oci_resources *res, bool update, ocifs_error *err);
	/* Freezes or thaws and waits for the state to settle.  Returns 1 when
	 * done, 0 when this hierarchy has no freezer, -1 on error. */
	int (*freeze)(const struct cg_hier *h, const char *dir, bool frozen,
		      ocifs_error *err);
	/* 1 frozen, 0 not, -1 no freezer here (or unreadable). */
	int (*is_frozen)(const struct cg_hier *h, const char *dir);
	/* SIGKILLs the whole subtree at once (cgroup.kill).  1 done, 0 not
	 * available, -1 error. */
	int (*kill)(const struct cg_hier *h, const char *dir, ocifs_error *err);
	/* 1 while any process is in dir or below, 0 when empty, -1 error. */
	int (*populated)(const struct cg_hier *h, const char *dir, ocifs_error *err);
};

extern const struct cg_driver cg_driver_v1;
extern const struct cg_driver cg_driver_v2;

/* ---- helpers shared by the drivers (cgroup.c) ---- */

/* True when v1 hierarchy h carries the controller ("memory", "name=systemd"). */
bool cg_hier_has(const struct cg_hier *h, const char *controller);

/* Reads dir/file (caller frees); trailing newlines stripped. */
int cg_read(const char *dir, const char *file, char **out, ocifs_error *err);
/* Writes val to dir/file; the message names the value. */
int cg_write(const char *dir, const char *file, const char *val, ocifs_error *err);
/* Appends the pids of dir/cgroup.procs, and of every cgroup below dir when
 * recursive, to *v (length *n, capacity *cap). */
int cg_collect_pids(const char *dir, bool recursive, pid_t **v, size_t *n,
		    size_t *cap, ocifs_error *err);
/* cg_write for a resource limit: a missing file gives "<jpath>: not
 * supported by this kernel (no <file>)", other errors are prefixed with
 * jpath ("linux.resources.memory.limit"). */
int cg_put(const char *dir, const char *file, const char *val, const char *jpath,
	   ocifs_error *err);
/* cg_put of a decimal number. */
int cg_put_int(const char *dir, const char *file, int64_t val, const char *jpath,
	       ocifs_error *err);
/* pids.max: the limit, or "max" when negative. */
int cg_put_pids(const char *dir, int64_t limit, ocifs_error *err);
/* rdma.max line, "mlx5_1 hca_handle=3 hca_object=max" (v1 and v2 alike);
 * NULL when the entry limits nothing.  Caller frees. */
char *cg_rdma_line(const struct oci_rdma_limit *l);
/* True when dir/file exists. */
bool cg_has_file(const char *dir, const char *file);
/* Sleeps ms milliseconds. */
void cg_sleep_ms(long ms);

/* The devices every container gets (config-linux.md "Default Devices"
 * plus mknod of any device and the pty slaves), in devices.allow form. */
extern const struct oci_device_rule cg_default_device_rules[];
extern const size_t cg_n_default_device_rules;
/* The effective rule list of a container, the same for v1 and v2: deny
 * everything, cfg's linux.resources.devices in order (cfg may be NULL),
 * then the default devices (cg_default_device_rules), so that a leading
 * deny-all in the config cannot take /dev/null away.  Returns the number
 * of rules in *out (caller frees). */
size_t cg_effective_device_rules(const struct oci_config *cfg,
				 struct oci_device_rule **out);

/* ---- host layout and paths (cgroup.c) ---- */

/* The mounted hierarchies (scanned once per process, copied out). */
int cg_hosts_load(struct cg_hosts *hosts, ocifs_error *err);
void cg_hosts_free(struct cg_hosts *hosts);
#define cleanup_hosts _cleanup_(cg_hosts_free)
/* A path we may make or remove: absolute, normalised, not a root. */
int cg_check_path(const char *path, ocifs_error *err);
/* The hierarchy's mount point + path (caller frees). */
char *cg_hier_dir(const struct cg_hier *h, const char *path);
bool cg_dir_exists(const char *dir);

#endif
