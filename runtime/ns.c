/* Namespaces: creating, joining, id maps (see ns.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "ns.h"
#include "process_extra.h"
#include "ocifs/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	unsigned long flag;
	const char *proc_name;
} ns_info[OCI_NS__COUNT] = {
	[OCI_NS_PID] = { CLONE_NEWPID, "pid" },
	[OCI_NS_NETWORK] = { CLONE_NEWNET, "net" },
	[OCI_NS_MOUNT] = { CLONE_NEWNS, "mnt" },
	[OCI_NS_IPC] = { CLONE_NEWIPC, "ipc" },
	[OCI_NS_UTS] = { CLONE_NEWUTS, "uts" },
	[OCI_NS_USER] = { CLONE_NEWUSER, "user" },
	[OCI_NS_CGROUP] = { CLONE_NEWCGROUP, "cgroup" },
	[OCI_NS_TIME] = { CLONE_NEWTIME, "time" },
};

/* setns order: the user namespace first (it grants the rights for the
 * rest), the mount namespace last (it changes root and cwd). */
static const enum oci_ns_type join_order[] = {
	OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_PID,
	OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_MOUNT,
};

unsigned long ns_clone_flag(enum oci_ns_type t)
{
	return ns_info[t].flag;
}

static void fds_reset(int fds[OCI_NS__COUNT])
{
	for (int i = 0; i < OCI_NS__COUNT; i++)
		fds[i] = -1;
}

static void fds_close(int fds[OCI_NS__COUNT])
{
	for (int i = 0; i < OCI_NS__COUNT; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int ns_plan_build(const struct oci_config *cfg, struct ns_plan *plan, ocifs_error *err)
{
	memset(plan, 0, sizeof(*plan));
	fds_reset(plan->join_fds);
	plan->cgroup_fd = -1;
	plan->lx = &cfg->lx;
	for (size_t i = 0; i < cfg->lx.n_namespaces; i++) {
		const struct oci_namespace *ns = &cfg->lx.namespaces[i];

		if (ns->path) {
			int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				ocifs_error_set(err, errno, "linux.namespaces[%zu].path: open %s", i, ns->path);
				ns_plan_release(plan);
				return -1;
			}
			plan->join_fds[ns->type] = fd;
			continue;
		}
		switch (ns->type) {
		case OCI_NS_CGROUP:
			plan->new_cgroup = true;
			break;
		case OCI_NS_TIME:
			plan->new_time = true;
			break;
		default:
			plan->clone_flags |= ns_info[ns->type].flag;
		}
		plan->new_user |= ns->type == OCI_NS_USER;
		plan->new_mount |= ns->type == OCI_NS_MOUNT;
		plan->new_uts |= ns->type == OCI_NS_UTS;
	}
	return 0;
}

void ns_plan_release(struct ns_plan *plan)
{
	fds_close(plan->join_fds);
	if (plan->cgroup_fd >= 0)
		close(plan->cgroup_fd);
	plan->cgroup_fd = -1;
}

int ns_join_all(int fds[OCI_NS__COUNT], ocifs_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(join_order); i++) {
		enum oci_ns_type t = join_order[i];

		if (fds[t] < 0)
			continue;
		if (setns(fds[t], (int)ns_info[t].flag) < 0) {
			int e = errno;
			fds_close(fds);
			return ocifs_error_set(err, e, "join %s namespace", ocifs_ns_type_name(t));
		}
		close(fds[t]);
		fds[t] = -1;
	}
	return 0;
}

static bool plan_needs_intermediate(const struct ns_plan *plan)
{
	if (plan->new_time)
		return true;
	for (int i = 0; i < OCI_NS__COUNT; i++)
		if (plan->join_fds[i] >= 0)
			return true;
	return false;
}

static pid_t raw_clone(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0UL);
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args of clone3(2), version 2 (with `cgroup`). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* Like raw_clone, born in the cgroup2 directory plan->cgroup_fd when there
 * is one and the kernel takes it (no migration, so no global lock);
 * otherwise a plain clone, and the caller moves the process itself. */
static pid_t spawn_clone(struct ns_plan *plan, unsigned long flags)
{
	if (plan->cgroup_fd >= 0) {
		struct clone3_args a = {
			.flags = flags | CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)plan->cgroup_fd,
		};
		pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));

		if (pid >= 0) {
			plan->cloned_into_cgroup = true;
			return pid;
		}
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL &&
		    errno != EOPNOTSUPP && errno != EBUSY && errno != EPERM &&
		    errno != EACCES)
			return -1;
	}
	plan->cloned_into_cgroup = false;
	return raw_clone(flags);
}

