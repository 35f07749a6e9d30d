/* exec: a new process in a running container.
 *
 * The runtime forks a child, moves it into the container's cgroup, and the
 * child setns()es into every namespace of the container's init that differs
 * from its own (user first, mount last), then clones the final process with
 * CLONE_PARENT, so that it is in the container's pid namespace and a direct
 * child of the runtime.  That process sets itself up (terminal, user,
 * capabilities ...) and executes; errors come back over a close-on-exec
 * pipe, so the runtime knows whether execve succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "ns.h"
#include "container.h"
#include "process.h"
#include "seccomp_filter.h"
#include "state.h"
#include "terminal.h"
#include "ocifs/util.h"

void ocifs_exec_opts_init(struct ocifs_exec_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->console_socket_fd = -1;
	o->stdio[0] = o->stdio[1] = o->stdio[2] = -1;
}

struct exec_run {
	const struct ocifs_exec_opts *o;
	int ns_fds[OCI_NS__COUNT];
	int go[2];      /* runtime -> child: cgroup joined */
	int report[2];  /* final process -> runtime: pid, then error text */
	int console_fd;
	int stdio[3];   /* from the options, or /dev/null + the log */
	int log_fds[2]; /* opened for capture_log, -1 = none */
	struct seccomp_prog *seccomp; /* the container's linux.seccomp, NULL = none */
};

__attribute__((noreturn)) static void report_fail(int fd, ocifs_error *err, int code)
{
	if (write_all(fd, err->msg, strlen(err->msg)) < 0)
		_exit(code);
	_exit(code);
}

__attribute__((noreturn)) static void final_process(struct exec_run *x)
{
	const struct oci_process *p = x->o->process;
	cleanup_free char *exe = NULL;
	struct oci_process tmp;
	ocifs_error err;

	for (int i = 0; i < 3; i++)
		if (x->stdio[i] >= 0 && x->stdio[i] != i && dup2(x->stdio[i], i) < 0) {
			ocifs_error_set(&err, errno, "dup2 stdio");
			report_fail(x->report[1], &err, 1);
		}
	if (p->terminal && terminal_setup(p, x->console_fd, false, &err) < 0)
		report_fail(x->report[1], &err, 1);
	if (x->console_fd >= 0)
		close(x->console_fd);
	if (process_find_exec(p, &exe, &err) < 0 ||
	    process_prepare(scf_prepare_process(x->seccomp, p, &tmp), &err) < 0 ||
	    process_cloexec_from(3 + x->o->preserve_fds, &err) < 0)
		report_fail(x->report[1], &err, 1);
	process_exec_last(p, exe, x->seccomp ? scf_load : NULL, x->seccomp, &err);
	report_fail(x->report[1], &err, 127);
}

/* The forked child: joins the namespaces and clones the final process. */
__attribute__((noreturn)) static void joiner(struct exec_run *x)
{
	ocifs_error err;
	char c;
	pid_t pid;

	close(x->go[1]);
	close(x->report[0]);
	if (read(x->go[0], &c, 1) != 1)
		_exit(1);
	/* as the init: the container must not reach our fds through /proc */
	prctl(PR_SET_DUMPABLE, 0);
	if (ns_join_all(x->ns_fds, &err) < 0)
		report_fail(x->report[1], &err, 1);
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0UL);
	if (pid < 0) {
		ocifs_error_set(&err, errno, "clone");
		report_fail(x->report[1], &err, 1);
	}
	if (pid == 0)
		final_process(x);
	{
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "%-15d\n", (int)pid);
		if (write(x->report[1], msg, (size_t)n) != n)
			_exit(1);
	}
	_exit(0);
}

