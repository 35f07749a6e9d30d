/* ocirun exec: run a new process in a running container; and
 * cli_supervise(), the wait-and-forward-signals loop shared with `run`.
 *
 * The process comes from --process FILE (a process JSON object, as
 * containerd and podman write it), or from the arguments after the id: then
 * the container's own process is the base (ocifs_exec_process_defaults) and
 * the flags override it as runc does: --cwd replaces, --env adds or replaces
 * KEY, --user sets uid/gid, -g appends additional gids, --cap adds to the
 * bounding, effective and permitted sets, --no-new-privs sets
 * noNewPrivileges, and the terminal is off unless --tty.  Unlike runc, the
 * same flags, when given explicitly, also apply on top of a --process file.
 *
 * Options may come before or between the id and the command; everything
 * from the command on belongs to the command (`exec web sh -c 'ls -l'`).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "terminal.h"
#include "ocifs/config.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"

enum {
	OPT_CWD = 256,
	OPT_NO_NEW_PRIVS,
	OPT_PROCESS_LABEL,
	OPT_APPARMOR,
	OPT_PID_FILE,
	OPT_CONSOLE_SOCKET,
	OPT_PRESERVE_FDS,
	OPT_CGROUP,
	OPT_IGNORE_PAUSED,
};

static const struct option exec_opts[] = {
	{ "process", required_argument, NULL, 'p' },
	{ "tty", no_argument, NULL, 't' },
	{ "detach", no_argument, NULL, 'd' },
	{ "env", required_argument, NULL, 'e' },
	{ "cwd", required_argument, NULL, OPT_CWD },
	{ "user", required_argument, NULL, 'u' },
	{ "additional-gids", required_argument, NULL, 'g' },
	{ "cap", required_argument, NULL, 'c' },
	{ "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
	{ "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
	{ "apparmor", required_argument, NULL, OPT_APPARMOR },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct exec_args {
	const char *process_file;
	bool tty, detach, no_new_privs;
	const char *cwd;
	const char *user;
	const char **env;
	size_t n_env;
	gid_t *gids;
	size_t n_gids;
	uint64_t caps;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
};

static void exec_args_free(struct exec_args *a)
{
	free(a->env);
	free(a->gids);
}

static int parse_id_num(const char *s, unsigned long *out)
{
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out >= 0xffffffffUL)
		return -1;
	return 0;
}

static int add_gids(struct exec_args *a, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;
	int rc = 0;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned long g;
		if (parse_id_num(t, &g) < 0) {
			rc = cli_fail("exec", NULL, "--additional-gids: invalid gid '%s'", t);
			break;
		}
		a->gids = xrealloc(a->gids, (a->n_gids + 1) * sizeof(gid_t));
		a->gids[a->n_gids++] = (gid_t)g;
	}
	free(copy);
	return rc;
}

static int add_cap(struct exec_args *a, const char *name)
{
	char buf[64];
	cap_value_t v;
	size_t i = 0;

	if (strncasecmp(name, "CAP_", 4) != 0) {
		memcpy(buf, "cap_", 4);
		i = 4;
	}
	for (const char *s = name; *s && i < sizeof(buf) - 1; s++)
		buf[i++] = (char)tolower((unsigned char)*s);
	buf[i] = '\0';
	if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
		return cli_fail("exec", NULL, "--cap: unknown capability '%s'", name);
	a->caps |= UINT64_C(1) << v;
	return 0;
}

/* Sets KEY=VALUE in p->env, replacing an existing KEY. */
static void env_set(struct oci_process *p, const char *kv)
{
	size_t klen = strcspn(kv, "=") + 1;

	for (size_t i = 0; i < p->n_env; i++)
		if (strncmp(p->env[i], kv, klen) == 0) {
			free(p->env[i]);
			p->env[i] = xstrdup(kv);
			return;
		}
	p->env = xrealloc(p->env, (p->n_env + 1) * sizeof(char *));
	p->env[p->n_env++] = xstrdup(kv);
}