/* Runs in the intermediate child; never returns except in the init. */
static pid_t intermediate(struct ns_plan *plan, int report_fd)
{
	ocifs_error err;
	pid_t pid;

	if (ns_join_all(plan->join_fds, &err) < 0)
		goto fail;
	if (plan->new_time && unshare(CLONE_NEWTIME) < 0) {
		ocifs_error_set(&err, errno, "create time namespace");
		goto fail;
	}
	if (plan->new_time && pextra_time_offsets(plan->lx, &err) < 0)
		goto fail;
	pid = spawn_clone(plan, plan->clone_flags | CLONE_PARENT);
	if (pid < 0) {
		ocifs_error_set(&err, errno, "clone");
		goto fail;
	}
	if (pid == 0)
		return 0;
	{
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "P%d %d", (int)pid,
				 plan->cloned_into_cgroup ? 1 : 0);
		if (write(report_fd, msg, (size_t)n) < 0)
			_exit(2);
	}
	_exit(0);
fail: {
	char msg[OCIFS_ERROR_MSG_MAX + 2];
	int n = snprintf(msg, sizeof(msg), "E%s", err.msg);
	if (write(report_fd, msg, (size_t)n) < 0)
		_exit(2);
	_exit(1);
}
}

pid_t ns_spawn(struct ns_plan *plan, int child_fd, int parent_fd, ocifs_error *err)
{
	char msg[OCIFS_ERROR_MSG_MAX + 2];
	pid_t mid, init;
	ssize_t n;
	int status;

	if (!plan_needs_intermediate(plan)) {
		init = spawn_clone(plan, plan->clone_flags);
		if (init < 0)
			return ocifs_error_set(err, errno, "clone");
		if (init == 0)
			fds_close(plan->join_fds);
		return init;
	}
	mid = raw_clone(0);
	if (mid < 0)
		return ocifs_error_set(err, errno, "fork");
	if (mid == 0)
		return intermediate(plan, child_fd);
	do
		n = read(parent_fd, msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return ocifs_error_set(err, n < 0 ? errno : EIO, "namespace set-up process died");
	msg[n] = '\0';
	if (msg[0] == 'E')
		return ocifs_error_set(err, 0, "%s", msg + 1);
	{
		int into = 0;
		if (msg[0] != 'P' || sscanf(msg + 1, "%d %d", &init, &into) != 2 || init <= 0)
			return ocifs_error_set(err, EIO, "namespace set-up: bad report");
		plan->cloned_into_cgroup = into == 1;
	}
	return init;
}

static int write_map(pid_t pid, const char *file, const struct oci_idmap *m, size_t n,
		     ocifs_error *err)
{
	char path[64];
	char buf[4096];
	size_t len = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n && len < sizeof(buf) - 64; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
					m[i].container_id, m[i].host_id, m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return write_file(path, buf, err);
}

/* Names the config field of a refused map; an unprivileged writer is also
 * told the kernel's rule for it (user_namespaces(7)). */
static int map_error(ocifs_error *err, const char *field, const char *what)
{
	char cause[OCIFS_ERROR_MSG_MAX];
	int code = err->code;

	snprintf(cause, sizeof(cause), "%s", err->msg);
	if (code == EPERM && geteuid() != 0)
		ocifs_error_set(err, 0, "%s: %s (an unprivileged user may map only its own %s, "
				"size 1)", field, cause, what);
	else
		ocifs_error_set(err, 0, "%s: %s", field, cause);
	err->code = code;
	return -1;
}

/* Without CAP_SETGID over the parent namespace (an ordinary user, rootless)
 * the kernel takes a gid_map only once setgroups(2) is denied in the child
 * namespace, and then only a single line mapping the writer's own egid.
 * So a refused gid_map is retried after writing "deny"; root never gets
 * there and keeps setgroups for additionalGids. */
static int write_gid_map(pid_t pid, const struct oci_config *cfg, ocifs_error *err)
{
	char path[64];
	ocifs_error deny_err;

	if (write_map(pid, "gid_map", cfg->lx.gid_mappings, cfg->lx.n_gid_mappings, err) == 0)
		return 0;
	if (err->code != EPERM)
		return map_error(err, "linux.gidMappings", "gid");
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	if (write_file(path, "deny", &deny_err) < 0 ||
	    write_map(pid, "gid_map", cfg->lx.gid_mappings, cfg->lx.n_gid_mappings, err) < 0)
		return map_error(err, "linux.gidMappings", "gid");
	return 0;
}

int ns_write_id_maps(pid_t pid, const struct oci_config *cfg, ocifs_error *err)
{
	if (write_map(pid, "uid_map", cfg->lx.uid_mappings, cfg->lx.n_uid_mappings, err) < 0)
		return map_error(err, "linux.uidMappings", "uid");
	return write_gid_map(pid, cfg, err);
}

int ns_open_of_pid(pid_t pid, int fds[OCI_NS__COUNT], ocifs_error *err)
{
	fds_reset(fds);
	for (int t = 0; t < OCI_NS__COUNT; t++) {
		char path[64], self[64];
		struct stat a, b;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_info[t].proc_name);
		snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_info[t].proc_name);
		if (stat(path, &a) < 0) {
			if (errno == ENOENT && t == OCI_NS_TIME)
				continue;
			fds_close(fds);
			return ocifs_error_set(err, errno, "stat %s", path);
		}
		if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		fds[t] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[t] < 0) {
			int e = errno;
			fds_close(fds);
			return ocifs_error_set(err, e, "open %s", path);
		}
	}
	return 0;
}