/* Reads the pid line, then waits for EOF (exec done) or an error text. */
static int collect_report(struct exec_run *x, pid_t *pid, ocifs_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;

	if (read_fd_all(x->report[0], &text, &len, err) < 0)
		return -1;
	if (len >= 16 && text[15] == '\n' && atoi(text) > 0) {
		*pid = atoi(text);
		if (len == 16)
			return 0;
		return ocifs_error_set(err, 0, "%s", text + 16);
	}
	*pid = 0;
	if (len == 0)
		return ocifs_error_set(err, EIO, "exec set-up process died");
	return ocifs_error_set(err, 0, "%s", text);
}

static int check_running(const char *root, const char *id, struct state_rec *r,
			 ocifs_error *err)
{
	enum ocifs_status st;

	if (state_read(root, id, r, err) < 0)
		return -1;
	st = state_status(r);
	if (st != OCIFS_RUNNING)
		return ocifs_error_set(err, EBUSY, "container is %s, not running",
				       ocifs_status_name(st));
	return 0;
}

static int open_console(struct exec_run *x, ocifs_error *err)
{
	x->console_fd = -1;
	if (!x->o->process->terminal)
		return 0;
	if (x->o->console_socket_fd >= 0) {
		x->console_fd = fcntl(x->o->console_socket_fd, F_DUPFD_CLOEXEC, 3);
		return x->console_fd < 0 ? ocifs_error_set(err, errno, "console socket fd") : 0;
	}
	if (!x->o->console_socket)
		return ocifs_error_set(err, EINVAL, "process.terminal: true needs --console-socket");
	x->console_fd = terminal_connect_socket(x->o->console_socket, err);
	return x->console_fd < 0 ? -1 : 0;
}

static int open_stdio(struct exec_run *x, const char *root, const char *id,
		      ocifs_error *err)
{
	cleanup_free char *log = NULL;

	memcpy(x->stdio, x->o->stdio, sizeof(x->stdio));
	if (!x->o->capture_log)
		return 0;
	log = ocifs_log_path(root, id);
	x->log_fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	x->log_fds[1] = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (x->log_fds[0] < 0 || x->log_fds[1] < 0)
		return ocifs_error_set(err, errno, "open %s", log);
	x->stdio[0] = x->log_fds[0];
	x->stdio[1] = x->stdio[2] = x->log_fds[1];
	return 0;
}

static void exec_run_release(struct exec_run *x)
{
	for (int i = 0; i < 2; i++)
		if (x->log_fds[i] >= 0)
			close(x->log_fds[i]);
	for (int i = 0; i < OCI_NS__COUNT; i++)
		if (x->ns_fds[i] >= 0)
			close(x->ns_fds[i]);
	for (int i = 0; i < 2; i++) {
		if (x->go[i] >= 0)
			close(x->go[i]);
		if (x->report[i] >= 0)
			close(x->report[i]);
	}
	if (x->console_fd >= 0)
		close(x->console_fd);
	scf_free(x->seccomp);
}

/* The container's seccomp filter applies to exec'd processes too: built
 * (and its listener connected) here, before the fork. */
static int exec_seccomp(struct exec_run *x, const char *root, const char *id,
			const struct state_rec *r, ocifs_error *err)
{
	struct oci_config *cfg = NULL;
	cleanup_free char *state = NULL;
	cleanup_free char *cache = NULL;
	int ret = -1;

	if (state_load_config(root, id, &cfg, err) < 0)
		return -1;
	if (!cfg->lx.seccomp) {
		ret = 0;
		goto out;
	}
	cache = scf_cache_dir(root);
	if (scf_build(cfg->lx.seccomp, cache, &x->seccomp, err) < 0 ||
	    scf_connect_listener(x->seccomp, err) < 0)
		goto out;
	state = hook_state_json(id, OCIFS_RUNNING, r->pid, r->bundle, cfg);
	scf_set_state(x->seccomp, state, 0);
	ret = 0;
out:
	ocifs_config_free(cfg);
	return ret;
}

static int set_oom(pid_t pid, const struct oci_process *p)
{
	char path[64], val[32];
	ocifs_error ignored;

	if (!p->has_oom_score_adj)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	snprintf(val, sizeof(val), "%d", p->oom_score_adj);
	return write_file(path, val, &ignored);
}

