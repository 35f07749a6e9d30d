/* ocirun list and ps: what is in the state root, and what runs in a
 * container. */
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
