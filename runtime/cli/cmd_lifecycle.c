/* ocirun's lifecycle commands: create, start, run, state, kill, delete, stop,
 * pause, resume, list, ps, events, update.
 *
 * Each handler parses its options (cli_getopt), validates its positionals,
 * makes the engine call(s) and reports a failure once with cli_fail_err().
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "ocifs/engine.h"
#include "util.h"

static const struct option help_only_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Parses a command whose only argument is the container id. */
static int parse_id_only(struct cli_ctx *ctx, int argc, char **argv, const char **id,
			 bool *helped)
{
	struct cli_opts o;
	int c, rc = 0;

	*helped = false;
	cli_opts_begin(&o, ctx->cmd->name, argc, argv, 0);
	while ((c = cli_getopt(&o, "h", help_only_opts)) != -1) {
		if (c == 'h') {
			*helped = true;
			cli_opts_end(&o);
			return cli_usage(ctx);
		}
		cli_opts_end(&o);
		return 1;
	}
	rc = cli_need_id(ctx, &o, id);
	if (!rc)
		rc = cli_no_more_args(ctx, &o, 1);
	cli_opts_end(&o);
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
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ocifs_error err = { 0 };
	struct cli_opts o;
	const char *id;
	bool all = false;
	int c, sig = SIGTERM;

	cli_opts_begin(&o, "kill", argc, argv, 0);
	while ((c = cli_getopt(&o, "ah", opts)) != -1) {
		if (c == 'a') {
			all = true;
			continue;
		}
		cli_opts_end(&o);
		return c == 'h' ? cli_usage(ctx) : 1;
	}
	if (cli_need_id(ctx, &o, &id) || cli_no_more_args(ctx, &o, 2)) {
		cli_opts_end(&o);
		return 1;
	}
	if (o.npos == 2) {
		sig = ocifs_signal_parse(o.pos[1], strlen(o.pos[1]));
		if (sig < 0) {
			cli_fail("kill", id, "invalid signal '%s'", o.pos[1]);
			cli_opts_end(&o);
			return 1;
		}
	}
	cli_opts_end(&o);
	if (ocifs_kill(ctx->root, id, sig, all, &err) < 0)
		return cli_fail_err("kill", id, &err);
	return 0;
}

