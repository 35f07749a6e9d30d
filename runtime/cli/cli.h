/* Internal header of the ocirun command line (runtime/cli/).
 *
 * main.c parses the global options into a struct cli_ctx and dispatches on
 * the command name through a static table; each command is a handler
 * `int cmd_x(struct cli_ctx *ctx, int argc, char **argv)` whose argv[0] is
 * the command name and whose return value is ocirun's exit status.
 *
 * Error reporting (log.c): every failure goes through cli_fail() or
 * cli_fail_err(), which print exactly one line on stderr,
 *     ocirun: <op> <id>: <cause>
 * and return 1, so handlers end with `return cli_fail(...)`.  With --log FILE
 * the same message is also appended to FILE, formatted as logrus does
 * (--log-format text: `time="..." level=error msg="..."`, json: one object
 * {"level","msg","time"} per line), which is what containerd and podman
 * read.  With --log-format json but no --log, the JSON line also goes to
 * stderr after the plain line.  --debug adds debug lines (cli_debug) to the
 * log file, or to stderr when there is none.
 *
 * Option parsing (cli_getopt): getopt_long per command, accepting
 * `--flag value` and `--flag=value`, with options before or after the
 * positional arguments.  A command may cap its positionals (exec: id and
 * command; ps: id): from the capped positional on, the remaining arguments
 * are handed over untouched (the command's own argv, or ps options).
 */
#ifndef OCIFS_CLI_H
#define OCIFS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <sys/types.h>

#include "ocifs/error.h"

struct cli_command;

struct cli_ctx {
	const char *root;          /* --root, default OCIFS_DEFAULT_ROOT */
	const char *log_path;      /* --log, NULL = none */
	bool log_json;             /* --log-format json */
	bool debug;                /* --debug */
	bool systemd_cgroup;       /* --systemd-cgroup (refused by create/run) */
	const char *rootless;      /* --rootless true|false|auto */
	const char *criu;          /* --criu (accepted, ignored) */
	const struct cli_command *cmd; /* the command being run */
};

typedef int (*cli_handler)(struct cli_ctx *ctx, int argc, char **argv);

struct cli_command {
	const char *name;
	cli_handler handler;
	const char *usage;   /* "create [OPTIONS] ID" */
	const char *summary; /* one line */
};

/* ---- log.c ---- */

/* Opens --log (append) once the global options are known.  Returns 0, or
 * prints the error and returns 1. */
int cli_log_open(struct cli_ctx *ctx);

/* "ocirun: <op>[ <id>]: <message>" on stderr (+ log file); returns 1. */
int cli_fail(const char *op, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same with an engine error as the cause. */
int cli_fail_err(const char *op, const char *id, const ocifs_error *err);
/* Debug line, only with --debug. */
void cli_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- option parsing (log.c) ---- */

struct cli_opts {
	int argc;
	char **argv;
	const char *op;      /* command name, for messages */
	int max_pos;         /* cap on positionals, 0 = none */
	char **pos;          /* positionals seen so far */
	int npos;
	char **rest;         /* after the capped positional: untouched args */
	int nrest;
	const char *optarg;  /* the current option's value */
	int status;          /* set when cli_getopt returned CLI_OPT_ERROR */
	bool done;
};

#define CLI_OPT_ERROR (-2)

/* Starts parsing argv (argv[0] = the command name). */
void cli_opts_begin(struct cli_opts *o, const char *op, int argc, char **argv,
		    int max_pos);
void cli_opts_end(struct cli_opts *o);
/* Next option character (the `val` of a long option), -1 at the end, or
 * CLI_OPT_ERROR after printing a usage error (o->status = 1).  `shortopts`
 * must not start with '+' or ':' (added here).  'h' / --help must be in the
 * tables when the command wants help. */
int cli_getopt(struct cli_opts *o, const char *shortopts,
	       const struct option *longopts);

/* Prints the command's usage on stdout; returns 0 (for --help). */
int cli_usage(const struct cli_ctx *ctx);

/* Helpers for validating positionals; they print the error and return 1. */
int cli_need_id(struct cli_ctx *ctx, const struct cli_opts *o, const char **id);
int cli_no_more_args(struct cli_ctx *ctx, const struct cli_opts *o, int used);

/* Parses a non-negative decimal int; -1 when invalid. */
int cli_parse_uint(const char *s, int max);

/* ---- cmd_exec.c: supervising a process (run, exec) ---- */

/* A waitpid() status in shell form: the exit code, or 128 + signal. */
int cli_wait_status(int st);

/* Waits for `pid` (a child or an orphan re-parented to this subreaper),
 * forwarding the usual terminal/control signals to it and reaping any other
 * orphan.  Returns the exit status in shell form (code, or 128+signal).
 * When is_init, a lost child falls back to the container's state. */
int cli_supervise(struct cli_ctx *ctx, const char *id, pid_t pid, bool is_init);

/* Foreground terminals: pair[1] goes to the engine as console_socket_fd;
 * cli_supervise_tty proxies stdio to the pty master if one arrived on
 * pair[0], else behaves as cli_supervise. */
int cli_console_pair(int pair[2]);
void cli_console_close(int pair[2]);
int cli_supervise_tty(struct cli_ctx *ctx, const char *id, pid_t pid, bool is_init,
		      int pair[2]);

/* ---- cmd_lifecycle.c ---- */

int cmd_create(struct cli_ctx *ctx, int argc, char **argv);
int cmd_start(struct cli_ctx *ctx, int argc, char **argv);
int cmd_run(struct cli_ctx *ctx, int argc, char **argv);
int cmd_state(struct cli_ctx *ctx, int argc, char **argv);
int cmd_kill(struct cli_ctx *ctx, int argc, char **argv);
int cmd_delete(struct cli_ctx *ctx, int argc, char **argv);
int cmd_stop(struct cli_ctx *ctx, int argc, char **argv);
int cmd_pause(struct cli_ctx *ctx, int argc, char **argv);
int cmd_resume(struct cli_ctx *ctx, int argc, char **argv);
int cmd_list(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ps(struct cli_ctx *ctx, int argc, char **argv);
int cmd_events(struct cli_ctx *ctx, int argc, char **argv);
int cmd_update(struct cli_ctx *ctx, int argc, char **argv);

/* ---- cmd_exec.c ---- */
int cmd_exec(struct cli_ctx *ctx, int argc, char **argv);

/* ---- cmd_info.c ---- */
int cmd_spec(struct cli_ctx *ctx, int argc, char **argv);
int cmd_features(struct cli_ctx *ctx, int argc, char **argv);
void cli_print_version(void);

#endif
