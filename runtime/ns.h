/* Namespaces of a new container and of processes joining one.
 *
 * A new container's init is made with clone(): one clone() with every
 * CLONE_NEW* flag the config asks for (the user namespace is created first by
 * the kernel and owns the others), except the cgroup namespace, which the
 * init unshares itself once the runtime has moved it into its cgroup.  When
 * the config joins namespaces by path, or asks for a time namespace (which
 * only applies to children), an intermediate child setns()es / unshares
 * first and clones the init with CLONE_PARENT, so the init is always a
 * direct child of the runtime.
 */
#ifndef OCIFS_NS_H
#define OCIFS_NS_H

#include <stdbool.h>
#include <sys/types.h>

#include "ocifs/config.h"
#include "ocifs/error.h"

struct ns_plan {
	unsigned long clone_flags;          /* CLONE_NEW* for clone() */
	bool new_cgroup;                    /* init unshares CLONE_NEWCGROUP */
	bool new_time;                      /* intermediate unshares CLONE_NEWTIME */
	bool new_user;
	bool new_mount;
	bool new_uts;
	int join_fds[OCI_NS__COUNT];        /* -1 = not joined */
	int cgroup_fd;                      /* cgroup2 dir to clone the init into
					       (CLONE_INTO_CGROUP), -1 = none */
	bool cloned_into_cgroup;            /* set by ns_spawn when it worked */
	const struct oci_linux *lx;         /* linux.timeOffsets, for the intermediate */
};

/* Opens every namespace path of the config (errors name linux.namespaces[i]). */
int ns_plan_build(const struct oci_config *cfg, struct ns_plan *plan, ocifs_error *err);
void ns_plan_release(struct ns_plan *plan);

/* Like fork(): returns 0 in the new init, its pid in the caller, -1 on error.
 * When an intermediate is used it reports the init pid (or its error) on
 * child_fd, which the caller reads on parent_fd (ends of a socketpair). */
pid_t ns_spawn(struct ns_plan *plan, int child_fd, int parent_fd, ocifs_error *err);

/* setns() into every fd of join_fds, user namespace first.  Closes them. */
int ns_join_all(int join_fds[OCI_NS__COUNT], ocifs_error *err);

/* Writes uid_map and gid_map of pid from the config. */
int ns_write_id_maps(pid_t pid, const struct oci_config *cfg, ocifs_error *err);

/* Opens the /proc/PID/ns files for every namespace that differs from the caller's;
 * fds[i] = -1 for the same ones. */
int ns_open_of_pid(pid_t pid, int fds[OCI_NS__COUNT], ocifs_error *err);

unsigned long ns_clone_flag(enum oci_ns_type t);

#endif
