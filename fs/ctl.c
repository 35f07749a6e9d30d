/* The ctl grammar of SPEC §5 (contract in ctl.h).
 *
 * A line is checked for NUL bytes and control characters, split into words
 * on spaces and tabs, and its first word is looked up in one static table of
 * commands (name, op, where it may be written, argument parser).  Pure: no
 * I/O, no global state, no allocation.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"

/* At most this many words are kept; one more is enough to say "too many". */
#define CTL_MAX_WORDS 4
/* User text quoted in an error message is cut to this many bytes. */
#define QUOTE_MAX 64

struct word {
	const char *s;
	size_t len;
};

struct words {
	struct word w[CTL_MAX_WORDS];
	size_t n; /* words seen, may exceed CTL_MAX_WORDS */
};

struct ctl_command;
typedef int (*ctl_args_fn)(const struct ctl_command *c, const struct words *w,
			   struct ctl_cmd *out, ocifs_error *err);

struct ctl_command {
	const char *name;
	enum ctl_op op;
	bool top;           /* MOUNTPOINT/ctl, else MOUNTPOINT/ID/ctl */
	ctl_args_fn args;   /* parses words 1.. into out */
	const char *usage;  /* arguments, for "too many arguments" */
};

/* ---- small helpers ---- */

static bool word_is(const struct word *w, const char *s)
{
	size_t n = strlen(s);
	return w->len == n && memcmp(w->s, s, n) == 0;
}

/* Quotes user text in messages: %.*s%s with QUOTE_MAX and "..." */
#define QUOTED(w) (int)((w)->len > QUOTE_MAX ? QUOTE_MAX : (w)->len), (w)->s, \
		  ((w)->len > QUOTE_MAX ? "..." : "")

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* ---- argument parsers ---- */

static int too_many(const struct ctl_command *c, ocifs_error *err)
{
	if (c->usage[0] == '\0')
		return ocifs_error_set(err, 0, "%s: takes no arguments", c->name);
	return ocifs_error_set(err, 0, "%s: too many arguments (usage: %s %s)", c->name,
			       c->name, c->usage);
}

/* An absolute path without control characters (checked by the caller)
 * that fits CTL_PATH_MAX, copied into out->path. */
static int take_path(const struct ctl_command *c, const struct word *w, const char *what,
		     struct ctl_cmd *out, ocifs_error *err)
{
	if (w->s[0] != '/')
		return ocifs_error_set(err, 0, "%s: %s must be an absolute path, not \"%.*s%s\"",
				       c->name, what, QUOTED(w));
	if (w->len >= sizeof(out->path))
		return ocifs_error_set(err, 0, "%s: %s is too long (at most %zu bytes)", c->name,
				       what, sizeof(out->path) - 1);
	memcpy(out->path, w->s, w->len);
	out->path[w->len] = '\0';
	return 0;
}

static int args_none(const struct ctl_command *c, const struct words *w,
		     struct ctl_cmd *out, ocifs_error *err)
{
	(void)out;
	if (w->n > 1)
		return too_many(c, err);
	return 0;
}

/* create|run ID BUNDLE */
static int args_id_bundle(const struct ctl_command *c, const struct words *w,
			  struct ctl_cmd *out, ocifs_error *err)
{
	const struct word *id = &w->w[1];

	if (w->n < 2)
		return ocifs_error_set(err, 0, "%s: missing ID (usage: %s ID BUNDLE)", c->name,
				       c->name);
	if (id->len >= sizeof(out->id))
		return ocifs_error_set(err, 0, "%s: invalid container id \"%.*s%s\" (at most %zu "
				       "characters)", c->name, QUOTED(id), sizeof(out->id) - 1);
	memcpy(out->id, id->s, id->len);
	out->id[id->len] = '\0';
	if (!ocifs_id_valid(out->id))
		return ocifs_error_set(err, 0, "%s: invalid container id \"%.*s%s\" (expected "
				       "[A-Za-z0-9][A-Za-z0-9_.-]*)", c->name, QUOTED(id));
	if (w->n < 3)
		return ocifs_error_set(err, 0, "%s: missing BUNDLE (usage: %s ID BUNDLE)", c->name,
				       c->name);
	if (w->n > 3)
		return too_many(c, err);
	return take_path(c, &w->w[2], "BUNDLE", out, err);
}

/* kill [SIGNAL] */
static int args_kill(const struct ctl_command *c, const struct words *w,
		     struct ctl_cmd *out, ocifs_error *err)
{
	int sig;

	if (w->n > 2)
		return too_many(c, err);
	if (w->n < 2)
		return 0;
	sig = ocifs_signal_parse(w->w[1].s, w->w[1].len);
	if (sig < 0)
		return ocifs_error_set(err, 0, "%s: unknown signal \"%.*s%s\" (a name such as "
				       "TERM or a number 1..64)", c->name, QUOTED(&w->w[1]));
	out->signal = sig;
	return 0;
}

#define STOP_SECONDS_MAX 86400

/* stop [SECONDS] */
static int args_stop(const struct ctl_command *c, const struct words *w,
		     struct ctl_cmd *out, ocifs_error *err)
{
	long n;