/* Applies the explicit flags on top of the process. */
static int apply_flags(const struct exec_args *a, struct oci_process *p, bool inline_args)
{
	if (inline_args)
		p->terminal = a->tty;
	else if (a->tty)
		p->terminal = true;
	if (a->cwd) {
		free(p->cwd);
		p->cwd = xstrdup(a->cwd);
	}
	for (size_t i = 0; i < a->n_env; i++)
		env_set(p, a->env[i]);
	if (a->user) {
		char *copy = xstrdup(a->user);
		char *colon = strchr(copy, ':');
		unsigned long uid, gid = 0;
		if (colon)
			*colon++ = '\0';
		if (parse_id_num(copy, &uid) < 0 || (colon && parse_id_num(colon, &gid) < 0)) {
			free(copy);
			return cli_fail("exec", NULL, "--user: invalid '%s' (UID[:GID], numeric)",
					a->user);
		}
		free(copy);
		p->user.uid = (uid_t)uid;
		p->user.gid = (gid_t)gid;
	}
	if (a->n_gids) {
		size_t n = p->user.n_additional_gids;
		p->user.additional_gids =
			xrealloc(p->user.additional_gids, (n + a->n_gids) * sizeof(gid_t));
		memcpy(p->user.additional_gids + n, a->gids, a->n_gids * sizeof(gid_t));
		p->user.n_additional_gids = n + a->n_gids;
	}
	if (a->caps) {
		p->has_caps = true;
		p->caps.bounding |= a->caps;
		p->caps.effective |= a->caps;
		p->caps.permitted |= a->caps;
	}
	if (a->no_new_privs)
		p->no_new_privileges = true;
	return 0;
}

/* ---- supervising a process (run, exec) ---- */

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (write(sig_pipe[1], &b, 1) < 0) {
		/* pipe full: the signal is dropped, SIGCHLD is re-polled anyway */
	}
	errno = saved;
}

static const int forwarded_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM, SIGPWR,
};

int cli_wait_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* The container's init is not (or no longer) in our process tree: follow
 * it through the state store.  Returns -1 while it is still running. */
static int init_status_from_state(struct cli_ctx *ctx, const char *id, pid_t pid)
{
	struct ocifs_state st = { 0 };
	ocifs_error err = { 0 };
	int rc = -1;

	if (ocifs_state_get(ctx->root, id, &st, &err) < 0)
		return kill(pid, 0) < 0 && errno == ESRCH ? 255 : -1;
	if (st.status == OCIFS_STOPPED)
		rc = st.has_exit_status ? st.exit_status : 255;
	ocifs_state_clear(&st);
	return rc;
}

int cli_supervise(struct cli_ctx *ctx, const char *id, pid_t pid, bool is_init)
{
	struct sigaction sa = { 0 }, old[ARRAY_SIZE(forwarded_signals) + 1];
	int result = -1;
	bool lost = false;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return cli_fail(ctx->cmd->name, id, "pipe: %s", strerror(errno));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		sigaction(forwarded_signals[i], &sa, &old[i]);
	sa.sa_flags |= SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, &old[ARRAY_SIZE(forwarded_signals)]);

	cli_debug("%s %s: waiting for pid %d", ctx->cmd->name, id, (int)pid);
	while (result < 0) {
		/* reap: the target, and any orphan re-parented to us */
		for (;;) {
			int st;
			pid_t r = waitpid(-1, &st, WNOHANG);
			if (r > 0) {
				if (r == pid) {
					result = cli_wait_status(st);
					break;
				}
				cli_debug("reaped orphan %d", (int)r);
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == ECHILD)
				lost = true;
			break;
		}
		if (result >= 0)
			break;
		if (lost) {
			result = is_init ? init_status_from_state(ctx, id, pid)
					 : (kill(pid, 0) < 0 && errno == ESRCH ? 255 : -1);
			if (result >= 0)
				break;
		}

		struct pollfd pfd = { .fd = sig_pipe[0], .events = POLLIN };
		if (poll(&pfd, 1, lost ? 100 : -1) < 0 && errno != EINTR)
			break;
		unsigned char buf[64];
		ssize_t n;
		while ((n = read(sig_pipe[0], buf, sizeof(buf))) > 0) {
			for (ssize_t i = 0; i < n; i++) {
				if (buf[i] == SIGCHLD)
					continue;
				cli_debug("forwarding signal %d to %d", buf[i], (int)pid);
				if (kill(pid, buf[i]) < 0 && errno != ESRCH)
					cli_debug("kill %d: %s", (int)pid, strerror(errno));
			}
		}
	}

	for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		sigaction(forwarded_signals[i], &old[i], NULL);
	sigaction(SIGCHLD, &old[ARRAY_SIZE(forwarded_signals)], NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	cli_debug("%s %s: pid %d exited with %d", ctx->cmd->name, id, (int)pid, result);
	return result < 0 ? 255 : result;
}

