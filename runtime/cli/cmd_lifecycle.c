/* ocirun's lifecycle commands: create, start, run, state, kill, delete, stop,
 * pause, resume, events (list and ps: cmd_query.c; update: cmd_update.c).
 *
 * Each handler parses its options (cli_getopt), validates its positionals,
 * makes the engine call(s) and reports a failure once with cli_fail_err().
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"

/* What parse_flag_id found. */
struct flag_id {
	const char *id;
	const char *arg;  /* the positional after the id, NULL when none */
	bool flag;        /* --FLAG was given */
	bool helped;      /* --help was given and answered */
};

/* COMMAND [--FLAG] ID [ARG], the shape of start, kill, delete, pause ...:
 * flag is the long option (its short form its first letter), NULL for
 * none; with_arg allows one positional after the id.  0 to go on (also
 * after --help, see f->helped), else the exit status of a usage error. */
static int parse_flag_id(struct cli_ctx *ctx, int argc, char **argv, const char *flag,
			 bool with_arg, struct flag_id *f)
{
	const struct option opts[] = {
		{ flag ? flag : "help", no_argument, NULL, flag ? flag[0] : 'h' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char shorts[] = { flag ? flag[0] : 'h', 'h', '\0' };
	struct cli_opts o;
	int c, rc;

	memset(f, 0, sizeof(*f));
	cli_opts_begin(&o, ctx->cmd->name, argc, argv, 0);
	while ((c = cli_getopt(&o, shorts, opts)) != -1) {
		if (flag && c == flag[0]) {
			f->flag = true;
			continue;
		}
		cli_opts_end(&o);
		if (c != 'h')
			return 1;
		f->helped = true;
		return cli_usage(ctx);
	}
	rc = cli_need_id(ctx, &o, &f->id);
	if (!rc)
		rc = cli_no_more_args(ctx, &o, with_arg ? 2 : 1);
	if (!rc && o.npos == 2)
		f->arg = o.pos[1];
	cli_opts_end(&o);
	return rc;
}

/* Parses a command whose only argument is the container id. */
static int parse_id_only(struct cli_ctx *ctx, int argc, char **argv, const char **id,
			 bool *helped)
{
	struct flag_id f;
	int rc = parse_flag_id(ctx, argc, argv, NULL, false, &f);

	*id = f.id;
	*helped = f.helped;
	return rc;
}

/* ---- create / run ---- */

enum {
	OPT_PID_FILE = 256,
	OPT_CONSOLE_SOCKET,
	OPT_PRESERVE_FDS,
	OPT_NO_PIVOT,
	OPT_NO_NEW_KEYRING,
	OPT_KEEP,
	OPT_NO_SUBREAPER,
	OPT_FORMAT,
	OPT_STATS,
	OPT_INTERVAL,
};

static const struct option create_opts[] = {
	{ "bundle", required_argument, NULL, 'b' },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
	{ "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
	{ "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option run_opts[] = {
	{ "bundle", required_argument, NULL, 'b' },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
	{ "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
	{ "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
	{ "detach", no_argument, NULL, 'd' },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct create_args {
	struct ocifs_create_opts o;
	bool detach, keep, no_subreaper;
};

/* Returns 0 and fills *a, 1 after an error, or 2 after --help. */
static int parse_create(struct cli_ctx *ctx, int argc, char **argv, bool run,
			struct create_args *a)
{
	struct cli_opts o;
	const char *id = NULL;
	int c, n;

	memset(a, 0, sizeof(*a));
	ocifs_create_opts_init(&a->o);
	cli_opts_begin(&o, ctx->cmd->name, argc, argv, 0);
	while ((c = cli_getopt(&o, run ? "b:dh" : "b:h", run ? run_opts : create_opts)) != -1) {
		switch (c) {
		case 'b': a->o.bundle = o.optarg; break;
		case OPT_PID_FILE: a->o.pid_file = o.optarg; break;
		case OPT_CONSOLE_SOCKET: a->o.console_socket = o.optarg; break;
		case OPT_PRESERVE_FDS:
			n = cli_parse_uint(o.optarg, 1 << 20);
			if (n < 0) {
				cli_opts_end(&o);
				return cli_fail(ctx->cmd->name, NULL,
						"--preserve-fds: '%s' is not a number of fds", o.optarg);
			}
			a->o.preserve_fds = n;
			break;
		case OPT_NO_PIVOT: a->o.no_pivot = true; break;
		case OPT_NO_NEW_KEYRING: a->o.no_new_keyring = true; break;
		case 'd': a->detach = true; break;
		case OPT_KEEP: a->keep = true; break;
		case OPT_NO_SUBREAPER: a->no_subreaper = true; break;
		case 'h':
			cli_opts_end(&o);
			cli_usage(ctx);
			return 2;
		default:
			cli_opts_end(&o);
			return 1;
		}
	}
	if (cli_need_id(ctx, &o, &id) || cli_no_more_args(ctx, &o, 1)) {
		cli_opts_end(&o);
		return 1;
	}
	cli_opts_end(&o);
	a->o.id = id;
	if (a->o.bundle && !*a->o.bundle)
		return cli_fail(ctx->cmd->name, id, "--bundle: empty path");
	if (ctx->systemd_cgroup)
		return cli_fail(NULL, NULL, "--systemd-cgroup: not supported, use cgroupfs paths");
	return 0;
}

int cmd_create(struct cli_ctx *ctx, int argc, char **argv)
{
	struct create_args a;
	ocifs_error err = { 0 };
	pid_t pid = 0;
	int rc = parse_create(ctx, argc, argv, false, &a);

	if (rc)
		return rc == 2 ? 0 : rc;
	if (ocifs_create(ctx->root, &a.o, &pid, &err) < 0)
		return cli_fail_err("create", a.o.id, &err);
	cli_debug("create %s: init pid %d", a.o.id, (int)pid);
	return 0;
}

int cmd_run(struct cli_ctx *ctx, int argc, char **argv)
{
	int console[2] = { -1, -1 };
	struct create_args a;
	ocifs_error err = { 0 };
	pid_t pid = 0;
	int rc = parse_create(ctx, argc, argv, true, &a);

	if (rc)
		return rc == 2 ? 0 : rc;
	if (!a.detach && !a.no_subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return cli_fail("run", a.o.id, "prctl(PR_SET_CHILD_SUBREAPER): %s",
				strerror(errno));
	if (!a.detach && !a.o.console_socket) {
		if (cli_console_pair(console) < 0)
			return cli_fail("run", a.o.id, "socketpair: %s", strerror(errno));
		a.o.console_socket_fd = console[1];
	}
	if (ocifs_create(ctx->root, &a.o, &pid, &err) < 0) {
		cli_console_close(console);
		return cli_fail_err("run", a.o.id, &err);
	}
	cli_debug("run %s: init pid %d", a.o.id, (int)pid);

	if (ocifs_start(ctx->root, a.o.id, &err) < 0) {
		ocifs_error derr = { 0 };
		cli_fail_err("run", a.o.id, &err);
		if (ocifs_delete(ctx->root, a.o.id, true, &derr) < 0)
			cli_debug("run %s: delete after failed start: %s", a.o.id, derr.msg);
		cli_console_close(console);
		return 1;
	}
	if (a.detach)
		return 0;

	rc = cli_supervise_tty(ctx, a.o.id, pid, true, console);
	cli_console_close(console);
	if (!a.keep && ocifs_delete(ctx->root, a.o.id, true, &err) < 0)
		cli_fail_err("delete", a.o.id, &err); /* reported; the status stands */
	return rc;
}

/* ---- start, state, kill, delete, stop ---- */

int cmd_start(struct cli_ctx *ctx, int argc, char **argv)
{
	ocifs_error err = { 0 };
	const char *id;
	bool helped;
	int rc = parse_id_only(ctx, argc, argv, &id, &helped);

	if (rc || helped)
		return rc;
	if (ocifs_start(ctx->root, id, &err) < 0)
		return cli_fail_err("start", id, &err);
	return 0;
}

/* Prints JSON text re-indented by 2 (as runc's MarshalIndent). */
static void print_json_pretty(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	printf("%s\n", s ? s : text);
	free(s);
	json_decref(j);
}

int cmd_state(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ocifs_state st = { 0 };
	ocifs_error err = { 0 };
	const char *id;
	bool helped;
	int rc = parse_id_only(ctx, argc, argv, &id, &helped);

	if (rc || helped)
		return rc;
	if (ocifs_state_get(ctx->root, id, &st, &err) < 0)
		return cli_fail_err("state", id, &err);
	char *js = ocifs_state_json(&st);
	ocifs_state_clear(&st);
	if (!js)
		return cli_fail("state", id, "cannot render the state");
	print_json_pretty(js);
	free(js);
	return 0;
}

int cmd_kill(struct cli_ctx *ctx, int argc, char **argv)
{
	ocifs_error err = { 0 };
	struct flag_id f;
	int sig = SIGTERM;
	int rc = parse_flag_id(ctx, argc, argv, "all", true, &f);

	if (rc || f.helped)
		return rc;
	if (f.arg) {
		sig = ocifs_signal_parse(f.arg, strlen(f.arg));
		if (sig < 0)
			return cli_fail("kill", f.id, "invalid signal '%s'", f.arg);
	}
	if (ocifs_kill(ctx->root, f.id, sig, f.flag, &err) < 0)
		return cli_fail_err("kill", f.id, &err);
	return 0;
}

int cmd_delete(struct cli_ctx *ctx, int argc, char **argv)
{
	ocifs_error err = { 0 };
	struct flag_id f;
	int rc = parse_flag_id(ctx, argc, argv, "force", false, &f);

	if (rc || f.helped)
		return rc;
	if (ocifs_delete(ctx->root, f.id, f.flag, &err) < 0) {
		/* runc: `delete --force` of a container that does not exist succeeds */
		if (f.flag && err.code == ENOENT)
			return 0;
		return cli_fail_err("delete", f.id, &err);
	}
	return 0;
}

int cmd_stop(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ocifs_error err = { 0 };
	struct cli_opts o;
	const char *id, *secs = NULL;
	int c, grace = 10;

	cli_opts_begin(&o, "stop", argc, argv, 0);
	while ((c = cli_getopt(&o, "t:h", opts)) != -1) {
		if (c == 't') {
			secs = o.optarg;
			continue;
		}
		cli_opts_end(&o);
		return c == 'h' ? cli_usage(ctx) : 1;
	}
	if (cli_need_id(ctx, &o, &id) || cli_no_more_args(ctx, &o, 2)) {
		cli_opts_end(&o);
		return 1;
	}
	if (o.npos == 2) /* `stop ID SECONDS`, as the ctl file's `stop [SECONDS]` */
		secs = o.pos[1];
	cli_opts_end(&o);
	if (secs) {
		grace = cli_parse_uint(secs, INT_MAX / 1000);
		if (grace < 0)
			return cli_fail("stop", id, "invalid grace period '%s' (whole seconds)", secs);
	}
	if (ocifs_stop(ctx->root, id, grace * 1000, &err) < 0)
		return cli_fail_err("stop", id, &err);
	return 0;
}

/* ---- pause, resume, events ---- */

static int freeze_cmd(struct cli_ctx *ctx, int argc, char **argv, bool pause)
{
	const char *id;
	bool helped;
	int rc = parse_id_only(ctx, argc, argv, &id, &helped);
	ocifs_error err = { 0 };

	if (rc || helped)
		return rc;
	if ((pause ? ocifs_pause : ocifs_resume)(ctx->root, id, &err) < 0)
		return cli_fail_err(ctx->cmd->name, id, &err);
	return 0;
}

int cmd_pause(struct cli_ctx *ctx, int argc, char **argv)
{
	return freeze_cmd(ctx, argc, argv, true);
}

int cmd_resume(struct cli_ctx *ctx, int argc, char **argv)
{
	return freeze_cmd(ctx, argc, argv, false);
}

/* One stats event.  0 printed, 1 the container stopped or vanished after
 * the first one (the end of `events`), -1 failed (reported). */
static int events_stats(struct cli_ctx *ctx, const char *id, bool first)
{
	ocifs_error err = { 0 };
	char *data = NULL;

	if (ocifs_stats(ctx->root, id, &data, &err) < 0) {
		if (!first && (err.code == EBUSY || err.code == ENOENT))
			return 1;
		cli_fail_err(ctx->cmd->name, id, &err);
		return -1;
	}
	printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", id, data);
	fflush(stdout);
	free(data);
	return 0;
}

/* The container's OOM notifications, or NULL when it has none (no memory
 * cgroup; a missing or stopped container is reported by events_stats). */
static struct ocifs_oom *events_oom_open(struct cli_ctx *ctx, const char *id)
{
	struct ocifs_oom *oom = NULL;
	ocifs_error err = { 0 };

	if (ocifs_oom_open(ctx->root, id, &oom, &err) < 0)
		cli_debug("events %s: no OOM events: %s", id, err.msg);
	return oom;
}

/* Prints one {"type":"oom"} line per OOM pending on *oom.  A handle that
 * fails to read is closed (*oom = NULL), so a broken one cannot spin. */
static void events_oom_print(const char *id, struct ocifs_oom **oom)
{
	ocifs_error err = { 0 };
	uint64_t n = 0;

	if (!*oom)
		return;
	if (ocifs_oom_read(*oom, &n, &err) < 0) {
		cli_debug("events %s: %s", id, err.msg);
		ocifs_oom_close(*oom);
		*oom = NULL;
		return;
	}
	for (; n > 0; n--)
		printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
	fflush(stdout);
}

/* A pidfd of the container's init, readable once it exits: the end of
 * `events` at once, not at the next interval.  -1 when there is none. */
static int events_init_pidfd(struct cli_ctx *ctx, const char *id)
{
	struct ocifs_state st;
	ocifs_error err = { 0 };
	int fd = -1;

	if (ocifs_state_get(ctx->root, id, &st, &err) < 0)
		return -1;
	if (st.pid > 0 && st.status != OCIFS_STOPPED)
		fd = (int)syscall(SYS_pidfd_open, st.pid, 0);
	ocifs_state_clear(&st);
	return fd;
}

/* Without --stats: a stats event every interval seconds and an oom event
 * the moment one happens, until the container stops (or is deleted). */
static int events_follow(struct cli_ctx *ctx, const char *id, long interval)
{
	struct ocifs_oom *oom = events_oom_open(ctx, id);
	cleanup_close int init = events_init_pidfd(ctx, id);
	int rc;

	for (bool first = true;; first = false) {
		long long next = now_ms() + interval * 1000LL, left;

		rc = events_stats(ctx, id, first);
		if (rc)
			break;
		while ((left = next - now_ms()) > 0) {
			struct pollfd p[2] = {
				{ .fd = oom ? ocifs_oom_fd(oom) : -1, .events = POLLIN },
				{ .fd = init, .events = POLLIN },
			};
			int n = poll(p, 2, (int)left);

			if (n < 0 && errno != EINTR) {
				rc = -1;
				cli_fail(ctx->cmd->name, id, "poll: %s", strerror(errno));
				goto out;
			}
			if (n > 0 && p[0].revents)
				events_oom_print(id, &oom);
			if (n > 0 && p[1].revents) {
				rc = 0; /* the init exited: the container stopped */
				goto done;
			}
		}
	}
done:
	/* an OOM that ended the container comes before the end */
	events_oom_print(id, &oom);
out:
	ocifs_oom_close(oom);
	return rc < 0 ? 1 : 0;
}

int cmd_events(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o;
	const char *id;
	bool stats = false;
	long interval = 5;
	int c;

	cli_opts_begin(&o, "events", argc, argv, 0);
	while ((c = cli_getopt(&o, "h", opts)) != -1) {
		if (c == OPT_STATS) {
			stats = true;
			continue;
		}
		if (c == OPT_INTERVAL) {
			/* seconds: "N" or "Ns" */
			char *end;
			interval = strtol(o.optarg, &end, 10);
			if (end == o.optarg || (*end && strcmp(end, "s") != 0) || interval <= 0 ||
			    interval > 86400) {
				cli_fail(ctx->cmd->name, NULL, "--interval: invalid duration '%s'",
					 o.optarg);
				cli_opts_end(&o);
				return 1;
			}
			continue;
		}
		cli_opts_end(&o);
		return c == 'h' ? cli_usage(ctx) : 1;
	}
	if (cli_need_id(ctx, &o, &id) || cli_no_more_args(ctx, &o, 1)) {
		cli_opts_end(&o);
		return 1;
	}
	cli_opts_end(&o);
	if (stats)
		return events_stats(ctx, id, true) == 0 ? 0 : 1;
	return events_follow(ctx, id, interval);
}
