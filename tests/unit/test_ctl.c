/* TAP tests for the ctl grammar (fs/ctl.c).
 *
 * Good lines are a table of (line, top, expected command); bad lines a
 * table of (line, top, expected message prefix).  Every failure must have
 * code EINVAL and a one-line message.  Lines are given with their length so
 * that embedded NUL bytes can be tested.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#include "tap.h"

/* A printable rendering of a test line for the TAP description. */
static const char *show(const char *s, size_t len)
{
	static char buf[160];
	size_t n = 0;

	for (size_t i = 0; i < len && n + 5 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			n += snprintf(buf + n, sizeof(buf) - n, "\\n");
		else if (c == '\r')
			n += snprintf(buf + n, sizeof(buf) - n, "\\r");
		else if (c == '\t')
			n += snprintf(buf + n, sizeof(buf) - n, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			n += snprintf(buf + n, sizeof(buf) - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	if (n > 60) {
		n = 60;
		n += snprintf(buf + n, sizeof(buf) - n, "...");
	}
	buf[n] = '\0';
	return buf;
}

static bool one_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

#define L(s) s, sizeof(s) - 1

struct good {
	const char *line;
	size_t len;
	bool top;
	enum ctl_op op;
	const char *id;   /* NULL: "" */
	const char *path; /* NULL: "" */
	int signal;       /* 0: SIGTERM */
	int seconds;      /* -1: 10 */
	bool force;
};

static const struct good goods[] = {
	{ L("create web /b"), true, CTL_CREATE, "web", "/b", 0, -1, false },
	{ L("create web /srv/bundles/web\n"), true, CTL_CREATE, "web", "/srv/bundles/web", 0, -1, false },
	{ L("create web /b\r\n"), true, CTL_CREATE, "web", "/b", 0, -1, false },
	{ L("run a.b_c-1 /x/y\n"), true, CTL_RUN, "a.b_c-1", "/x/y", 0, -1, false },
	{ L("  \tcreate\t\tweb   /b \t\n"), true, CTL_CREATE, "web", "/b", 0, -1, false },
	{ L("create 0 /"), true, CTL_CREATE, "0", "/", 0, -1, false },
	{ L("create Web /b/\xc3\xa9t\xc3\xa9"), true, CTL_CREATE, "Web", "/b/\xc3\xa9t\xc3\xa9", 0, -1, false },
	{ L("start"), false, CTL_START, NULL, NULL, 0, -1, false },
	{ L("start\n"), false, CTL_START, NULL, NULL, 0, -1, false },
	{ L("start\r\n"), false, CTL_START, NULL, NULL, 0, -1, false },
	{ L("\tstart \n"), false, CTL_START, NULL, NULL, 0, -1, false },
	{ L("pause\n"), false, CTL_PAUSE, NULL, NULL, 0, -1, false },
	{ L("resume\n"), false, CTL_RESUME, NULL, NULL, 0, -1, false },
	{ L("kill\n"), false, CTL_KILL, NULL, NULL, SIGTERM, -1, false },
	{ L("kill KILL\n"), false, CTL_KILL, NULL, NULL, SIGKILL, -1, false },
	{ L("kill SIGKILL"), false, CTL_KILL, NULL, NULL, SIGKILL, -1, false },
	{ L("kill sigkill"), false, CTL_KILL, NULL, NULL, SIGKILL, -1, false },
	{ L("kill Hup"), false, CTL_KILL, NULL, NULL, SIGHUP, -1, false },
	{ L("kill usr1"), false, CTL_KILL, NULL, NULL, SIGUSR1, -1, false },
	{ L("kill SIGUSR2"), false, CTL_KILL, NULL, NULL, SIGUSR2, -1, false },
	{ L("kill term"), false, CTL_KILL, NULL, NULL, SIGTERM, -1, false },
	{ L("kill INT"), false, CTL_KILL, NULL, NULL, SIGINT, -1, false },
	{ L("kill WINCH"), false, CTL_KILL, NULL, NULL, SIGWINCH, -1, false },
	{ L("kill CHLD"), false, CTL_KILL, NULL, NULL, SIGCHLD, -1, false },
	{ L("kill STOP"), false, CTL_KILL, NULL, NULL, SIGSTOP, -1, false },
	{ L("kill CONT"), false, CTL_KILL, NULL, NULL, SIGCONT, -1, false },
	{ L("kill SYS"), false, CTL_KILL, NULL, NULL, SIGSYS, -1, false },
	{ L("kill 9"), false, CTL_KILL, NULL, NULL, 9, -1, false },
	{ L("kill 1"), false, CTL_KILL, NULL, NULL, 1, -1, false },
	{ L("kill 64"), false, CTL_KILL, NULL, NULL, 64, -1, false },
	{ L("kill 015"), false, CTL_KILL, NULL, NULL, 15, -1, false },
	{ L("kill\t15\r\n"), false, CTL_KILL, NULL, NULL, 15, -1, false },
	{ L("stop"), false, CTL_STOP, NULL, NULL, 0, -1, false },
	{ L("stop\n"), false, CTL_STOP, NULL, NULL, 0, -1, false },
	{ L("stop 0"), false, CTL_STOP, NULL, NULL, 0, 0, false },
	{ L("stop 3\n"), false, CTL_STOP, NULL, NULL, 0, 3, false },
	{ L("stop 86400"), false, CTL_STOP, NULL, NULL, 0, 86400, false },
	{ L("stop 00030"), false, CTL_STOP, NULL, NULL, 0, 30, false },
	{ L("exec /tmp/p.json\n"), false, CTL_EXEC, NULL, "/tmp/p.json", 0, -1, false },
	{ L("delete"), false, CTL_DELETE, NULL, NULL, 0, -1, false },
	{ L("delete force\n"), false, CTL_DELETE, NULL, NULL, 0, -1, true },
	{ L("delete\tforce\r\n"), false, CTL_DELETE, NULL, NULL, 0, -1, true },
	{ L(""), false, CTL_NONE, NULL, NULL, 0, -1, false },
	{ L("\n"), false, CTL_NONE, NULL, NULL, 0, -1, false },
	{ L("\r\n"), true, CTL_NONE, NULL, NULL, 0, -1, false },
	{ L(" \t \n"), true, CTL_NONE, NULL, NULL, 0, -1, false },
};

struct bad {
	const char *line;
	size_t len;
	bool top;
	const char *prefix;
};

static const struct bad bads[] = {
	{ L("strat\n"), false, "unknown command \"strat\"" },
	{ L("strat\n"), true, "unknown command \"strat\"" },
	{ L("Start"), false, "unknown command \"Start\"" },
	{ L("creat web /b"), true, "unknown command \"creat\"" },
	{ L("create web /b"), false, "create is a top-level command (write it to MOUNTPOINT/ctl)" },
	{ L("run web /b"), false, "run is a top-level command (write it to MOUNTPOINT/ctl)" },
	{ L("start"), true, "start is a container command (write it to MOUNTPOINT/ID/ctl)" },
	{ L("kill 9"), true, "kill is a container command" },
	{ L("delete force"), true, "delete is a container command" },
	{ L("create"), true, "create: missing ID" },
	{ L("create\n"), true, "create: missing ID" },
	{ L("create web"), true, "create: missing BUNDLE" },
	{ L("create web\n"), true, "create: missing BUNDLE" },
	{ L("run web"), true, "run: missing BUNDLE" },
	{ L("create ../x /b"), true, "create: invalid container id \"../x\"" },
	{ L("create .. /b"), true, "create: invalid container id \"..\"" },
	{ L("create a/b /b"), true, "create: invalid container id \"a/b\"" },
	{ L("create -x /b"), true, "create: invalid container id \"-x\"" },
	{ L("create _x /b"), true, "create: invalid container id \"_x\"" },
	{ L("create a$b /b"), true, "create: invalid container id \"a$b\"" },
	{ L("create \xc3\xa9 /b"), true, "create: invalid container id" },
	{ L("run ../x"), true, "run: invalid container id \"../x\"" },
	{ L("create web b"), true, "create: BUNDLE must be an absolute path" },
	{ L("create web ./b"), true, "create: BUNDLE must be an absolute path" },
	{ L("create web /b extra"), true, "create: too many arguments" },
	{ L("start now"), false, "start: takes no arguments" },
	{ L("pause x"), false, "pause: takes no arguments" },
	{ L("resume 1 2 3 4 5"), false, "resume: takes no arguments" },
	{ L("kill FOO"), false, "kill: unknown signal \"FOO\"" },
	{ L("kill 0"), false, "kill: unknown signal \"0\"" },
	{ L("kill 65"), false, "kill: unknown signal \"65\"" },
	{ L("kill -9"), false, "kill: unknown signal \"-9\"" },
	{ L("kill +9"), false, "kill: unknown signal \"+9\"" },
	{ L("kill 99999999999999999999999"), false, "kill: unknown signal" },
	{ L("kill SIG"), false, "kill: unknown signal \"SIG\"" },
	{ L("kill SIGSIGTERM"), false, "kill: unknown signal \"SIGSIGTERM\"" },
	{ L("kill TERMX"), false, "kill: unknown signal \"TERMX\"" },
	{ L("kill RTMIN+"), false, "kill: unknown signal \"RTMIN+\"" },
	{ L("kill RTMIN-1"), false, "kill: unknown signal \"RTMIN-1\"" },
	{ L("kill RTMAX+1"), false, "kill: unknown signal \"RTMAX+1\"" },
	{ L("kill RTMIN+99"), false, "kill: unknown signal \"RTMIN+99\"" },
	{ L("kill TERM KILL"), false, "kill: too many arguments" },
	{ L("stop -1"), false, "stop: SECONDS must be a whole number 0..86400" },
	{ L("stop 86401"), false, "stop: SECONDS must be a whole number 0..86400" },
	{ L("stop 1.5"), false, "stop: SECONDS must be a whole number 0..86400" },
	{ L("stop 10s"), false, "stop: SECONDS must be a whole number 0..86400" },
	{ L("stop abc"), false, "stop: SECONDS must be a whole number 0..86400" },
	{ L("stop 99999999999999999999999999"), false, "stop: SECONDS must be a whole number 0..86400" },
	{ L("stop 1 2"), false, "stop: too many arguments" },
	{ L("exec"), false, "exec: missing PROCESS_JSON_PATH" },
	{ L("exec p.json"), false, "exec: PROCESS_JSON_PATH must be an absolute path" },
	{ L("exec ~/p.json"), false, "exec: PROCESS_JSON_PATH must be an absolute path" },
	{ L("exec /a /b"), false, "exec: too many arguments" },
	{ L("delete now"), false, "delete: unknown argument \"now\"" },
	{ L("delete FORCE"), false, "delete: unknown argument \"FORCE\"" },
	{ L("delete force force"), false, "delete: too many arguments" },
	/* control characters and NUL bytes */
	{ L("start\r"), false, "control character 0x0d" },
	{ L("sta\rrt\n"), false, "control character 0x0d" },
	{ L("start\n\n"), false, "control character 0x0a" },
	{ L("start\nstop\n"), false, "control character 0x0a" },
	{ L("kill \x1b[31m"), false, "control character 0x1b" },
	{ L("create web /b\x01"), true, "control character 0x01" },
	{ L("create web /b\x7f"), true, "control character 0x7f" },
	{ L("exec /a\vb"), false, "control character 0x0b" },
	{ L("start\r\r\n"), false, "control character 0x0d" },
	{ L("st\0art"), false, "NUL byte" },
	{ L("start\0"), false, "NUL byte" },
	{ L("create web /b\0/c\n"), true, "NUL byte" },
	{ L("\0"), true, "NUL byte" },
};

static void test_good(const struct good *g)
{
	struct ctl_cmd c;
	ocifs_error err = { 0 };
	int r = ctl_parse(g->line, g->len, g->top, &c, &err);
	const char *id = g->id ? g->id : "", *path = g->path ? g->path : "";
	int sig = g->signal ? g->signal : SIGTERM;
	int secs = g->seconds >= 0 ? g->seconds : 10;

	if (!ok(r == 0 && c.op == g->op && strcmp(c.id, id) == 0 && strcmp(c.path, path) == 0 &&
			c.signal == sig && c.seconds == secs && c.force == g->force,
		"%s \"%s\" parses as %s", g->top ? "top" : "container", show(g->line, g->len),
		ctl_op_name(g->op)))
		printf("# r=%d op=%s id=\"%s\" path=\"%s\" signal=%d seconds=%d force=%d err=%s\n",
		       r, ctl_op_name(c.op), c.id, c.path, c.signal, c.seconds, c.force, err.msg);
}

static void test_bad(const struct bad *b)
{
	struct ctl_cmd c;
	ocifs_error err = { 0 };
	int r = ctl_parse(b->line, b->len, b->top, &c, &err);

	if (!ok(r == -1 && err.code == EINVAL && c.op == CTL_NONE &&
			strncmp(err.msg, b->prefix, strlen(b->prefix)) == 0 && one_line(err.msg),
		"%s \"%s\" fails: %s", b->top ? "top" : "container", show(b->line, b->len),
		b->prefix))
		printf("# r=%d code=%d msg=%s\n", r, err.code, err.msg);
}

static void test_exec_with_space(void)
{
	struct ctl_cmd c;
	ocifs_error err = { 0 };

	ok(ctl_parse(L("exec  /a/b c.json"), false, &c, &err) == -1 &&
		   strncmp(err.msg, "exec: too many arguments", 24) == 0,
	   "exec with a space in the path is two words: too many arguments");
}

static void test_signals(void)
{
	static const struct {
		const char *word;
		int sig;
	} sigs[] = {
		{ "RTMIN", 0 }, { "SIGRTMIN", 0 }, { "rtmin+3", 3 },
		{ "RTMAX", 100 }, { "sigrtmax-2", 102 }, { "RTMIN+0", 0 },
	};
	char line[64];

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct ctl_cmd c;
		ocifs_error err = { 0 };
		int want = sigs[i].sig < 100 ? SIGRTMIN + sigs[i].sig : SIGRTMAX - (sigs[i].sig - 100);
		snprintf(line, sizeof(line), "kill %s\n", sigs[i].word);
		ok(ctl_parse(line, strlen(line), false, &c, &err) == 0 && c.op == CTL_KILL &&
			   c.signal == want,
		   "kill %s is signal %d (got %d)", sigs[i].word, want, c.signal);
	}
	/* every number 1..64 */
	bool all = true;
	for (int n = 1; n <= 64; n++) {
		struct ctl_cmd c;
		ocifs_error err = { 0 };
		snprintf(line, sizeof(line), "kill %d", n);
		if (ctl_parse(line, strlen(line), false, &c, &err) != 0 || c.signal != n)
			all = false;
	}
	ok(all, "kill N parses for every N in 1..64");
	/* the RTMIN+N range ends at RTMAX */
	{
		struct ctl_cmd c;
		ocifs_error err = { 0 };
		snprintf(line, sizeof(line), "kill RTMIN+%d", SIGRTMAX - SIGRTMIN);
		ok(ctl_parse(line, strlen(line), false, &c, &err) == 0 && c.signal == SIGRTMAX,
		   "kill RTMIN+%d is RTMAX", SIGRTMAX - SIGRTMIN);
		snprintf(line, sizeof(line), "kill RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
		ok(ctl_parse(line, strlen(line), false, &c, &err) == -1,
		   "kill RTMIN+%d is refused", SIGRTMAX - SIGRTMIN + 1);
	}
}

static void test_id_limit(void)
{
	char line[300], id[200];
	struct ctl_cmd c;
	ocifs_error err = { 0 };

	memset(id, 'a', 128);
	id[128] = '\0';
	snprintf(line, sizeof(line), "create %s /b\n", id);
	ok(ctl_parse(line, strlen(line), true, &c, &err) == 0 && strcmp(c.id, id) == 0,
	   "a 128-character id is accepted");
	memset(id, 'a', 129);
	id[129] = '\0';
	snprintf(line, sizeof(line), "create %s /b\n", id);
	ok(ctl_parse(line, strlen(line), true, &c, &err) == -1 && err.code == EINVAL &&
		   strncmp(err.msg, "create: invalid container id", 28) == 0 && one_line(err.msg),
	   "a 129-character id is refused: %s", err.msg);
	id[0] = '_';
	id[128] = '\0';
	snprintf(line, sizeof(line), "run %s /b\n", id);
	ok(ctl_parse(line, strlen(line), true, &c, &err) == -1 &&
		   strncmp(err.msg, "run: invalid container id", 25) == 0,
	   "a 128-character id starting with _ is refused");
}

static void test_path_limit(void)
{
	static char line[CTL_PATH_MAX + 64];
	struct ctl_cmd c;
	ocifs_error err = { 0 };
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "exec /");
	memset(line + n, 'p', CTL_PATH_MAX - 2);
	n += CTL_PATH_MAX - 2;
	line[n] = '\0';
	ok(ctl_parse(line, n, false, &c, &err) == 0 && strlen(c.path) == CTL_PATH_MAX - 1,
	   "exec path of %d bytes is accepted", CTL_PATH_MAX - 1);
	line[n++] = 'p';
	line[n] = '\0';
	ok(ctl_parse(line, n, false, &c, &err) == -1 && err.code == EINVAL &&
		   strncmp(err.msg, "exec: PROCESS_JSON_PATH is too long", 35) == 0,
	   "exec path of %d bytes is refused: %s", CTL_PATH_MAX, err.msg);
	ok(strlen(err.msg) < 200, "the message does not repeat the long path");
}

static void test_long_word_message(void)
{
	static char line[10000];
	struct ctl_cmd c;
	ocifs_error err = { 0 };

	memset(line, 'x', sizeof(line));
	ok(ctl_parse(line, sizeof(line), false, &c, &err) == -1 &&
		   strncmp(err.msg, "unknown command \"xxxx", 20) == 0 && strstr(err.msg, "...\"") &&
		   strlen(err.msg) < 200,
	   "a 10000-byte word is cut short in the message");
}

static void test_unknown_lists_commands(void)
{
	struct ctl_cmd c;
	ocifs_error err = { 0 };

	ctl_parse(L("strat"), false, &c, &err);
	ok(strstr(err.msg, "start") && strstr(err.msg, "delete") && !strstr(err.msg, "create"),
	   "unknown command in a container ctl lists its commands: %s", err.msg);
	ctl_parse(L("strat"), true, &c, &err);
	ok(strstr(err.msg, "create") && strstr(err.msg, "run") && !strstr(err.msg, "kill"),
	   "unknown command in the top ctl lists its commands: %s", err.msg);
}

static void test_not_nul_terminated(void)
{
	/* the parser must respect len: "start" followed by garbage */
	const char buf[] = { 's', 't', 'a', 'r', 't', 'X', 'Y' };
	struct ctl_cmd c;
	ocifs_error err = { 0 };

	ok(ctl_parse(buf, 5, false, &c, &err) == 0 && c.op == CTL_START,
	   "ctl_parse reads only len bytes");
	ok(ctl_parse(NULL, 0, false, &c, &err) == 0 && c.op == CTL_NONE,
	   "ctl_parse(NULL, 0) is an empty line");
}

static void test_next_line(void)
{
	const char buf[] = "create a /b\ncreate b /c\r\n\nrun c /d";
	size_t len = sizeof(buf) - 1, off = 0, n;
	const char *want[] = { "create a /b\n", "create b /c\r\n", "\n", "run c /d" };
	enum ctl_op ops[] = { CTL_CREATE, CTL_CREATE, CTL_NONE, CTL_RUN };
	size_t i = 0;
	bool good = true;

	while (off < len) {
		struct ctl_cmd c;
		ocifs_error err = { 0 };

		n = ctl_next_line(buf + off, len - off);
		if (i >= 4 || n != strlen(want[i]) || memcmp(buf + off, want[i], n) != 0 ||
		    ctl_parse(buf + off, n, true, &c, &err) != 0 || c.op != ops[i])
			good = false;
		off += n;
		i++;
	}
	ok(good && i == 4, "ctl_next_line splits a write into 4 lines, each parses");
	ok(ctl_next_line("start", 5) == 5, "ctl_next_line: no newline is the whole buffer");
	ok(ctl_next_line("\n", 1) == 1, "ctl_next_line: a lone newline is one line");
	ok(ctl_next_line("", 0) == 0, "ctl_next_line: empty buffer");
	ok(ctl_next_line("ab\ncd", 2) == 2, "ctl_next_line respects len");
	ok(ctl_next_line("a\0b\nc", 5) == 4, "ctl_next_line goes past NUL bytes");
}

static void test_op_names(void)
{
	static const struct {
		enum ctl_op op;
		const char *name;
	} names[] = {
		{ CTL_NONE, "none" },     { CTL_CREATE, "create" }, { CTL_RUN, "run" },
		{ CTL_START, "start" },   { CTL_KILL, "kill" },     { CTL_STOP, "stop" },
		{ CTL_EXEC, "exec" },     { CTL_PAUSE, "pause" },   { CTL_RESUME, "resume" },
		{ CTL_DELETE, "delete" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ok(strcmp(ctl_op_name(names[i].op), names[i].name) == 0, "ctl_op_name(%d) is %s",
		   (int)names[i].op, names[i].name);
	ok(ctl_op_name((enum ctl_op)999) != NULL, "ctl_op_name of a bad op is not NULL");
}

static void test_failure_resets(void)
{
	struct ctl_cmd c;
	ocifs_error err = { 0 };

	ctl_parse(L("create web /b"), true, &c, &err);
	ok(ctl_parse(L("create web relative"), true, &c, &err) == -1 && c.op == CTL_NONE,
	   "a failed parse leaves op CTL_NONE");
	ok(ctl_parse(L("kill 9"), false, &c, &err) == 0 &&
		   ctl_parse(L("kill"), false, &c, &err) == 0 && c.signal == SIGTERM,
	   "defaults are reset on every parse");
}

/* The parsers are pure, so the tests run twice: once to count them for
 * the plan line, once for real. */
static void run_all(void)
{
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++)
		test_good(&goods[i]);
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		test_bad(&bads[i]);
	test_signals();
	test_id_limit();
	test_path_limit();
	test_long_word_message();
	test_unknown_lists_commands();
	test_not_nul_terminated();
	test_next_line();
	test_op_names();
	test_failure_resets();
	test_exec_with_space();
}

int main(void)
{
	tap_counting = true;
	run_all();
	printf("1..%d\n", n_run);
	tap_counting = false;
	n_run = 0;
	run_all();
	return n_failed ? 1 : 0;
}
