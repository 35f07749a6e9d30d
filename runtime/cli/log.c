/* ocirun's error reporting and option parsing helpers (see cli.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"

static struct {
	int fd;          /* --log file, -1 = none */
	bool json;
	bool debug;
} g_log = { .fd = -1 };

int cli_log_open(struct cli_ctx *ctx)
{
	g_log.json = ctx->log_json;
	g_log.debug = ctx->debug;
	if (!ctx->log_path || !*ctx->log_path)
		return 0;
	/* runc's default "--log /dev/stderr" is the same as no file. */
	if (strcmp(ctx->log_path, "/dev/stderr") == 0)
		return 0;
	g_log.fd = open(ctx->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (g_log.fd < 0) {
		fprintf(stderr, "ocirun: --log %s: %s\n", ctx->log_path, strerror(errno));
		return 1;
	}
	return 0;
}

static void timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", sec, ts.tv_nsec);
}

/* One log record in the chosen format, newline-terminated; caller frees. */
static char *format_record(const char *level, const char *msg)
{
	char ts[64];

	timestamp(ts, sizeof(ts));
	if (g_log.json) {
		json_t *o = json_object();
		char *s;

		json_object_set_new(o, "level", json_string(level));
		json_object_set_new(o, "msg", json_string(msg));
		json_object_set_new(o, "time", json_string(ts));
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		if (!s)
			return NULL;
		char *line = xasprintf("%s\n", s);
		free(s);
		return line;
	}

	/* logrus text: msg quoted Go-style. */
	size_t n = strlen(msg);
	char *q = xmalloc(n * 4 + 3);
	char *w = q;
	*w++ = '"';
	for (const unsigned char *r = (const unsigned char *)msg; *r; r++) {
		switch (*r) {
		case '"': *w++ = '\\'; *w++ = '"'; break;
		case '\\': *w++ = '\\'; *w++ = '\\'; break;
		case '\n': *w++ = '\\'; *w++ = 'n'; break;
		case '\t': *w++ = '\\'; *w++ = 't'; break;
		case '\r': *w++ = '\\'; *w++ = 'r'; break;
		default:
			if (*r < 0x20 || *r == 0x7f)
				w += sprintf(w, "\\x%02x", *r);
			else
				*w++ = (char)*r;
		}
	}
	*w++ = '"';
	*w = '\0';
	char *line = xasprintf("time=\"%s\" level=%s msg=%s\n", ts, level, q);
	free(q);
	return line;
}

static void emit(const char *level, const char *msg, bool is_error)
{
	char *line;

	if (g_log.fd < 0 && !is_error) {
		/* debug without a log file: to stderr, in the chosen format */
		line = format_record(level, msg);
		if (line)
			(void)write_all(STDERR_FILENO, line, strlen(line));
		free(line);
		return;
	}
	if (g_log.fd < 0 && !g_log.json)
		return; /* the plain stderr line is enough */
	line = format_record(level, msg);
	if (!line)
		return;
	(void)write_all(g_log.fd >= 0 ? g_log.fd : STDERR_FILENO, line, strlen(line));
	free(line);
}

static int vfail(const char *op, const char *id, const char *cause)
{
	char msg[OCIFS_ERROR_MSG_MAX + 256];

	if (id && *id)
		snprintf(msg, sizeof(msg), "%s %s: %s", op, id, cause);
	else if (op && *op)
		snprintf(msg, sizeof(msg), "%s: %s", op, cause);
	else
		snprintf(msg, sizeof(msg), "%s", cause);
	/* one line: fold any newline the cause may carry */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fflush(stdout);
	fprintf(stderr, "ocirun: %s\n", msg);
	fflush(stderr);
	emit("error", msg, true);
	return 1;
}