int cmd_delete(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ocifs_error err = { 0 };
	struct cli_opts o;
	const char *id;
	bool force = false;
	int c;

	cli_opts_begin(&o, "delete", argc, argv, 0);
	while ((c = cli_getopt(&o, "fh", opts)) != -1) {
		if (c == 'f') {
			force = true;
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
	if (ocifs_delete(ctx->root, id, force, &err) < 0) {
		/* runc: `delete --force` of a container that does not exist succeeds */
		if (force && err.code == ENOENT)
			return 0;
		return cli_fail_err("delete", id, &err);
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
	/* one stats event now; without --stats, one every interval until the
	 * container stops (or is deleted) */
	for (bool first = true;; first = false) {
		ocifs_error err = { 0 };
		char *data = NULL;

		if (ocifs_stats(ctx->root, id, &data, &err) < 0) {
			if (!first && (err.code == EBUSY || err.code == ENOENT))
				return 0;
			return cli_fail_err(ctx->cmd->name, id, &err);
		}
		printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", id, data);
		fflush(stdout);
		free(data);
		if (stats)
			return 0;
		sleep((unsigned)interval);
	}
}

/* ---- update ---- */

/* runc's resource flags, each one member of the linux.resources object. */
enum { UF_SIZE, UF_INT, UF_UINT, UF_STR };

static const struct update_flag {
	const char *name, *section, *key;
	int kind;
} update_flags[] = {
	{ "memory", "memory", "limit", UF_SIZE },
	{ "memory-reservation", "memory", "reservation", UF_SIZE },
	{ "memory-swap", "memory", "swap", UF_SIZE },
	{ "kernel-memory", "memory", "kernel", UF_SIZE },
	{ "kernel-memory-tcp", "memory", "kernelTCP", UF_SIZE },
	{ "cpu-shares", "cpu", "shares", UF_UINT },
	{ "cpu-quota", "cpu", "quota", UF_INT },
	{ "cpu-period", "cpu", "period", UF_UINT },
	{ "cpu-rt-period", "cpu", "realtimePeriod", UF_UINT },
	{ "cpu-rt-runtime", "cpu", "realtimeRuntime", UF_INT },
	{ "cpuset-cpus", "cpu", "cpus", UF_STR },
	{ "cpuset-mems", "cpu", "mems", UF_STR },
	{ "pids-limit", "pids", "limit", UF_INT },
	{ "blkio-weight", "blockIO", "weight", UF_UINT },
};
#define N_UPDATE_FLAGS (sizeof(update_flags) / sizeof(update_flags[0]))
#define OPT_UPDATE_FLAG 512 /* + index in update_flags */

/* "-1", "1048576", "64k", "512m", "2g", "1t" (also "kb", "MiB"...; binary). */
static bool parse_size(const char *s, long long *out)
{
	static const char units[] = "kmgtp";
	char *end;
	long long v;
	const char *u;
	int shift = 0;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s)
		return false;
	if (v == -1 && !*end) {
		*out = -1;
		return true;
	}
	if (v < 0)
		return false;
	if (*end) {
		u = strchr(units, tolower((unsigned char)*end));
		if (!u)
			return strcasecmp(end, "b") == 0 ? (*out = v, true) : false;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (strcasecmp(end, "") != 0 && strcasecmp(end, "b") != 0 &&
		    strcasecmp(end, "ib") != 0)
			return false;
	}
	if (shift && v > (LLONG_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

static json_t *update_flag_value(const struct update_flag *f, const char *arg)
{
	long long v;
	char *end;

	switch (f->kind) {
	case UF_STR:
		return json_string(arg);
	case UF_SIZE:
		return parse_size(arg, &v) ? json_integer(v) : NULL;
	default:
		if (!*arg || (f->kind == UF_UINT && *arg == '-'))
			return NULL;
		errno = 0;
		v = strtoll(arg, &end, 10);
		return errno || *end ? NULL : json_integer(v);
	}
}

/* The resources object of -r FILE ("-" = stdin); NULL after an error. */
static json_t *load_resources(const char *file, ocifs_error *err)
{
	cleanup_free char *text = NULL;
	json_error_t jerr;
	size_t len = 0;
	json_t *o;

	if (strcmp(file, "-") == 0 ? read_fd_all(0, &text, &len, err) < 0
				   : read_file(file, &text, &len, err) < 0)
		return NULL;
	o = json_loadb(text, len, 0, &jerr);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		ocifs_error_set(err, EINVAL, "%s: not a JSON object (%s)", file,
				o ? "wrong type" : jerr.text);
		return NULL;
	}
	return o;
}

int cmd_update(struct cli_ctx *ctx, int argc, char **argv)
{
	struct option opts[N_UPDATE_FLAGS + 3];
	const char *resources = NULL, *id;
	const char *values[N_UPDATE_FLAGS] = { 0 };
	cleanup_free char *text = NULL;
	ocifs_error err = { 0 };
	struct cli_opts o;
	json_t *res;
	bool any = false;
	int c;

	for (size_t i = 0; i < N_UPDATE_FLAGS; i++)
		opts[i] = (struct option){ update_flags[i].name, required_argument, NULL,
					   OPT_UPDATE_FLAG + (int)i };
	opts[N_UPDATE_FLAGS] = (struct option){ "resources", required_argument, NULL, 'r' };
	opts[N_UPDATE_FLAGS + 1] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[N_UPDATE_FLAGS + 2] = (struct option){ NULL, 0, NULL, 0 };
	cli_opts_begin(&o, "update", argc, argv, 0);
	while ((c = cli_getopt(&o, "r:h", opts)) != -1) {
		if (c == 'r') {
			resources = o.optarg;
		} else if (c >= OPT_UPDATE_FLAG && c < OPT_UPDATE_FLAG + (int)N_UPDATE_FLAGS) {
			values[c - OPT_UPDATE_FLAG] = o.optarg;
			any = true;
		} else {
			cli_opts_end(&o);
			return c == 'h' ? cli_usage(ctx) : 1;
		}
	}
	if (cli_need_id(ctx, &o, &id) || cli_no_more_args(ctx, &o, 1)) {
		cli_opts_end(&o);
		return 1;
	}
	cli_opts_end(&o);
	if (!resources && !any)
		return cli_fail("update", id, "nothing to update (give -r FILE or a resource flag)");
	res = resources ? load_resources(resources, &err) : json_object();
	if (!res)
		return cli_fail_err("update", id, &err);
	/* flags override what the file says */
	for (size_t i = 0; i < N_UPDATE_FLAGS; i++) {
		const struct update_flag *f = &update_flags[i];
		json_t *sec, *v;

		if (!values[i])
			continue;
		v = update_flag_value(f, values[i]);
		if (!v) {
			json_decref(res);
			return cli_fail("update", id, "--%s: invalid value '%s'", f->name, values[i]);
		}
		sec = json_object_get(res, f->section);
		if (!json_is_object(sec)) {
			sec = json_object();
			json_object_set_new(res, f->section, sec);
		}
		json_object_set_new(sec, f->key, v);
	}
	text = json_dumps(res, JSON_COMPACT);
	json_decref(res);
	if (ocifs_update(ctx->root, id, text, &err) < 0)
		return cli_fail_err("update", id, &err);
	return 0;
}

/* ---- list ---- */

static char *owner_of(const char *root, const char *id)
{
	char *path = xasprintf("%s/%s", root, id);
	struct stat sb;
	uid_t uid = geteuid();
	struct passwd *pw;

	if (stat(path, &sb) == 0)
		uid = sb.st_uid;
	free(path);
	pw = getpwuid(uid);
	return pw ? xstrdup(pw->pw_name) : xasprintf("#%u", (unsigned)uid);
}

/* root.path of the bundle's config.json, made absolute; "" when unknown. */
static char *rootfs_of(const char *bundle)
{
	char *path = xasprintf("%s/config.json", bundle);
	json_t *cfg = json_load_file(path, 0, NULL);
	const char *rp = json_string_value(json_object_get(json_object_get(cfg, "root"), "path"));
	char *res;

	free(path);
	if (!rp)
		res = xstrdup("");
	else if (rp[0] == '/')
		res = xstrdup(rp);
	else
		res = xasprintf("%s/%s", bundle, rp);
	json_decref(cfg);
	return res;
}

#define LIST_COLS 6

struct list_row {
	char *cell[LIST_COLS];
};

/* Columns aligned as Go's tabwriter(minwidth 12, padding 3) does for runc:
 * every column but the last is padded to max(width + 3, 12). */
static void print_table(struct list_row *rows, size_t n)
{
	size_t w[LIST_COLS] = { 0 };

	for (size_t r = 0; r < n; r++)
		for (int c = 0; c < LIST_COLS - 1; c++) {
			size_t l = strlen(rows[r].cell[c]) + 3;
			if (l < 12)
				l = 12;
			if (l > w[c])
				w[c] = l;
		}
	for (size_t r = 0; r < n; r++) {
		for (int c = 0; c < LIST_COLS - 1; c++)
			printf("%-*s", (int)w[c], rows[r].cell[c]);
		printf("%s\n", rows[r].cell[LIST_COLS - 1]);
	}
}

int cmd_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ocifs_error err = { 0 };
	struct cli_opts o;
	const char *format = "table";
	bool quiet = false;
	char **ids = NULL;
	size_t n = 0;
	int c;

	cli_opts_begin(&o, "list", argc, argv, 0);
	while ((c = cli_getopt(&o, "f:qh", opts)) != -1) {
		if (c == 'f')
			format = o.optarg;
		else if (c == 'q')
			quiet = true;
		else {
			cli_opts_end(&o);
			return c == 'h' ? cli_usage(ctx) : 1;
		}
	}
	c = cli_no_more_args(ctx, &o, 0);
	cli_opts_end(&o);
	if (c)
		return 1;
	bool json = strcmp(format, "json") == 0;
	if (!json && strcmp(format, "table") != 0)
		return cli_fail("list", NULL, "invalid format '%s' (table or json)", format);

	if (ocifs_list(ctx->root, &ids, &n, &err) < 0)
		return cli_fail_err("list", NULL, &err);
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", ids[i]);
		ocifs_list_free(ids, n);
		return 0;
	}

	json_t *arr = json ? json_array() : NULL;
	struct list_row *rows = xcalloc(n + 1, sizeof(*rows));
	size_t nrows = 0;
	if (!json) {
		static const char *const hdr[LIST_COLS] = { "ID", "PID", "STATUS", "BUNDLE",
							    "CREATED", "OWNER" };
		for (int k = 0; k < LIST_COLS; k++)
			rows[0].cell[k] = xstrdup(hdr[k]);
		nrows = 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct ocifs_state st = { 0 };
		if (ocifs_state_get(ctx->root, ids[i], &st, &err) < 0) {
			/* deleted meanwhile, or unreadable: leave it out */
			cli_debug("list: %s: %s", ids[i], err.msg);
			continue;
		}
		char *owner = owner_of(ctx->root, ids[i]);
		if (json) {
			char *js = ocifs_state_json(&st);
			json_t *obj = js ? json_loads(js, 0, NULL) : NULL;
			free(js);
			if (!obj)
				obj = json_object();
			char *rootfs = rootfs_of(st.bundle ? st.bundle : "");
			json_t *ann = json_object_get(obj, "annotations");
			if (ann && json_object_size(ann) == 0)
				json_object_del(obj, "annotations");
			json_object_set_new(obj, "rootfs", json_string(rootfs));
			json_object_set_new(obj, "owner", json_string(owner));
			json_array_append_new(arr, obj);
			free(rootfs);
			free(owner);
		} else {
			struct list_row *r = &rows[nrows++];
			r->cell[0] = xstrdup(st.id ? st.id : ids[i]);
			r->cell[1] = xasprintf("%d", (int)st.pid);
			r->cell[2] = xstrdup(ocifs_status_name(st.status));
			r->cell[3] = xstrdup(st.bundle ? st.bundle : "");
			r->cell[4] = xstrdup(st.created ? st.created : "");
			r->cell[5] = owner;
		}
		ocifs_state_clear(&st);
	}
	ocifs_list_free(ids, n);

	if (json) {
		char *s = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "[]");
		free(s);
		json_decref(arr);
	} else {
		print_table(rows, nrows);
	}
	for (size_t r = 0; r < nrows; r++)
		for (int k = 0; k < LIST_COLS; k++)
			free(rows[r].cell[k]);
	free(rows);
	return 0;
}

/* ---- ps ---- */

/* Runs `ps ARGS` and returns its stdout (NUL-terminated); NULL after an error. */
static char *run_ps(const char *id, char **args, int nargs)
{
	int p[2];
	pid_t child;
	char *out = NULL;
	size_t len = 0;
	ocifs_error err = { 0 };
	int st;

	if (pipe2(p, O_CLOEXEC) < 0) {
		cli_fail("ps", id, "pipe: %s", strerror(errno));
		return NULL;
	}
	fflush(stdout);
	child = fork();
	if (child < 0) {
		cli_fail("ps", id, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (child == 0) {
		char **argv = xcalloc((size_t)nargs + 2, sizeof(char *));
		argv[0] = "ps";
		for (int i = 0; i < nargs; i++)
			argv[i + 1] = args[i];
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp("ps", argv);
		fprintf(stderr, "ocirun: ps %s: exec ps: %s\n", id, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	if (read_fd_all(p[0], &out, &len, &err) < 0) {
		out = NULL;
		cli_fail_err("ps", id, &err);
	}
	close(p[0]);
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	if (out && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		free(out);
		out = NULL;
		cli_fail("ps", id, "ps exited with status %d", cli_wait_status(st));
	}
	return out;
}

static bool pid_in(pid_t p, const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == p)
			return true;
	return false;
}

int cmd_ps(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ocifs_error err = { 0 };
	struct cli_opts o;
	const char *format = "table", *id;
	pid_t *pids = NULL;
	size_t n = 0;
	int c;

	/* Everything after the id is for ps(1), as with runc: `ps ID -o pid,comm`. */
	cli_opts_begin(&o, "ps", argc, argv, 1);
	while ((c = cli_getopt(&o, "f:h", opts)) != -1) {
		if (c == 'f') {
			format = o.optarg;
			continue;
		}
		cli_opts_end(&o);
		return c == 'h' ? cli_usage(ctx) : 1;
	}
	if (cli_need_id(ctx, &o, &id)) {
		cli_opts_end(&o);
		return 1;
	}
	bool json = strcmp(format, "json") == 0;
	if (!json && strcmp(format, "table") != 0) {
		cli_opts_end(&o);
		return cli_fail("ps", id, "invalid format '%s' (table or json)", format);
	}
	if (json && o.nrest > 0) {
		cli_opts_end(&o);
		return cli_fail("ps", id, "ps options cannot be used with --format json");
	}
	if (ocifs_ps(ctx->root, id, &pids, &n, &err) < 0) {
		cli_opts_end(&o);
		return cli_fail_err("ps", id, &err);
	}

	int rc = 0;
	if (json) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
	} else {
		static char *default_args[] = { "-ef" };
		char *out = o.nrest ? run_ps(id, o.rest, o.nrest) : run_ps(id, default_args, 1);
		if (!out) {
			rc = 1;
		} else {
			/* Header: find the PID column; then keep the rows of our pids. */
			char *save = NULL, *line = strtok_r(out, "\n", &save);
			int pid_col = -1;
			if (line) {
				char *hdr = xstrdup(line), *s2 = NULL;
				int k = 0;
				for (char *f = strtok_r(hdr, " \t", &s2); f; f = strtok_r(NULL, " \t", &s2), k++)
					if (strcmp(f, "PID") == 0) {
						pid_col = k;
						break;
					}
				free(hdr);
			}
			if (pid_col < 0) {
				rc = cli_fail("ps", id, "ps output has no PID column");
			} else {
				printf("%s\n", line);
				while ((line = strtok_r(NULL, "\n", &save))) {
					char *copy = xstrdup(line), *s2 = NULL, *f;
					int k = 0;
					for (f = strtok_r(copy, " \t", &s2); f && k < pid_col; k++)
						f = strtok_r(NULL, " \t", &s2);
					if (f && pid_in((pid_t)atoi(f), pids, n))
						printf("%s\n", line);
					free(copy);
				}
			}
			free(out);
		}
	}
	free(pids);
	cli_opts_end(&o);
	return rc;
}
