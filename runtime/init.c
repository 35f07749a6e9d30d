/* The container's init: builds the container from inside its namespaces,
 * then waits on init.sock for `start` (protocol in container.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "hooks.h"
#include "idmap.h"
#include "process.h"
#include "process_extra.h"
#include "rootfs.h"
#include "seccomp_filter.h"
#include "terminal.h"
#include "ocifs/util.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

/* linux.seccomp, built at create (so that create fails on a filter that
 * cannot be built), loaded at start as the last step before execve. */
static struct seccomp_prog *init_seccomp;

__attribute__((noreturn)) static void init_fail(struct init_ctx *c, ocifs_error *err)
{
	sync_send(c->sync_fd, 'E', err->msg);
	_exit(1);
}

/* Waits for the runtime's go-ahead; returns the payload (caller frees). */
static char *wait_go(struct init_ctx *c)
{
	char tag = 0;
	char *payload = xmalloc(1 << 20);

	if (sync_recv(c->sync_fd, &tag, payload, 1 << 20) < 0 || tag != 'G')
		_exit(1);
	return payload;
}

static void on_term(int sig)
{
	_exit(128 + sig);
}

/* While it waits for start, the init dies on the usual terminating signals
 * (as pid 1 of a pid namespace it would otherwise ignore them). */