	if (w->n > 2)
		return too_many(c, err);
	if (w->n < 2)
		return 0;
	n = parse_uint_n(w->w[1].s, w->w[1].len, STOP_SECONDS_MAX);
	if (n < 0)
		return ocifs_error_set(err, 0, "%s: SECONDS must be a whole number 0..%d, not "
				       "\"%.*s%s\"", c->name, STOP_SECONDS_MAX, QUOTED(&w->w[1]));
	out->seconds = (int)n;
	return 0;
}

/* exec PROCESS_JSON_PATH */
static int args_exec(const struct ctl_command *c, const struct words *w,
		     struct ctl_cmd *out, ocifs_error *err)
{
	if (w->n < 2)
		return ocifs_error_set(err, 0, "%s: missing PROCESS_JSON_PATH (usage: %s %s)",
				       c->name, c->name, c->usage);
	if (w->n > 2)
		return too_many(c, err);
	return take_path(c, &w->w[1], "PROCESS_JSON_PATH", out, err);
}

/* delete [force] */
static int args_delete(const struct ctl_command *c, const struct words *w,
		       struct ctl_cmd *out, ocifs_error *err)
{
	if (w->n > 2)
		return too_many(c, err);
	if (w->n < 2)
		return 0;
	if (!word_is(&w->w[1], "force"))
		return ocifs_error_set(err, 0, "%s: unknown argument \"%.*s%s\" (usage: %s %s)",
				       c->name, QUOTED(&w->w[1]), c->name, c->usage);
	out->force = true;
	return 0;
}

/* ---- the command table ---- */

static const struct ctl_command commands[] = {
	{ "create", CTL_CREATE, true, args_id_bundle, "ID BUNDLE" },
	{ "run", CTL_RUN, true, args_id_bundle, "ID BUNDLE" },
	{ "start", CTL_START, false, args_none, "" },
	{ "kill", CTL_KILL, false, args_kill, "[SIGNAL]" },
	{ "stop", CTL_STOP, false, args_stop, "[SECONDS]" },
	{ "exec", CTL_EXEC, false, args_exec, "PROCESS_JSON_PATH" },
	{ "pause", CTL_PAUSE, false, args_none, "" },
	{ "resume", CTL_RESUME, false, args_none, "" },
	{ "delete", CTL_DELETE, false, args_delete, "[force]" },
};

static const struct ctl_command *find_command(const struct word *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (word_is(w, commands[i].name))
			return &commands[i];
	return NULL;
}

const char *ctl_op_name(enum ctl_op op)
{
	if (op == CTL_NONE)
		return "none";
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].op == op)
			return commands[i].name;
	return "unknown";
}

/* "create, run" or "start, kill, ...": the commands valid in one ctl. */
static void list_commands(bool top, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(commands) && n < size; i++) {
		if (commands[i].top != top)
			continue;
		n += snprintf(buf + n, size - n, "%s%s", n ? ", " : "", commands[i].name);
	}
}

/* ---- lines ---- */

size_t ctl_next_line(const char *buf, size_t len)
{
	const char *nl = len ? memchr(buf, '\n', len) : NULL;

	return nl ? (size_t)(nl - buf) + 1 : len;
}

/* Splits line[0..len) into words; fails on NUL bytes and control
 * characters other than tabs. */
static int split_words(const char *line, size_t len, struct words *w, ocifs_error *err)
{
	size_t i = 0;

	w->n = 0;
	for (size_t k = 0; k < len; k++) {
		unsigned char ch = (unsigned char)line[k];
		if (ch == '\0')
			return ocifs_error_set(err, 0, "NUL byte at offset %zu of the command", k);
		if (is_control(ch) && ch != '\t')
			return ocifs_error_set(err, 0, "control character 0x%02x at offset %zu of "
					       "the command", ch, k);
	}
	while (i < len) {
		size_t start;

		while (i < len && is_blank(line[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_blank(line[i]))
			i++;
		if (w->n < CTL_MAX_WORDS)
			w->w[w->n] = (struct word){ line + start, i - start };
		w->n++;
	}
	return 0;
}

static int parse_words(const struct words *w, bool top, struct ctl_cmd *out,
		       ocifs_error *err)
{
	const struct ctl_command *c;
	char list[128];

	if (w->n == 0)
		return 0; /* an empty line: CTL_NONE */
	c = find_command(&w->w[0]);
	if (!c) {
		list_commands(top, list, sizeof(list));
		return ocifs_error_set(err, 0, "unknown command \"%.*s%s\" (commands here: %s)",
				       QUOTED(&w->w[0]), list);
	}
	if (c->top && !top)
		return ocifs_error_set(err, 0, "%s is a top-level command (write it to "
				       "MOUNTPOINT/ctl)", c->name);
	if (!c->top && top)
		return ocifs_error_set(err, 0, "%s is a container command (write it to "
				       "MOUNTPOINT/ID/ctl)", c->name);
	if (c->args(c, w, out, err) < 0)
		return -1;
	out->op = c->op;
	return 0;
}

int ctl_parse(const char *line, size_t len, bool top, struct ctl_cmd *out,
	      ocifs_error *err)
{
	struct words w;

	memset(out, 0, sizeof(*out));
	out->op = CTL_NONE;
	out->signal = SIGTERM;
	out->seconds = 10;
	if (len > 0 && line[len - 1] == '\n') {
		len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
	}
	if (split_words(line, len, &w, err) < 0 || parse_words(&w, top, out, err) < 0) {
		out->op = CTL_NONE;
		return -1;
	}
	return 0;
}
