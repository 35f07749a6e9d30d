/* Cgroups.  The container gets one cgroup, named by linux.cgroupsPath or by
 * default "/ocifs/<id>", created in every mounted hierarchy of the host:
 * each cgroup v1 controller under /sys/fs/cgroup/<name> and the cgroup2
 * tree (/sys/fs/cgroup/unified on hybrid hosts, /sys/fs/cgroup on pure v2).
 * Paths are relative to the hierarchy roots; a relative cgroupsPath is taken
 * under "/ocifs".  The device allow-list (linux.resources.devices after the
 * default devices) is applied on v1 with devices.deny/devices.allow and on
 * pure v2 hosts as an eBPF program (cgroup_bpf.c); the other limits (memory, cpu, pids, ...) by the v1 or v2 driver, before any
 * process enters.
 */
#ifndef OCIFS_CGROUP_H
#define OCIFS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

/* The cgroup path of a container (caller frees): cfg's cgroupsPath made
 * absolute, or "/ocifs/<id>". */
char *cgroup_path_for(const struct oci_config *cfg, const char *id);

/* mkdir the cgroup in every hierarchy, apply device rules, move pid in
 * (pid 0: make and configure only).
 * Fails (and removes what it made) if the cgroup cannot be set up. */
int cgroup_create(const char *path, const struct oci_config *cfg, pid_t pid,
		  ocifs_error *err);

/* Applies res (linux.resources but devices) live to the existing cgroup in
 * every hierarchy (`ocirun update`).  Errors name the JSON path. */
int cgroup_update(const char *path, const struct oci_resources *res, ocifs_error *err);

/* Fast entry for a new process (the kernel's cgroup_threadgroup_rwsem,
 * taken by every migration of a whole process, costs an RCU grace period,
 * 10-20 ms here; see docs/DESIGN.md):
 *   cgroup_open_unified  fd of the container's cgroup in the cgroup2 tree,
 *                        for clone3(CLONE_INTO_CGROUP); -1 with code ENOENT
 *                        when the host has no cgroup2 tree;
 *   cgroup_join_self_v1  the calling single-threaded process moves itself
 *                        into the cgroup of every v1 hierarchy ("0" written
 *                        to `tasks`, which skips that lock). */
int cgroup_open_unified(const char *path, ocifs_error *err);
int cgroup_join_self_v1(const char *path, ocifs_error *err);

/* Moves pid into the existing cgroup in every hierarchy (exec). */
int cgroup_enter(const char *path, pid_t pid, ocifs_error *err);

/* Pids of every process in the cgroup (from cgroup.procs); caller frees. */
int cgroup_pids(const char *path, pid_t **pids, size_t *n, ocifs_error *err);

/* Sends sig to every process in the cgroup (cgroup.kill for SIGKILL on
 * cgroup2 when present, otherwise by freezing and signalling each pid). */
int cgroup_signal_all(const char *path, int sig, ocifs_error *err);

/* Kills whatever is left, waits for the cgroup to empty, removes it from
 * every hierarchy (retrying EBUSY), and removes empty ancestors it made
 * under /ocifs.  A missing cgroup is not an error. */
int cgroup_destroy(const char *path, ocifs_error *err);

/* Freezes (pause) or thaws (resume) every process of the cgroup and waits
 * for the state to settle. */
int cgroup_freeze(const char *path, bool frozen, ocifs_error *err);

/* True while the cgroup is frozen (paused). */
bool cgroup_is_frozen(const char *path);

/* Statistics of the cgroup as a JSON object shaped like runc's
 * `events --stats` data (cpu, memory, pids, blkio; what the host lacks is
 * omitted); caller frees. */
int cgroup_stats(const char *path, char **json, ocifs_error *err);

/* Rootless mode (runc's --rootless): "auto" = rootless when the effective
 * uid is not 0 or the caller is in a user namespace.  In rootless mode a
 * cgroup tree the caller cannot write is skipped when the config asks for
 * no limits (the container then has no cgroup), and refused when it does. */
enum cgroup_rootless {
	CGROUP_ROOTLESS_AUTO,
	CGROUP_ROOTLESS_TRUE,
	CGROUP_ROOTLESS_FALSE,
};

/* Called once by the front end before any operation. */
void cgroup_set_rootless(enum cgroup_rootless mode);
bool cgroup_is_rootless(void);
/* True unless /proc/self/uid_map is the initial namespace's identity map. */
bool cgroup_in_userns(void);

/* Before create: 1 = make and use the cgroup at path; 0 = rootless and some
 * hierarchy is not writable but no limit is asked, so run without a cgroup;
 * -1 = rootless, not writable, and the config asks for a limit (err names
 * its JSON path and the directory). */
int cgroup_rootless_check(const char *path, const struct oci_config *cfg, ocifs_error *err);

#endif