/* 0 = parsed, 1 = error, 2 = --help printed. */
static int parse_exec(struct cli_ctx *ctx, int argc, char **argv, struct exec_args *a,
		      struct cli_opts *o)
{
	int c, n;

	cli_opts_begin(o, "exec", argc, argv, 2);
	while ((c = cli_getopt(o, "p:tde:u:g:c:h", exec_opts)) != -1) {
		switch (c) {
		case 'p': a->process_file = o->optarg; break;
		case 't': a->tty = true; break;
		case 'd': a->detach = true; break;
		case 'e':
			if (!strchr(o->optarg, '=') || o->optarg[0] == '=')
				return cli_fail("exec", NULL, "--env: '%s' is not KEY=VALUE", o->optarg);
			a->env = xrealloc(a->env, (a->n_env + 1) * sizeof(char *));
			a->env[a->n_env++] = o->optarg;
			break;
		case OPT_CWD:
			if (o->optarg[0] != '/')
				return cli_fail("exec", NULL, "--cwd: '%s' is not an absolute path",
						o->optarg);
			a->cwd = o->optarg;
			break;
		case 'u': a->user = o->optarg; break;
		case 'g':
			if (add_gids(a, o->optarg))
				return 1;
			break;
		case 'c':
			if (add_cap(a, o->optarg))
				return 1;
			break;
		case OPT_NO_NEW_PRIVS: a->no_new_privs = true; break;
		case OPT_PROCESS_LABEL:
			return cli_fail("exec", NULL, "--process-label: SELinux labels are not supported");
		case OPT_APPARMOR:
			return cli_fail("exec", NULL, "--apparmor: AppArmor profiles are not supported");
		case OPT_CGROUP:
			return cli_fail("exec", NULL, "--cgroup: sub-cgroups are not supported yet");
		case OPT_IGNORE_PAUSED: break;
		case OPT_PID_FILE: a->pid_file = o->optarg; break;
		case OPT_CONSOLE_SOCKET: a->console_socket = o->optarg; break;
		case OPT_PRESERVE_FDS:
			n = cli_parse_uint(o->optarg, 1 << 20);
			if (n < 0)
				return cli_fail("exec", NULL,
						"--preserve-fds: '%s' is not a number of fds", o->optarg);
			a->preserve_fds = n;
			break;
		case 'h':
			cli_usage(ctx);
			return 2;
		default:
			return 1;
		}
	}
	return 0;
}

static struct oci_process *inline_process(char *cmd, char **rest, int nrest)
{
	struct oci_process *p = xcalloc(1, sizeof(*p));

	p->n_args = (size_t)nrest + 1;
	p->args = xcalloc(p->n_args + 1, sizeof(char *));
	p->args[0] = xstrdup(cmd);
	for (int i = 0; i < nrest; i++)
		p->args[i + 1] = xstrdup(rest[i]);
	return p;
}