int cli_fail(const char *op, const char *id, const char *fmt, ...)
{
	char cause[OCIFS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	return vfail(op, id, cause);
}

int cli_fail_err(const char *op, const char *id, const ocifs_error *err)
{
	const char *m = err->msg[0] ? err->msg : "unknown error";
	size_t ol = op ? strlen(op) : 0, il = id ? strlen(id) : 0;

	/* Do not repeat a context the engine already gave ("start web: ..."). */
	if (op && id && strncmp(m, op, ol) == 0 && m[ol] == ' ' &&
	    strncmp(m + ol + 1, id, il) == 0 && m[ol + 1 + il] == ':' &&
	    m[ol + 2 + il] == ' ')
		m += ol + il + 3;
	else if (op && strncmp(m, op, ol) == 0 && m[ol] == ':' && m[ol + 1] == ' ')
		m += ol + 2;
	return vfail(op, id, m);
}

void cli_debug(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!g_log.debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit("debug", msg, false);
}

/* ---- option parsing ---- */

void cli_opts_begin(struct cli_opts *o, const char *op, int argc, char **argv,
		    int max_pos)
{
	memset(o, 0, sizeof(*o));
	o->argc = argc;
	o->argv = argv;
	o->op = op;
	o->max_pos = max_pos;
	o->pos = xcalloc((size_t)argc + 1, sizeof(char *));
	o->rest = argv + argc;
	optind = 0; /* full re-initialisation of glibc's getopt */
	opterr = 0;
}

void cli_opts_end(struct cli_opts *o)
{
	free(o->pos);
	o->pos = NULL;
}

static const char *const global_opts[] = {
	"root", "log", "log-format", "debug", "systemd-cgroup", "criu", "rootless",
	"version",
};

static int opt_error(struct cli_opts *o, int c, const struct option *longopts)
{
	const char *arg = optind > 0 && optind <= o->argc ? o->argv[optind - 1] : "";

	o->status = 1;
	if (arg[0] == '-' && arg[1] == '-') {
		const char *name = arg + 2;
		size_t n = strcspn(name, "=");
		for (size_t i = 0; i < ARRAY_SIZE(global_opts); i++)
			if (strlen(global_opts[i]) == n && strncmp(name, global_opts[i], n) == 0)
				return cli_fail(o->op, NULL,
						"--%s is a global option: put it before the command "
						"(ocirun --%s ... %s ...)",
						global_opts[i], global_opts[i], o->op), CLI_OPT_ERROR;
		if (c == ':')
			return cli_fail(o->op, NULL, "option --%.*s requires a value", (int)n, name),
			       CLI_OPT_ERROR;
		/* a long option that takes no value but was given one */
		for (const struct option *l = longopts; l && l->name; l++)
			if (strlen(l->name) == n && strncmp(l->name, name, n) == 0)
				return cli_fail(o->op, NULL, "option --%s takes no value", l->name),
				       CLI_OPT_ERROR;
		return cli_fail(o->op, NULL, "unknown option --%.*s (see 'ocirun %s --help')",
				(int)n, name, o->op), CLI_OPT_ERROR;
	}
	if (c == ':')
		return cli_fail(o->op, NULL, "option -%c requires a value", optopt), CLI_OPT_ERROR;
	if (optopt)
		return cli_fail(o->op, NULL, "unknown option -%c (see 'ocirun %s --help')",
				optopt, o->op), CLI_OPT_ERROR;
	return cli_fail(o->op, NULL, "unknown option %s (see 'ocirun %s --help')", arg, o->op),
	       CLI_OPT_ERROR;
}

int cli_getopt(struct cli_opts *o, const char *shortopts,
	       const struct option *longopts)
{
	char spec[128];

	if (o->done)
		return -1;
	snprintf(spec, sizeof(spec), "+:%s", shortopts);
	for (;;) {
		int before = optind == 0 ? 1 : optind;
		int c = getopt_long(o->argc, o->argv, spec, longopts, NULL);

		if (c == '?' || c == ':')
			return opt_error(o, c, longopts);
		if (c != -1) {
			o->optarg = optarg;
			return c;
		}
		bool dashdash = optind == before + 1 && before < o->argc &&
				strcmp(o->argv[before], "--") == 0;
		if (dashdash || optind >= o->argc) {
			/* everything left is positional */
			for (; optind < o->argc; optind++) {
				if (o->max_pos && o->npos == o->max_pos)
					break;
				o->pos[o->npos++] = o->argv[optind];
			}
			o->rest = o->argv + optind;
			o->nrest = o->argc - optind;
			o->done = true;
			return -1;
		}
		o->pos[o->npos++] = o->argv[optind++];
		if (o->max_pos && o->npos == o->max_pos) {
			o->rest = o->argv + optind;
			o->nrest = o->argc - optind;
			o->done = true;
			return -1;
		}
	}
}

int cli_usage(const struct cli_ctx *ctx)
{
	printf("Usage: ocirun [global options] %s\n\n%s\n", ctx->cmd->usage, ctx->cmd->summary);
	return 0;
}

int cli_need_id(struct cli_ctx *ctx, const struct cli_opts *o, const char **id)
{
	if (o->npos < 1 || !o->pos[0][0])
		return cli_fail(ctx->cmd->name, NULL, "container id required (usage: ocirun %s)",
				ctx->cmd->usage);
	if (!ocifs_id_valid(o->pos[0]))
		return cli_fail(ctx->cmd->name, o->pos[0],
				"invalid container id (allowed: [A-Za-z0-9][A-Za-z0-9_.-]{0,127})");
	*id = o->pos[0];
	return 0;
}

int cli_no_more_args(struct cli_ctx *ctx, const struct cli_opts *o, int used)
{
	if (o->npos > used || o->nrest > 0) {
		const char *extra = o->npos > used ? o->pos[used] : o->rest[0];
		return cli_fail(ctx->cmd->name, used > 0 ? o->pos[0] : NULL,
				"unexpected argument '%s' (usage: ocirun %s)", extra,
				ctx->cmd->usage);
	}
	return 0;
}

int cli_parse_uint(const char *s, int max)
{
	char *end;
	long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > max)
		return -1;
	return (int)v;
}
