/* ocirun update: resource limits of a live container, from runc's flags
 * or a linux.resources JSON object (-r FILE, "-" for stdin). */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"

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