int cmd_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct exec_args a = { 0 };
	struct cli_opts o;
	struct oci_process *p = NULL;
	struct ocifs_exec_opts eo;
	int console[2] = { -1, -1 };
	ocifs_error err = { 0 };
	const char *id = NULL;
	pid_t pid = 0;
	int rc = parse_exec(ctx, argc, argv, &a, &o);

	if (rc) {
		rc = rc == 2 ? 0 : rc;
		goto out;
	}
	if ((rc = cli_need_id(ctx, &o, &id)))
		goto out;
	if (a.process_file) {
		if (o.npos > 1) {
			rc = cli_fail("exec", id, "a command cannot be given with --process");
			goto out;
		}
		char *text = NULL;
		size_t len = 0;
		if (read_file(a.process_file, &text, &len, &err) < 0) {
			rc = cli_fail_err("exec", id, &err);
			goto out;
		}
		if (ocifs_process_parse(text, len, "", &p, &err) < 0) {
			free(text);
			ocifs_error_prefix(&err, "%s", a.process_file);
			rc = cli_fail_err("exec", id, &err);
			goto out;
		}
		free(text);
	} else {
		if (o.npos < 2) {
			rc = cli_fail("exec", id, "a command (or --process FILE) is required");
			goto out;
		}
		p = inline_process(o.pos[1], o.rest, o.nrest);
		if (ocifs_exec_process_defaults(ctx->root, id, p, &err) < 0) {
			rc = cli_fail_err("exec", id, &err);
			goto out;
		}
	}
	if ((rc = apply_flags(&a, p, !a.process_file)))
		goto out;
	if (p->terminal && a.detach && !a.console_socket) {
		rc = cli_fail("exec", id,
			      "cannot allocate a tty with --detach without --console-socket");
		goto out;
	}
	if (!p->terminal && a.console_socket) {
		rc = cli_fail("exec", id, "--console-socket needs a terminal (--tty)");
		goto out;
	}

	ocifs_exec_opts_init(&eo);
	eo.process = p;
	eo.pid_file = a.pid_file;
	eo.console_socket = a.console_socket;
	eo.preserve_fds = a.preserve_fds;
	eo.detach = a.detach;
	/* Re-parented descendants of the exec'd process come back to us. */
	if (!a.detach && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		cli_debug("exec %s: prctl(PR_SET_CHILD_SUBREAPER): %s", id, strerror(errno));
	if (p->terminal && !a.console_socket && cli_console_pair(console) < 0) {
		rc = cli_fail("exec", id, "socketpair: %s", strerror(errno));
		goto out;
	}
	eo.console_socket_fd = console[1];
	if (ocifs_exec(ctx->root, id, &eo, &pid, &err) < 0) {
		rc = cli_fail_err("exec", id, &err);
		goto out;
	}
	cli_debug("exec %s: pid %d", id, (int)pid);
	if (!a.detach)
		rc = cli_supervise_tty(ctx, id, pid, false, console);

out:
	cli_console_close(console);
	if (p)
		ocifs_process_free(p);
	exec_args_free(&a);
	cli_opts_end(&o);
	return rc;
}

/* ---- a terminal in the foreground (run, exec --tty without a socket) ----
 * The engine sends the pty master over one end of a socketpair, as it would
 * over --console-socket; ocirun keeps the other end and proxies its own
 * stdio to the master until the process exits. */

int cli_console_pair(int pair[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
}

void cli_console_close(int pair[2])
{
	for (int i = 0; i < 2; i++) {
		if (pair[i] >= 0)
			close(pair[i]);
		pair[i] = -1;
	}
}

int cli_supervise_tty(struct cli_ctx *ctx, const char *id, pid_t pid, bool is_init,
		      int pair[2])
{
	ocifs_error err = { 0 };
	int master, st = 0;
	char peek;

	if (pair[0] < 0)
		return cli_supervise(ctx, id, pid, is_init);
	close(pair[1]);
	pair[1] = -1;
	/* the master was sent before create/exec returned, if there is one;
	 * without a terminal the socket just reads EOF */
	if (recv(pair[0], &peek, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
		return cli_supervise(ctx, id, pid, is_init);
	master = terminal_recv_fd(pair[0], &err);
	if (master < 0) {
		cli_fail_err(ctx->cmd->name, id, &err);
		return cli_supervise(ctx, id, pid, is_init);
	}
	if (terminal_proxy(master, pid, &st, &err) < 0) {
		close(master);
		return cli_fail_err(ctx->cmd->name, id, &err);
	}
	close(master);
	return cli_wait_status(st);
}