static void install_wait_handlers(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int become_root_in_userns(struct init_ctx *c, ocifs_error *err)
{
	if (!c->plan->new_user)
		return 0;
	if (setresgid(0, 0, 0) < 0)
		return ocifs_error_set(err, errno, "setresgid 0 in the user namespace (is gid 0 mapped?)");
	if (setresuid(0, 0, 0) < 0)
		return ocifs_error_set(err, errno, "setresuid 0 in the user namespace (is uid 0 mapped?)");
	return 0;
}

static int setup_stdio(struct init_ctx *c, ocifs_error *err)
{
	for (int i = 0; i < 3; i++) {
		if (c->stdio[i] < 0 || c->stdio[i] == i)
			continue;
		if (dup2(c->stdio[i], i) < 0)
			return ocifs_error_set(err, errno, "dup2 stdio %d", i);
	}
	return 0;
}

static int setup_names(struct init_ctx *c, ocifs_error *err)
{
	const struct oci_config *cfg = c->cfg;

	if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		return ocifs_error_set(err, errno, "hostname: sethostname");
	if (cfg->domainname && setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
		return ocifs_error_set(err, errno, "domainname: setdomainname");
	return 0;
}

static void new_keyring(struct init_ctx *c)
{
	if (c->no_new_keyring)
		return;
	/* best effort, as the keyring is not part of the spec: a kernel
	 * without keys or a restricting seccomp profile is fine */
	syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0);
}

static bool has_mount_ns(struct init_ctx *c)
{
	return c->plan->new_mount || ocifs_config_namespace(c->cfg, OCI_NS_MOUNT);
}

/* Up to the point where the runtime runs the createRuntime hooks. */
static int build_before_hooks(struct init_ctx *c, ocifs_error *err)
{
	if (c->self_cgroup && cgroup_join_self_v1(c->self_cgroup, err) < 0)
		return -1;
	if (become_root_in_userns(c, err) < 0)
		return -1;
	if (c->plan->new_cgroup && unshare(CLONE_NEWCGROUP) < 0)
		return ocifs_error_set(err, errno, "create cgroup namespace");
	new_keyring(c);
	if (setup_stdio(c, err) < 0 || setup_names(c, err) < 0)
		return -1;
	if (chdir(c->bundle) < 0)
		return ocifs_error_set(err, errno, "chdir %s", c->bundle);
	if (has_mount_ns(c) && rootfs_prepare(c->cfg, c->rootfs, err) < 0)
		return -1;
	return 0;
}

static int enter_root(struct init_ctx *c, ocifs_error *err)
{
	if (has_mount_ns(c))
		return rootfs_pivot(c->rootfs, c->no_pivot, err);
	if (chroot(c->rootfs) < 0)
		return ocifs_error_set(err, errno, "chroot %s", c->rootfs);
	if (chdir("/") < 0)
		return ocifs_error_set(err, errno, "chdir /");
	return 0;
}

/* After the createRuntime hooks: everything up to waiting for start. */
static int build_after_hooks(struct init_ctx *c, const char *state, char **exe,
			     ocifs_error *err)
{
	const struct oci_process *p = c->cfg->process;

	if (chdir(c->rootfs) < 0)
		return ocifs_error_set(err, errno, "chdir %s", c->rootfs);
	if (hooks_run(&c->cfg->hooks[OCI_HOOK_CREATE_CONTAINER], "createContainer",
		      state, true, err) < 0)
		return -1;
	/* the listener socket is a host path: connected before pivot_root */
	if (scf_build(c->cfg->lx.seccomp, c->seccomp_cache, &init_seccomp, err) < 0 ||
	    scf_connect_listener(init_seccomp, err) < 0)
		return -1;
	if (enter_root(c, err) < 0 || rootfs_apply_sysctl(c->cfg, err) < 0)
		return -1;
	if (p && p->terminal && terminal_setup(p, c->console_fd, has_mount_ns(c), err) < 0)
		return ocifs_error_prefix(err, "terminal");
	if (c->console_fd >= 0)
		close(c->console_fd);
	if (has_mount_ns(c) && rootfs_finalize(c->cfg, err) < 0)
		return -1;
	if (p && process_find_exec(p, exe, err) < 0)
		return -1;
	return 0;
}

/* Reads the state JSON `start` sends; NULL when the peer went away. */
static char *read_start_request(int conn)
{
	ocifs_error err;
	char *text = NULL;

	if (read_fd_all(conn, &text, NULL, &err) < 0)
		return NULL;
	return text;
}

__attribute__((noreturn)) static void start_fail(int conn, ocifs_error *err, int code)
{
	if (write_all(conn, err->msg, strlen(err->msg)) < 0)
		_exit(code);
	_exit(code);
}

__attribute__((noreturn)) static void wait_and_exec(struct init_ctx *c, const char *exe)
{
	const struct oci_process *p = c->cfg->process;
	const struct oci_process *pp;
	struct oci_process tmp;
	ocifs_error err;
	char *state;
	int conn;

	do
		conn = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (conn < 0 && errno == EINTR);
	if (conn < 0)
		_exit(1);
	close(c->listen_fd);
	state = read_start_request(conn);
	if (!state)
		_exit(1);
	if (!p) {
		ocifs_error_set(&err, EINVAL, "process: the config has no process to start");
		start_fail(conn, &err, 1);
	}
	if (hooks_run(&c->cfg->hooks[OCI_HOOK_START_CONTAINER], "startContainer",
		      state, true, &err) < 0)
		start_fail(conn, &err, 1);
	scf_set_state(init_seccomp, state, 0);
	free(state);
	pp = scf_prepare_process(init_seccomp, p, &tmp);
	if (pextra_linux_apply(&c->cfg->lx, &err) < 0 || process_prepare(pp, &err) < 0 ||
	    process_cloexec_from(3 + c->preserve_fds, &err) < 0)
		start_fail(conn, &err, 1);
	process_exec_last(p, exe, init_seccomp ? scf_load : NULL, init_seccomp, &err);
	start_fail(conn, &err, 127);
}

void init_main(struct init_ctx *c)
{
	cleanup_free char *exe = NULL;
	ocifs_error err;
	char *state;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	install_wait_handlers();
	/* the runtime sends the ID-mapped mounts before its first 'G' */
	if (idmap_recv_mounts(c->sync_fd, c->cfg, &err) < 0)
		init_fail(c, &err);
	free(wait_go(c));
	/* Until its execve, the init holds the runtime's fds and memory: keep
	 * other processes that share its pid namespace out of its /proc.  Not
	 * before the first 'G': a rootless runtime writes the init's uid_map
	 * and gid_map, which needs the init dumpable. */
	prctl(PR_SET_DUMPABLE, 0);
	if (build_before_hooks(c, &err) < 0)
		init_fail(c, &err);
	if (sync_send(c->sync_fd, 'H', "") < 0)
		_exit(1);
	state = wait_go(c);
	if (build_after_hooks(c, state, &exe, &err) < 0)
		init_fail(c, &err);
	free(state);
	prctl(PR_SET_PDEATHSIG, 0);
	if (sync_send(c->sync_fd, 'R', "") < 0)
		_exit(1);
	close(c->sync_fd);
	wait_and_exec(c, exe);
}