static int spawn(struct exec_run *x, const struct state_rec *r, pid_t *pid, ocifs_error *err)
{
	pid_t child;
	int status, ret;

	if (pipe2(x->go, O_CLOEXEC) < 0 || pipe2(x->report, O_CLOEXEC) < 0)
		return ocifs_error_set(err, errno, "pipe");
	child = fork();
	if (child < 0)
		return ocifs_error_set(err, errno, "fork");
	if (child == 0)
		joiner(x);
	close(x->report[1]);
	x->report[1] = -1;
	ret = r->cgroup ? cgroup_enter(r->cgroup, child, err) : 0;
	if (ret == 0 && write(x->go[1], "g", 1) != 1)
		ret = ocifs_error_set(err, errno, "exec: wake child");
	close(x->go[1]);
	x->go[1] = -1;
	if (ret == 0)
		ret = collect_report(x, pid, err);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (ret == 0)
		set_oom(*pid, x->o->process);
	else if (*pid > 0)
		waitpid(*pid, NULL, 0);
	return ret;
}

int ocifs_exec(const char *root, const char *id, const struct ocifs_exec_opts *o,
	       pid_t *pid, ocifs_error *err)
{
	struct exec_run x = { .o = o, .go = { -1, -1 }, .report = { -1, -1 }, .console_fd = -1,
			      .log_fds = { -1, -1 } };
	struct state_rec r;
	int ret = -1;

	*pid = 0;
	for (int i = 0; i < OCI_NS__COUNT; i++)
		x.ns_fds[i] = -1;
	if (!o->process || o->process->n_args == 0)
		return ocifs_error_set(err, EINVAL, "process.args: must be a non-empty array");
	if (check_running(root, id, &r, err) < 0)
		goto out;
	if (ns_open_of_pid(r.pid, x.ns_fds, err) < 0)
		goto out;
	/* the fds now pin the namespaces; is the init still the same process? */
	if (!pid_is_alive(r.pid, r.start_time)) {
		ocifs_error_set(err, EBUSY, "container is stopped, not running");
		goto out;
	}
	if (open_console(&x, err) < 0 || open_stdio(&x, root, id, err) < 0 ||
	    exec_seccomp(&x, root, id, &r, err) < 0)
		goto out;
	ret = spawn(&x, &r, pid, err);
	if (ret == 0 && o->pid_file && write_pid_file(o->pid_file, *pid, err) < 0)
		ret = -1;
out:
	exec_run_release(&x);
	state_rec_clear(&r);
	return ret;
}

static char **strv_dup(char **v, size_t n)
{
	char **d = xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

/* Fields the caller left empty are taken from the container's process. */
int ocifs_exec_process_defaults(const char *root, const char *id,
				struct oci_process *p, ocifs_error *err)
{
	struct oci_config *cfg = NULL;
	const struct oci_process *base;

	if (state_load_config(root, id, &cfg, err) < 0)
		return -1;
	base = cfg->process;
	if (base) {
		if (!p->cwd)
			p->cwd = xstrdup(base->cwd);
		if (p->n_env == 0 && base->n_env) {
			p->env = strv_dup(base->env, base->n_env);
			p->n_env = base->n_env;
		}
		if (p->user.uid == 0 && p->user.gid == 0 && p->user.n_additional_gids == 0) {
			p->user = base->user;
			p->user.additional_gids = NULL;
			if (base->user.n_additional_gids) {
				size_t sz = base->user.n_additional_gids * sizeof(gid_t);
				p->user.additional_gids = xmalloc(sz);
				memcpy(p->user.additional_gids, base->user.additional_gids, sz);
			}
		}
		if (!p->has_caps) {
			p->has_caps = base->has_caps;
			p->caps = base->caps;
		}
		p->no_new_privileges |= base->no_new_privileges;
	}
	if (!p->cwd)
		p->cwd = xstrdup("/");
	ocifs_config_free(cfg);
	return 0;
}
